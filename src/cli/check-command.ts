/**
 * `kvmuf check`: build the configurations, explore each exhaustively, and return the
 * results as data. Printing and exit codes belong to output.ts.
 */
import { check, type CheckOptions, type CheckResult, type Progress } from '../checker/index.ts';
import { checkWithPreemptionBound } from '../checker/sampling/context-bounding.ts';
import { explainFailure, type Counterexample } from '../report/counterexample.ts';
import { specRefinement } from '../../properties/refinement.ts';
import type { Arch, Arm64WpFault, AsyncPfScope, GmemUffdSupport, GmemWriteSemantics, UffdEagainField, UserfaultSeries, X86Mmu } from '../kvm/variant.ts';
import { ARCHES, BACKINGS, DESIGNS, LIMITS, type Backing, type DesignName, type SystemConfig, type UffdMode } from '../system/config.ts';
import { composeSystem, partialOrderInputs, symmetryGroupsOf, systemModel, workerGroupsOf, type System } from '../system/model.ts';
import { partialOrderRefusal } from '../system/partial-order.ts';
import { ConfigError } from '../system/config-error.ts';
import { bundledHandler, bundledHandlerFor } from '../vmm/index.ts';
import { loadHandler } from '../vmm/load-handler.ts';
import type { HandlerStrategy } from '../vmm/strategy.ts';
import type { HandlerRuntimeOptions, StepWatch } from '../system/handler-runtime.ts';
import type { CommandSpec, FlagSpec, ParsedFlags } from './args.ts';
import { memslotSpan, shapeFromFlags, shapeWords } from './config-flags.ts';
import { scenarioFlags } from './scenario-file.ts';
import { shellCommand } from './shell-quote.ts';

