/**
 * The one place that turns results into text or JSON and decides the exit status:
 * 0 every property holds on a complete exploration, 1 a property fails, 2 bad input,
 * 3 incomplete (a limit was hit and nothing failed), 4 an internal error in kvmuf.
 */
import { asyncPfScopeNote } from './async-pf-note.ts';
import { type CheckResult, type Failure } from '../checker/index.ts';
import type { Counterexample } from '../report/counterexample.ts';
import { stuckText, stuckThreads, withCycle, type StuckThread } from '../system/stuck-threads.ts';
import type { CheckOutcome, CheckRun } from './check-command.ts';
import { configName as nameOf } from './config-name.ts';
import { columnsOf, columnsText } from '../report/columns.ts';
import { interactionsOf } from '../report/interactions.ts';
import { failureFingerprints, replayFileHeader, runRecord } from './replay-record.ts';
import { shellCommand } from './shell-quote.ts';
import { KVMUF_VERSION } from './version.ts';

export const EXIT = { pass: 0, fail: 1, badInput: 2, incomplete: 3, internal: 4 } as const;

export function exitStatus(runs: readonly CheckRun[]): number {
  if (runs.some((r) => r.result.status === 'fail')) return EXIT.fail;
  if (runs.some((r) => r.result.status === 'incomplete')) return EXIT.incomplete;
  return EXIT.pass;
}

function configName(r: CheckRun): string {
  return nameOf(r.system.config);
}

function coverageText(r: CheckResult): string {
  const fired = Object.keys(r.coverage.fired).length;
  const total = fired + r.coverage.neverFired.length;
  return `${fired}/${total} step kinds`;
}

/** The threads that must finish and have not, at the end of a deadlock trace or a lasso. */
function notFinished(run: CheckRun, cx: Counterexample | undefined): StuckThread[] {
  const last = cx?.states.at(-1);
  if (cx === undefined || last === undefined) return [];
  const list = stuckThreads(run.system, last);
  return cx.cycleStart === undefined ? list : withCycle(list, cx.steps.slice(cx.cycleStart).map((s) => s.label));
}

function stuckOf(run: CheckRun, cx: Counterexample | undefined): string {
  return stuckText(notFinished(run, cx));
}

function failureTitle(f: Failure, stuck: string): string {
  switch (f.kind) {
    case 'invariant':
      return `invariant violated: ${f.property}`;
    case 'deadlock':
      return `deadlock: no thread can move${stuck ? `; not finished: ${stuck}` : ''}`;
    case 'unwitnessed':
      return `never witnessed: ${f.property}`;
    case 'liveness':
      return `liveness violated: ${f.property} (a fair schedule postpones it forever)${stuck ? `; not finished: ${stuck}` : ''}`;
  }
}

/** An incomplete run whose safety search finished says so in the table: only liveness is missing. */
function verdictText(r: CheckResult): string {
  return r.status === 'incomplete' && r.safety === 'complete' ? 'INCOMPLETE (safety complete)' : r.status.toUpperCase();
}

function incompleteText(r: CheckResult): string {
  const i = r.incomplete;
  if (i === undefined) return '';
  if (r.safety === 'complete') return `${i.message}; exit status ${EXIT.incomplete} because liveness was not checked`;
  return `${i.message}; explored ${r.stats.distinct} states, every state to depth ${r.stats.depthFullyExplored}`;
}

export function stepLine(n: number, label: string): string {
  const dot = label.indexOf('.');
  const thread = dot > 0 ? label.slice(0, dot) : '';
  const rest = dot > 0 ? label.slice(dot + 1) : label;
  return `  ${String(n).padStart(3)}. ${thread.padEnd(12)} ${rest}`;
}

/** The command that replays one counterexample step by step (kvmuf replay). */
export function replayCommand(run: CheckRun, path: string): string {
  const [kvmuf = 'kvmuf', , ...flags] = run.commandWords;
  return shellCommand([kvmuf, 'replay', ...flags, '--path', path]);
}

/** How counterexamples are printed: a step per line with what changed, or one column per thread. */
export type TraceFormat = 'text' | 'columns';

