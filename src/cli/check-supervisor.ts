/**
 * The main thread's side of `kvmuf check` and `kvmuf report`: it starts the search in a worker
 * (check-worker.ts) and stays in charge of ending it. Ctrl-C and --timeout raise the stop
 * flag and, should a handler step not return, end the worker after a short grace; a
 * handler step that runs longer than --step-timeout is a handler fault reported with the
 * trace that reached it; a worker that runs out of memory ends the run as incomplete.
 * Whatever happens, the user gets a summary and a documented exit status.
 */
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Progress } from '../checker/index.ts';
import { SEARCH_YOUNG_GENERATION_MB } from '../checker/memory-budget.ts';
import { ConfigError } from '../system/config-error.ts';
import type { ParsedFlags } from './args.ts';
import type { WorkerInput, WorkerJob, WorkerMessage } from './check-worker.ts';
import { configFromFlags, configsOf, resolveHandler } from './check-command.ts';
import { simParams } from './simulate-run.ts';
import { composeSystem } from '../system/model.ts';
import { faultSite } from './handler-fault-output.ts';
import { InternalError } from './internal-error.ts';
import { EXIT } from './output.ts';
import { SharedStatus } from './shared-status.ts';

export const DEFAULT_STEP_TIMEOUT_MS = 5000;
/** How long a stop request may go unanswered (a stuck step) before the worker is ended. */
const GRACE_MS = 1000;
/** The search checks --timeout itself every 1024 states; the main thread steps in this much later. */
const TIMEOUT_SLACK_MS = 500;
const POLL_MS = 100;

/** Default --max-memory: three quarters of this process's heap limit, in MiB. */
export function defaultMaxMemoryMb(): number {
  return Math.floor((getHeapStatistics().heap_size_limit * 0.75) / 2 ** 20);
}

/** The system a replay runs on, as the worker describes it. */
type ReplaySite = Omit<Extract<WorkerMessage, { type: 'site' }>, 'type'>;

interface LastProgress {
  readonly label: string;
  readonly progress: Progress;
}

type Ending =
  | { readonly kind: 'done'; readonly stdout: string; readonly status: number; readonly interrupted: boolean }
  | { readonly kind: 'bad-input'; readonly error: ConfigError }
  | { readonly kind: 'internal'; readonly message: string; readonly stack: string }
  | { readonly kind: 'stuck-step'; readonly thread: number; readonly pc: number; readonly chain: ReturnType<SharedStatus['expandingPath']>; readonly config: number; readonly site?: ReplaySite }
  | { readonly kind: 'cut-short'; readonly reason: string };

export async function superviseCheck(flags: ParsedFlags, showProgress: boolean, job: WorkerJob = { kind: 'check' }): Promise<number> {
  const status = new SharedStatus();
  const maxMemoryMb = (flags['max-memory'] as number | undefined) ?? defaultMaxMemoryMb();
  const stepTimeoutMs = (flags['step-timeout'] as number | undefined) ?? DEFAULT_STEP_TIMEOUT_MS;
  // Testing aid: KVMUF_WORKER_HEAP_MB sets the backstop itself, to show a worker that dies of memory.
  const backstopMb = Number(process.env.KVMUF_WORKER_HEAP_MB ?? '') || maxMemoryMb + 512;
  const input: WorkerInput = { flags: { ...flags, 'max-memory': maxMemoryMb }, status: status.buffer, job };
  const worker = new Worker(new URL('./check-worker.js', import.meta.url), {
    workerData: input,
    // The search stops itself at --max-memory; the heap limit sits above it as a backstop.
    // A small young generation keeps the resident set near what the search holds (memory-budget.ts).
    resourceLimits: { maxOldGenerationSizeMb: backstopMb, maxYoungGenerationSizeMb: SEARCH_YOUNG_GENERATION_MB },
    stdout: false,
    stderr: false,
  });
  let last: LastProgress | undefined;
  let site: ReplaySite | undefined;
  let stopAt = Number.POSITIVE_INFINITY; // when a stop request runs out of grace
  const timeoutS = flags.timeout as number | undefined;
  const deadline = timeoutS === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutS * 1000 + TIMEOUT_SLACK_MS;
  let stopReason = '';
  const requestStop = (reason: string) => {
    if (stopAt !== Number.POSITIVE_INFINITY) return;
    stopReason = reason;
    status.requestStop();
    stopAt = Date.now() + GRACE_MS;
  };
  const onSigint = () => requestStop('interrupted (Ctrl-C)');
  process.on('SIGINT', onSigint);

  const ending = await new Promise<Ending>((resolve) => {
    let seenCounter = -1;
    let stuckSince = 0;
    const timer = setInterval(() => {
      const now = Date.now();
      const counter = status.stepCounter;
      if (counter % 2 === 1 && counter === seenCounter) {
        if (now - stuckSince >= stepTimeoutMs) {
          const { thread, pc } = status.runningStep;
          resolve({ kind: 'stuck-step', thread, pc, chain: status.expandingPath(), config: status.config, ...(site ? { site } : {}) });
          return;
        }
      } else {
        seenCounter = counter;
        stuckSince = now;
      }
      if (now >= deadline) requestStop(`stopped at the time limit of ${timeoutS} s`);
      if (now >= stopAt) resolve({ kind: 'cut-short', reason: `${stopReason}; a handler step did not return, so the search was ended` });
    }, POLL_MS);
    const finish = (e: Ending) => {
      clearInterval(timer);
      resolve(e);
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'site') site = { handler: m.handler, threads: m.threads };
      else if (m.type === 'progress') {
        last = { label: m.label, progress: m.progress };
        if (showProgress) process.stderr.write(`\r${m.text}   `);
      } else if (m.type === 'bad-input') finish({ kind: 'bad-input', error: new ConfigError(m.code, m.message, m.hint, m.trace) });
      else if (m.type === 'internal') finish({ kind: 'internal', message: m.message, stack: m.stack });
      else finish({ kind: 'done', stdout: m.stdout, status: m.status, interrupted: m.interrupted });
    });
    worker.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') finish({ kind: 'cut-short', reason: `the search ran out of memory (heap limit ${backstopMb} MiB); lower --max-memory to stop cleanly before it` });
      else finish({ kind: 'internal', message: `${e.name}: ${e.message}`, stack: e.stack ?? e.message });
    });
    worker.on('exit', (code) => finish({ kind: 'internal', message: `the check worker exited (code ${code}) without a result`, stack: '' }));
  });
  process.off('SIGINT', onSigint);
  await worker.terminate();
  if (showProgress && last) process.stderr.write('\n');
  return report(ending, flags, last, stepTimeoutMs, job);
}