export const CHECK_FLAGS: readonly FlagSpec[] = [
  { name: 'design', kind: 'string', choices: DESIGNS, value: 'DESIGN', help: 'the post-copy design', default: 'kvm-userfault' },
  { name: 'arch', kind: 'string', choices: ARCHES, help: 'the architecture', default: 'x86' },
  { name: 'backing', kind: 'string', choices: BACKINGS, value: 'BACKING', help: 'guest memory backing (guest_memfd for gmem-minor)', default: 'anon' },
  { name: 'vcpus', kind: 'int', range: LIMITS.vcpus, help: 'vCPUs', default: '2' },
  { name: 'pages', kind: 'int', range: LIMITS.pages, help: 'guest pages', default: '2' },
  { name: 'uffd', kind: 'string', choices: ['missing', 'minor', 'missing-minor', 'none'], help: 'userfaultfd registration mode (default: what the design and backing use)' },
  { name: 'series', kind: 'string', choices: ['v3', 'v1', 'v2-firecracker', 'none'], value: 'SERIES', help: 'KVM Userfault series (kernel variant)' },
  { name: 'gmem-write', kind: 'string', choices: ['enospc', 'overwrite'], value: 'SEMANTICS', help: 'guest_memfd write() on a populated page (kernel variant): ENOSPC (write() series v1-v5) or overwrite (v6)', default: 'enospc' },
  { name: 'gmem-uffd', kind: 'string', choices: ['einval', 'vm-uffd-ops'], value: 'SUPPORT', help: 'userfaultfd on a guest_memfd mapping (kernel variant): EINVAL (mainline) or the vm_uffd_ops series (default for gmem-minor)' },
  { name: 'async-pf-scope', kind: 'string', choices: ['sw-protected', 'any'], value: 'SCOPE', help: 'which userfault exits async PF user takes asynchronously (kernel variant): the RFC as posted, SW_PROTECTED VMs (guest_memfd) only, private faults too (elsewhere every exit is synchronous), or any VM, private faults sync', default: 'sw-protected' },
  { name: 'arm64-wp-fault', kind: 'string', choices: ['checks-bitmap', 'no-check'], value: 'READING', help: 'arm64, a write to a gfn dirty logging write-protected (kernel variant, review M4): user_mem_abort re-checks the userfault bitmap (v3 as read) or relaxes the permission without it', default: 'checks-bitmap' },
  { name: 'uffd-eagain-field', kind: 'string', choices: ['written', 'untouched'], value: 'FIELD', help: "a zero-progress EAGAIN's copy/zeropage/mapped field (kernel variant): -EAGAIN (mainline) or untouched (before the fix)", default: 'written' },
  { name: 'mmu', kind: 'string', choices: ['tdp', 'shadow'], value: 'MMU', help: 'x86 MMU (kernel variant): tdp recovers huge pages in place, shadow (tdp_mmu=0) zaps and prefetches', default: 'tdp' },
  { name: 'thp', kind: 'boolean', help: 'anonymous memory with transparent huge pages (a write fault maps a whole zeroed THP)' },
  { name: 'memslots', kind: 'string', value: 'SLOTS', help: 'memslots as base gfn:npages, e.g. 0:2,8:2 (a GPA hole between; --pages defaults to the last gfn + 1)', default: '0:PAGES', example: '0:2,8:2' },
  { name: 'remote', kind: 'string', value: 'PAGES|none', help: 'the pages that start on the source, e.g. 0,2 (the others are local from the start)', default: 'all', example: '0' },
  { name: 'program', kind: 'string', value: 'PROGRAMS', help: 'guest programs, one per vCPU separated by ;: rGFN reads, wGFN=VALUE writes (VALUE 1 to 9999) the whole page; rGFN+OFFSET and wGFN+OFFSET=VALUE a u64 at that byte offset, e.g. "r0 w1=101;r1+0x40"', default: 'vCPU i: ri w(i+1)=100+i', example: 'r0' },
  { name: 'huge-pages', kind: 'int', range: LIMITS.hugePages, help: 'base pages per huge page (the hugetlbfs page size and the huge stage-2 mapping)', default: '2' },
  { name: 'its', kind: 'string', value: 'PAGES', help: 'control plan, arm64: restore the ITS with its tables on these pages, e.g. 1,2', example: '1' },
  { name: 'kvm-clock', kind: 'int', range: { min: 0, max: LIMITS.pages.max - 1 }, value: 'GFN', help: 'control plan, x86: restore MSR_KVM_SYSTEM_TIME of vCPU 0 with its pvclock at this gfn (a GUP now, 32 bytes written at the next KVM_RUN), then clear its bit', example: '1' },
  { name: 'kvm-clock-page', kind: 'string', choices: ['dedicated', 'shared'], value: 'KIND', help: 'what else the kvm-clock page holds on the source: nothing but pvclock data, zeros elsewhere (dedicated, as Linux’s hv_clock_boot), or other guest data (shared)', example: 'shared', default: 'dedicated' },
  { name: 'steal-time', kind: 'int', range: { min: 0, max: LIMITS.pages.max - 1 }, value: 'GFN', help: 'control plan, x86: restore MSR_KVM_STEAL_TIME of vCPU 0 with its struct at 0x40 of this gfn (nothing now; record_steal_time writes it at the next KVM_RUN, through the host mapping), then clear its bit', example: '1' },
  { name: 'balloon', kind: 'string', value: 'PAGES', help: 'control plan, anon: the guest gives these pages up (MADV_DONTNEED), e.g. 1', example: '1' },
  { name: 'late-enable', kind: 'boolean', help: 'control plan, kvm-userfault: KVM_MEM_USERFAULT starts off and is enabled while the vCPUs run' },
  { name: 'dirty-log-round', kind: 'boolean', help: 'control plan: dirty logging on, then off, while the vCPUs run' },
  { name: 'disable-at-end', kind: 'boolean', help: 'control plan, kvm-userfault: disable KVM_MEM_USERFAULT once every bit is clear' },
  { name: 'control-first', kind: 'boolean', help: 'the vCPUs start only once the control plan has finished (default: concurrently)' },
  { name: 'scenario', kind: 'string', value: 'FILE', help: 'a JSON scenario file: design, pages, memslots, remote pages, vCPUs with their guest programs, huge page size, kernel variants, control plan, handler (flags override it)', example: 'scenario.json' },
  { name: 'handler', kind: 'string', value: 'FILE|NAME', help: 'a handler file (.ts/.js) or a bundled handler name (kvmuf list)', example: './my-handler.ts' },
  { name: 'max-preemptions', kind: 'int', range: { min: 0, max: 64 }, value: 'K', help: 'iterative context bounding: search with at most 0, 1, … K preemptions (a switch away from a thread that could still move), fewest-preemption counterexamples first; safety only, and a bounded pass is not a proof' },
  { name: 'symmetry', kind: 'boolean', help: 'treat vCPUs with identical guest programs as interchangeable (when the handler promises vcpuSymmetric and no control step names a vCPU), and handler threads built from the same steps (when it promises workersSymmetric): fewer states; safety only, liveness is not checked' },
  { name: 'por', kind: 'boolean', help: 'partial-order reduction: take a vCPU\'s KVM_RUN entry alone where it commutes with everything else (when the handler promises leavesVcpusAlone): fewer states; safety only, liveness and spec refinement are not checked' },
  { name: 'estimate', kind: 'boolean', help: 'only estimate the state space of each configuration (a bounded search and random walks, about a second) and say whether an exhaustive run fits --max-memory and --timeout' },
  { name: 'max-states', kind: 'int', range: { min: 1 }, help: 'stop (incomplete) after this many distinct states' },
  { name: 'timeout', kind: 'int', range: { min: 1 }, value: 'SECONDS', help: 'stop (incomplete) after this many seconds' },
  { name: 'json', kind: 'boolean', help: 'print the results as JSON (a replay file: kvmuf replay FILE)' },
  { name: 'itf', kind: 'string', value: 'FILE', help: 'write the first counterexample to this file as ITF JSON (Apalache/Quint)', example: 'trace.itf.json' },
  { name: 'format', kind: 'string', choices: ['text', 'columns'], help: 'counterexamples as a step per line with what changed (text), or one column per thread (columns)', default: 'text' },
  { name: 'emit-test', kind: 'string', value: 'FILE', help: 'write the first counterexample as a vitest regression test: it fails while the handler still reaches the violation', example: 'regression.test.ts' },
  { name: 'progress', kind: 'boolean', help: 'progress on stderr (default: when stderr is a terminal)' },
  { name: 'max-memory', kind: 'int', range: { min: 1 }, value: 'MIB', help: 'stop (incomplete) when the search uses this many MiB', default: '3/4 of the heap limit' },
  { name: 'step-timeout', kind: 'int', range: { min: 1 }, value: 'MS', help: 'a handler step that runs longer than this many ms is a handler fault', default: '5000' },
  { name: 'determinism-check', kind: 'boolean', help: 'run each step of a handler file twice and compare (default on; --no-determinism-check)' },
  { name: 'debug', kind: 'boolean', help: 'on an internal error, print the stack trace' },
];