export function formatCounterexample(run: CheckRun, f: Failure, format: TraceFormat = 'text'): string {
  const cx = run.counterexamples[run.result.failures.indexOf(f)];
  const lines = [`FAIL ${configName(run)} (handler ${run.system.strategy.name})`, `  ${failureTitle(f, stuckOf(run, cx))}`];
  if (!cx) return lines.join('\n');
  if (cx.specMessage) lines.push(`  ${cx.specMessage}`);
  if (format === 'columns') lines.push(...columnsText(columnsOf(interactionsOf(run.system, cx))));
  else cx.steps.forEach((step, i) => {
    if (i === cx.cycleStart) lines.push('  --- the cycle starts here and repeats forever ---');
    lines.push(stepLine(i + 1, step.label));
    if (step.changes.length > 0) lines.push(`${' '.repeat(20)}${step.changes.join('; ')}`);
  });
  if (format === 'text' && cx.cycleStart !== undefined && cx.cycleStart === cx.steps.length) lines.push('  --- stuck here forever (no thread can move) ---');
  lines.push(`  path ${cx.path}`);
  lines.push(`  reproduce: ${run.command}`);
  lines.push(`  replay:    ${replayCommand(run, cx.path)}`);
  return lines.join('\n');
}

/** What a context-bounded run (--max-preemptions) showed, and what it did not. */
function contextBoundText(run: CheckRun, p: NonNullable<CheckRun['preemptions']>): string {
  const at = (n: number) => (n === 0 ? 'no preemption' : `at most ${n} preemption${n === 1 ? '' : 's'}`);
  const head = `CONTEXT BOUND ${configName(run)} (states counted with the last thread and the preemptions used):`;
  if (run.result.status === 'fail') return `${head} counterexamples with ${at(p.bound)}${p.bound > 0 ? `, none with ${at(p.bound - 1)}` : ''} (fewest preemptions first; liveness not checked under a bound)`;
  if (p.pruned === 0) return `${head} the bound ${p.bound} cut no step, so every reachable state was explored (safety exhaustive; liveness not checked under a bound)`;
  return `${head} searched with ${at(p.bound)}; a bounded pass is not a proof (run without --max-preemptions for one, or sample further with kvmuf simulate)`;
}

/** What --symmetry did: which vCPUs and handler workers it treated as interchangeable, and what it leaves unchecked. */
function symmetryText(run: CheckRun, sym: NonNullable<CheckRun['symmetry']>): string {
  const head = `SYMMETRY ${configName(run)}:`;
  if ((sym.groups.length === 0 && sym.workers.length === 0) || !run.result.symmetry) {
    return `${head} no interchangeable vCPUs (it needs vCPUs with identical guest programs, a handler that promises vcpuSymmetric, no kvm-clock or steal time and no ITS restore that kicks the vCPUs, and not async-pf-user) and no interchangeable handler workers (threads built from the same steps, in a handler that promises workersSymmetric), so the search was not reduced; liveness and spec refinement not checked`;
  }
  const parts = [
    ...(sym.groups.length > 0 ? [`vCPUs ${sym.groups.map((g) => `{${g.join(',')}}`).join(' ')} interchangeable (identical guest programs)`] : []),
    ...(sym.workers.length > 0 ? [`handler threads ${sym.workers.map((g) => `{${g.join(',')}}`).join(' ')} interchangeable (the same steps)`] : []),
  ];
  return `${head} ${parts.join('; ')}; states counted up to renaming them; invariants exhaustive, liveness and spec refinement not checked under symmetry`;
}

/** What --por did: how many states it expanded by a KVM_RUN entry alone, and what it leaves unchecked. */
function porText(run: CheckRun, refusal: string | undefined): string {
  const head = `POR ${configName(run)}:`;
  const po = run.result.partialOrder;
  if (refusal !== undefined || po === undefined) {
    return `${head} not reduced (${refusal ?? 'no ample sets'}); liveness and spec refinement not checked`;
  }
  return `${head} ${po.reducedExpansions} of ${run.result.stats.distinct} states expanded by one vCPU's KVM_RUN entry alone (it commutes with every other step there); invariants and deadlocks exhaustive, liveness and spec refinement not checked, counterexamples not always the shortest`;
}