/** The first line of a report the supervisor writes itself: the command that ran, and its seed. */
function seedLine(flags: ParsedFlags, job: WorkerJob): string {
  if (job.kind === 'simulate') {
    // simulate's seed defaults to one derived from the configuration (simulate-run.ts).
    return `kvmuf simulate (seed ${simParams(flags, configFromFlags(flags)).seed})`;
  }
  return `kvmuf ${job.kind} (seed ${(flags.seed as number | undefined) ?? 1})`;
}

async function report(ending: Ending, flags: ParsedFlags, last: LastProgress | undefined, stepTimeoutMs: number, job: WorkerJob): Promise<number> {
  const json = flags.json === true;
  switch (ending.kind) {
    case 'done':
      if (ending.interrupted) process.stderr.write('interrupted: the summary below is partial\n');
      process.stdout.write(ending.stdout);
      return ending.interrupted ? EXIT.incomplete : ending.status;
    case 'bad-input':
      throw ending.error;
    case 'internal':
      throw new InternalError(ending.message, ending.stack);
    case 'cut-short': {
      const covered = last
        ? `explored at least ${last.progress.distinct} distinct states of ${last.label} (last progress report, depth ${last.progress.depth}, ${(last.progress.elapsedMs / 1000).toFixed(1)} s)`
        : 'it ended before the first progress report (after 1024 states and 1 s)';
      if (json) process.stdout.write(`${JSON.stringify({ exitStatus: EXIT.incomplete, incomplete: { reason: ending.reason, covered: last ?? null } }, null, 2)}\n`);
      else process.stdout.write(`${seedLine(flags, job)}\nINCOMPLETE: ${ending.reason}; ${covered}\n`);
      return EXIT.incomplete;
    }
    case 'stuck-step':
      return reportStuckStep(ending, flags, stepTimeoutMs, job);
  }
}

async function reportStuckStep(e: Extract<Ending, { kind: 'stuck-step' }>, flags: ParsedFlags, stepTimeoutMs: number, job: WorkerJob): Promise<number> {
  if (e.site) return reportStuckReplayStep(e, e.site, stepTimeoutMs);
  const cfg = configsOf(flags)[e.config];
  const site = e.chain ? await faultSite(flags, e.config, e.chain) : undefined;
  const { threadName, stepLabel, handlerName } = await stepNames(flags, e);
  const what = `handler fault: ${threadName}, step '${stepLabel}' did not return within ${stepTimeoutMs} ms (an endless loop, or a step that blocks)`;
  if (flags.json === true) {
    const fault = { kind: 'step-timeout', thread: threadName, step: stepLabel, timeoutMs: stepTimeoutMs, configuration: cfg ?? null, ...(site ? { path: site.path, steps: site.lines, command: site.command } : {}) };
    process.stdout.write(`${JSON.stringify({ exitStatus: EXIT.fail, handlerFault: fault }, null, 2)}\n`);
    return EXIT.fail;
  }
  const lines = [seedLine(flags, job), '', `FAIL ${site?.configuration ?? ''} (handler ${handlerName})`, `  ${what}`];
  if (site) lines.push(...site.lines, `  path ${site.path}`, `  reproduce: ${site.command}`);
  else lines.push('  (the path to this state was too long to record)');
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.fail;
}

async function stepNames(flags: ParsedFlags, e: Extract<Ending, { kind: 'stuck-step' }>): Promise<{ threadName: string; stepLabel: string; handlerName: string }> {
  const cfg = configsOf(flags)[e.config];
  const handler = await resolveHandler(flags.handler as string | undefined, cfg?.design ?? 'kvm-userfault');
  if (!cfg) return { threadName: `thread ${e.thread}`, stepLabel: `#${e.pc}`, handlerName: handler.strategy.name };
  const sys = composeSystem(cfg, handler.strategy);
  const spec = sys.threads[e.thread];
  return { threadName: spec?.name ?? `thread ${e.thread}`, stepLabel: spec?.steps[e.pc]?.label ?? `#${e.pc}`, handlerName: handler.strategy.name };
}

/** A step that never returned while a trace was replayed (the handler changed since it was recorded, or is nondeterministic). */
function reportStuckReplayStep(e: Extract<Ending, { kind: 'stuck-step' }>, site: ReplaySite, stepTimeoutMs: number): number {
  const thread = site.threads[e.thread];
  const what = `${thread?.name ?? `thread ${e.thread}`}, step '${thread?.steps[e.pc] ?? `#${e.pc}`}'`;
  process.stdout.write(`replay (handler ${site.handler})\n  handler fault: ${what} did not return within ${stepTimeoutMs} ms (an endless loop, or a step that blocks)\n`);
  return EXIT.fail;
}