export const CHECK_COMMAND: CommandSpec = {
  name: 'check',
  summary: 'explore configurations exhaustively; with none of --design … --handler, the default matrix',
  flags: CHECK_FLAGS,
};

export interface CheckRun {
  readonly system: System;
  readonly result: CheckResult;
  /** Spec transitions exploration took, and the ones it never took. */
  readonly spec: { readonly taken: number; readonly uncovered: readonly string[]; readonly transitions: readonly string[] };
  /** Each failure, replayed: numbered steps with what changed (undefined: nothing to show). */
  readonly counterexamples: readonly (Counterexample | undefined)[];
  readonly elapsedMs: number;
  /** The command line that reproduces this one run (quoted for a POSIX shell), and its words. */
  readonly command: string;
  readonly commandWords: readonly string[];
  /** The --handler value, when the handler came from a file or a bundled name. */
  readonly handlerFile?: string;
  /** Under --max-preemptions: the bound of the pass reported, the one asked for, and the steps it cut. */
  readonly preemptions?: { readonly bound: number; readonly max: number; readonly pruned: number };
  /** --symmetry: the groups of interchangeable vCPUs and of handler workers (thread names) used (empty: none applied). */
  readonly symmetry?: { readonly groups: readonly (readonly number[])[]; readonly workers: readonly (readonly string[])[] };
  /** --por: why the model offers no ample sets (undefined: it does). */
  readonly por?: { readonly refusal: string | undefined };
}

export interface CheckOutcome {
  readonly runs: readonly CheckRun[];
}

export interface ResolvedHandler {
  readonly strategy: HandlerStrategy;
  /** Loaded from a user's file (its steps run behind the runtime's checks). */
  readonly fromFile: boolean;
}

export async function resolveHandler(flag: string | undefined, design: DesignName): Promise<ResolvedHandler> {
  if (flag === undefined) return { strategy: bundledHandlerFor(design), fromFile: false };
  const bundled = bundledHandler(flag);
  if (bundled) return { strategy: bundled, fromFile: false };
  return { strategy: await loadHandler(flag), fromFile: true };
}