export function formatText(outcome: CheckOutcome, format: TraceFormat = 'text'): string {
  const rows = outcome.runs.map((r) => [
    configName(r),
    r.system.strategy.name,
    verdictText(r.result),
    String(r.result.stats.distinct),
    String(r.result.stats.depth),
    `${(r.elapsedMs / 1000).toFixed(2)} s`,
    coverageText(r.result),
    `${r.spec.taken}/${r.spec.taken + r.spec.uncovered.length} transitions`,
  ]);
  const header = ['configuration', 'handler', 'verdict', 'states', 'depth', 'time', 'coverage', 'spec'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const fmt = (row: readonly string[]) => row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [`kvmuf check (version ${KVMUF_VERSION})`, fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];
  for (const run of outcome.runs) {
    for (const f of run.result.failures) out.push('', formatCounterexample(run, f, format));
    if (run.result.incomplete) out.push('', `INCOMPLETE ${configName(run)}: ${incompleteText(run.result)}`);
    if (run.preemptions) out.push('', contextBoundText(run, run.preemptions));
    if (run.symmetry) out.push('', symmetryText(run, run.symmetry));
    if (run.por) out.push('', porText(run, run.por.refusal));
    const asyncNote = asyncPfScopeNote(run.system.config);
    if (asyncNote) out.push('', `NOTE ${configName(run)}: ${asyncNote}`);
  }
  const uncovered = outcome.runs.filter((r) => r.result.coverage.neverFired.length > 0 && r.result.status !== 'fail');
  if (uncovered.length > 0) {
    out.push('', 'steps that never ran (a handler path no interleaving needed):');
    for (const r of uncovered) out.push(`  ${configName(r)}: ${r.result.coverage.neverFired.join(', ')}`);
  }
  const total = outcome.runs.reduce((n, r) => n + r.result.stats.distinct, 0);
  const count = (status: CheckResult['status']) => outcome.runs.filter((r) => r.result.status === status).length;
  const incomplete = count('incomplete');
  const safe = outcome.runs.filter((r) => r.result.status === 'incomplete' && r.result.safety === 'complete').length;
  const incompleteCount = incomplete === 0 ? '' : `, ${incomplete} incomplete${safe > 0 ? ` (${safe} with safety complete)` : ''}`;
  out.push('', `${count('pass')} passed, ${count('fail')} failed${incompleteCount}: ${outcome.runs.length} configurations, ${total} distinct states`);
  return out.join('\n');
}

export function toJson(outcome: CheckOutcome): unknown {
  return {
    ...replayFileHeader(),
    exitStatus: exitStatus(outcome.runs),
    runs: outcome.runs.map((r) => ({
      ...runRecord(r.system.config, r.system.strategy.name, r.handlerFile),
      verdict: r.result.status,
      stats: r.result.stats,
      coverage: r.result.coverage,
      safety: r.result.safety,
      liveness: r.result.liveness,
      incomplete: r.result.incomplete ?? null,
      failures: r.result.failures.map((f, i) => {
        const cx = r.counterexamples[i];
        return {
          kind: f.kind,
          ...(f.kind !== 'deadlock' ? { property: f.property } : {}),
          ...(f.kind === 'deadlock' || f.kind === 'liveness' ? { notFinished: notFinished(r, cx) } : {}),
          // Under --por and --symmetry the run has no refinement check, so its states lack the
          // spec marks the replay's carry (and under symmetry they are representatives):
          // their fingerprints would not match; the path alone replays.
          ...(failureFingerprints(f) && !r.por && !r.symmetry ? { fingerprints: failureFingerprints(f) } : {}),
          ...(cx ? { path: cx.path, steps: cx.steps, ...(cx.cycleStart !== undefined ? { cycleStart: cx.cycleStart } : {}), ...(cx.specMessage ? { spec: cx.specMessage } : {}), replay: replayCommand(r, cx.path) } : {}),
        };
      }),
      spec: { transitionsTaken: r.spec.taken, uncovered: r.spec.uncovered },
      elapsedMs: Math.round(r.elapsedMs),
      command: r.command,
      ...(r.preemptions ? { preemptions: r.preemptions } : {}),
      ...(r.por ? { partialOrder: r.por.refusal === undefined && r.result.partialOrder ? r.result.partialOrder : { notReduced: r.por.refusal ?? 'no ample sets' } } : {}),
    })),
  };
}