/** The default matrix: every design with a reference handler, on both arches, and the control plans that move the rules most. */
export function defaultMatrix(): SystemConfig[] {
  const out: SystemConfig[] = [];
  for (const design of ['kvm-userfault', 'uffd', 'exit-on-missing'] as const) {
    for (const arch of ARCHES) out.push({ design, arch, backing: 'anon', vcpus: 3, pages: 2 });
  }
  out.push({ design: 'kvm-userfault', arch: 'x86', backing: 'guest_memfd', vcpus: 3, pages: 2 });
  out.push({ design: 'kvm-userfault', arch: 'arm64', backing: 'anon', vcpus: 2, pages: 2, control: { itsTables: [1] } });
  for (const arch of ARCHES) out.push({ design: 'demand-paging', arch, backing: 'anon', vcpus: 3, pages: 2 });
  // KVM's own reads wait on the demand-paging wait queue and the notification reader serves them.
  out.push({ design: 'demand-paging', arch: 'arm64', backing: 'anon', vcpus: 2, pages: 2, control: { itsTables: [1] } });
  // x86 only; 2 vCPUs (3 vCPUs are ~800k states, about 30 s). guest_memfd: the RFC goes
  // asynchronous only on KVM_X86_SW_PROTECTED_VM (--async-pf-scope, review M5), so on anon
  // every exit would be synchronous and the design's asynchrony would go unchecked.
  out.push({ design: 'async-pf-user', arch: 'x86', backing: 'guest_memfd', vcpus: 2, pages: 2 });
  // Firecracker's guest_memfd + userfaultfd design: KVM's own accesses (the kvm-clock
  // write, the ITS table reads) reach the VMM through the guest_memfd mapping's uffd.
  out.push({ design: 'gmem-minor', arch: 'x86', backing: 'guest_memfd', vcpus: 2, pages: 2, control: { kvmClockGfn: 1 } });
  out.push({ design: 'gmem-minor', arch: 'arm64', backing: 'guest_memfd', series: 'v2-firecracker', vcpus: 2, pages: 2, control: { itsTables: [1] } });
  // Affordable since states are stored compactly (issue 14): rows that exercise the rules
  // the 3-vCPU rows above leave alone. Four vCPUs (193,808 states, about 7 s).
  out.push({ design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 4, pages: 2 });
  // Huge pages with KVM_MEM_USERFAULT turned off at the end: huge mappings are rebuilt,
  // in place on x86 (TDP MMU recovery), by zap and refault on arm64.
  for (const arch of ARCHES) out.push({ design: 'kvm-userfault', arch, backing: 'hugetlb', vcpus: 3, pages: 2, control: { disableUserfaultAtEnd: true } });
  // KVM_MEM_USERFAULT turned on while the vCPUs run, and a dirty-logging round (write protection, review M4).
  out.push({ design: 'kvm-userfault', arch: 'arm64', backing: 'anon', vcpus: 3, pages: 2, control: { enableUserfault: true } });
  out.push({ design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 3, pages: 2, control: { toggleDirtyLog: true } });
  // The guest gives a page up: a REMOVE event, and the EAGAIN window until madvise() returns (review V1).
  out.push({ design: 'uffd', arch: 'x86', backing: 'anon', vcpus: 3, pages: 2, control: { balloon: [1] } });
  return out;
}

/** The words of the `kvmuf check` command line that runs this one configuration. */
export function commandWordsFor(cfg: SystemConfig, handler: string | undefined): string[] {
  const words = ['kvmuf', 'check', '--design', cfg.design, '--arch', cfg.arch, '--backing', cfg.backing, '--vcpus', String(cfg.vcpus), '--pages', String(cfg.pages)];
  if (cfg.uffdMode) words.push('--uffd', cfg.uffdMode);
  if (cfg.series) words.push('--series', cfg.series);
  if (cfg.mmu) words.push('--mmu', cfg.mmu);
  if (cfg.gmemWrite) words.push('--gmem-write', cfg.gmemWrite);
  if (cfg.gmemUffd) words.push('--gmem-uffd', cfg.gmemUffd);
  if (cfg.asyncPfScope) words.push('--async-pf-scope', cfg.asyncPfScope);
  if (cfg.uffdEagainField) words.push('--uffd-eagain-field', cfg.uffdEagainField);
  if (cfg.arm64WpFault) words.push('--arm64-wp-fault', cfg.arm64WpFault);
  if (cfg.thp) words.push('--thp');
  words.push(...shapeWords(cfg));
  if (handler) words.push('--handler', handler);
  return words;
}

/** That command line, quoted for a POSIX shell. */
export function commandFor(cfg: SystemConfig, handler: string | undefined): string {
  return shellCommand(commandWordsFor(cfg, handler));
}

/** Flags that describe one configuration (shared by check and replay). */
export const CONFIG_FLAG_NAMES = ['design', 'arch', 'backing', 'vcpus', 'pages', 'uffd', 'series', 'gmem-write', 'gmem-uffd', 'async-pf-scope', 'uffd-eagain-field', 'arm64-wp-fault', 'mmu', 'thp', 'memslots', 'remote', 'program', 'huge-pages', 'its', 'kvm-clock', 'kvm-clock-page', 'steal-time', 'balloon', 'late-enable', 'dirty-log-round', 'disable-at-end', 'control-first', 'scenario', 'handler'] as const;

/** The configuration the flags describe (defaults: kvm-userfault, x86, anon, 2 vCPUs, 2 pages). */
export function configFromFlags(given: ParsedFlags): SystemConfig {
  const flags = withScenario(given);
  const design = (flags.design as DesignName | undefined) ?? 'kvm-userfault';
  const shape = shapeFromFlags(flags);
  return {
    design,
    arch: (flags.arch as Arch | undefined) ?? 'x86',
    // gmem-minor exists only on guest_memfd: its default backing.
    backing: (flags.backing as Backing | undefined) ?? (design === 'gmem-minor' ? 'guest_memfd' : 'anon'),
    vcpus: (flags.vcpus as number | undefined) ?? 2,
    pages: (flags.pages as number | undefined) ?? (shape.memslots ? memslotSpan(shape.memslots) : 2),
    ...(flags.uffd ? { uffdMode: flags.uffd as UffdMode } : {}),
    ...(flags.series ? { series: flags.series as UserfaultSeries } : {}),
    ...(flags.mmu ? { mmu: flags.mmu as X86Mmu } : {}),
    ...(flags['gmem-write'] ? { gmemWrite: flags['gmem-write'] as GmemWriteSemantics } : {}),
    ...(flags['gmem-uffd'] ? { gmemUffd: flags['gmem-uffd'] as GmemUffdSupport } : {}),
    ...(flags['async-pf-scope'] ? { asyncPfScope: flags['async-pf-scope'] as AsyncPfScope } : {}),
    ...(flags['uffd-eagain-field'] ? { uffdEagainField: flags['uffd-eagain-field'] as UffdEagainField } : {}),
    ...(flags['arm64-wp-fault'] ? { arm64WpFault: flags['arm64-wp-fault'] as Arm64WpFault } : {}),
    ...(flags.thp ? { thp: true } : {}),
    ...shape,
  };
}

/** The flags of a --scenario file, overridden by those given on the command line (the handler included). */
export function withScenario(flags: ParsedFlags): ParsedFlags {
  if (typeof flags.scenario !== 'string') return flags;
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  return { ...scenarioFlags(flags.scenario, CHECK_FLAGS), ...given };
}

/** The configurations a check command line covers: one, or the default matrix. */
export function configsOf(flags: ParsedFlags): SystemConfig[] {
  const single = CONFIG_FLAG_NAMES.some((f) => flags[f] !== undefined);
  return single ? [configFromFlags(flags)] : defaultMatrix();
}

/** How the CLI watches a run from outside (the worker passes these). */
export interface RunHooks {
  readonly progress?: (label: string, index: number, p: Progress) => void;
  readonly signal?: { readonly aborted: boolean };
  /** Told when each configuration starts. */
  readonly startConfig?: (index: number) => void;
  /** Handler steps from users' files report here (the step watchdog). */
  readonly watch?: StepWatch;
  /** The search writes the path to the state it expands here. */
  readonly expandingPath?: Int32Array;
  readonly memoryUsed?: () => number;
  /** Called before a single configuration's exhaustive run (the worker estimates it and advises). */
  readonly beforeSearch?: (system: System) => void;
}

/** The runtime checks for a handler: on for users' files, off for bundled handlers. */
export function runtimeFor(handler: ResolvedHandler, flags: ParsedFlags, watch?: StepWatch): HandlerRuntimeOptions {
  if (!handler.fromFile) return {};
  return { checkDeterminism: (flags['determinism-check'] as boolean | undefined) ?? true, freezeStates: true, ...(watch ? { watch } : {}) };
}

/** --por combines with neither --symmetry nor --max-preemptions (KVMUF007). */
function checkPorFlags(flags: ParsedFlags): void {
  if (flags.por !== true) return;
  // Ample sets on the symmetry quotient need an independence relation that commutes with
  // the renaming; and a preemption bound cuts paths that C1 relies on. Neither is argued here.
  if (flags.symmetry === true) throw new ConfigError('KVMUF007', 'kvmuf check: --por and --symmetry cannot be combined (partial-order reduction on the symmetry quotient is not shown sound here)', 'use one of them: --por or --symmetry');
  if (flags['max-preemptions'] !== undefined) throw new ConfigError('KVMUF007', 'kvmuf check: --por and --max-preemptions cannot be combined (a preemption bound cuts the paths the reduction relies on)', 'drop --por for a bounded search');
}

export async function runCheck(flags: ParsedFlags, hooks: RunHooks = {}): Promise<CheckOutcome> {
  checkPorFlags(flags);
  const handlerFlag = flags.handler as string | undefined;
  const configs = configsOf(flags);
  const runs: CheckRun[] = [];
  for (const [index, cfg] of configs.entries()) {
    if (hooks.signal?.aborted) break; // Ctrl-C: the configurations not started are left out
    hooks.startConfig?.(index);
    const handler = await resolveHandler(handlerFlag, cfg.design);
    const system = composeSystem(cfg, handler.strategy, { runtime: runtimeFor(handler, flags, hooks.watch) });
    const label = `${cfg.design}/${cfg.arch}/${cfg.backing}`;
    const started = performance.now();
    const refinement = specRefinement(system);
    const symmetry = flags.symmetry === true;
    // The refinement check names spec instances by vCPU index in the state it marks, so a
    // renamed state is not the same state: under --symmetry it is left out (said in the output).
    // Partial-order reduction, like symmetry, is for safety; the refinement check judges every
    // transition, and a reduced search takes fewer of them: under --por it is left out too.
    const por = flags.por === true;
    const model = symmetry ? systemModel(system, { symmetry }) : por ? systemModel(system, { partialOrder: true }) : systemModel(system, { refinement });
    const maxMemory = flags['max-memory'] as number | undefined;
    // Every property gets its own shortest counterexample: keep exploring past the first failure.
    const options: CheckOptions = {
      stopAtFirst: false,
      ...(flags['max-states'] !== undefined ? { maxStates: flags['max-states'] as number } : {}),
      ...(flags.timeout !== undefined ? { maxTimeMs: (flags.timeout as number) * 1000 } : {}),
      ...(hooks.progress ? { progress: (p: Progress) => hooks.progress?.(label, index, p) } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      ...(maxMemory !== undefined && hooks.memoryUsed ? { maxMemoryBytes: maxMemory * 2 ** 20, memoryUsed: hooks.memoryUsed } : {}),
      ...(hooks.expandingPath && handler.fromFile ? { expandingPath: hooks.expandingPath } : {}),
      // Symmetry is sound for safety only: with --symmetry, liveness is not checked (said in the output).
      ...(symmetry ? { liveness: false, symmetry: true } : {}),
      ...(por ? { liveness: false, partialOrder: true } : {}),
    };
    const maxPreemptions = flags['max-preemptions'] as number | undefined;
    if (configs.length === 1 && maxPreemptions === undefined) hooks.beforeSearch?.(system);
    const bounded = maxPreemptions === undefined ? undefined : checkWithPreemptionBound(model, maxPreemptions, (_s, t) => t, options);
    const result = bounded?.result ?? check(model, options);
    const counterexamples = result.failures.map((f) => explainFailure(system, model, f));
    const edge = (t: { machine: string; from: string; event: string; to: string }) => `${t.machine}: ${t.from} -${t.event}-> ${t.to}`;
    const spec = { taken: refinement.taken().length, uncovered: refinement.uncovered().map(edge), transitions: refinement.taken().map(edge) };
    runs.push({ system, result, spec, counterexamples, ...(bounded ? { preemptions: { bound: bounded.bound, max: bounded.maxPreemptions, pruned: bounded.pruned } } : {}), ...(symmetry ? { symmetry: { groups: symmetryGroupsOf(system), workers: workerGroupsOf(system).map((g) => g.map((t) => system.threads[t]?.name ?? String(t))) } } : {}), ...(por ? { por: { refusal: partialOrderRefusal(partialOrderInputs(system)) } } : {}), elapsedMs: performance.now() - started, command: maxPreemptions === undefined ? commandFor(cfg, handlerFlag) : shellCommand([...commandWordsFor(cfg, handlerFlag), '--max-preemptions', String(maxPreemptions)]), commandWords: commandWordsFor(cfg, handlerFlag), ...(handlerFlag ? { handlerFile: handlerFlag } : {}) });
  }
  return { runs };
}

