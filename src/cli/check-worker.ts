/**
 * `kvmuf check` runs its search in this worker thread, so that the main thread stays free
 * to supervise it (check-supervisor.ts): Ctrl-C and --timeout raise a stop flag that the
 * search polls, and a handler step that never returns is seen from outside through the
 * shared status. The worker formats the output itself (results hold functions, which
 * cannot cross threads) and posts text back; for `kvmuf report` it writes the HTML file
 * here too, so a looping handler step cannot hang the report either; `kvmuf replay` runs
 * here as well.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { ExpansionError, formatProgress, type Progress } from '../checker/index.ts';
import { ConfigError } from '../system/config-error.ts';
import { HandlerFault } from '../system/handler-fault.ts';
import type { ParsedFlags } from './args.ts';
import { runCheck, type CheckOutcome } from './check-command.ts';
import { writeEmittedTest } from './emit-test.ts';
import { adviseOnFit } from './estimate-output.ts';
import { writeOutFile } from './out-file.ts';
import { handlerFaultTrace } from './handler-fault-output.ts';
import { writeItf } from './itf-output.ts';
import { replayText } from './replay-command.ts';
import { exitStatus, formatText, toJson } from './output.ts';
import { SharedStatus } from './shared-status.ts';

export type WorkerMessage =
  | { readonly type: 'progress'; readonly text: string; readonly label: string; readonly progress: Progress }
  | { readonly type: 'done'; readonly stdout: string; readonly status: number; readonly interrupted: boolean }
  | { readonly type: 'bad-input'; readonly code: string; readonly message: string; readonly hint: string; readonly trace?: string }
  | { readonly type: 'internal'; readonly message: string; readonly stack: string }
  /** A replay starts on this system: the names of its threads and their steps (to name a stuck step). */
  | { readonly type: 'site'; readonly handler: string; readonly threads: readonly { readonly name: string; readonly steps: readonly string[] }[] };

/** What the worker does with the results: print them (check), or write the HTML report. */
export type WorkerJob = { readonly kind: 'check' } | { readonly kind: 'report'; readonly out: string } | { readonly kind: 'replay'; readonly argv: readonly string[] } | { readonly kind: 'simulate' };

export interface WorkerInput {
  readonly flags: ParsedFlags;
  readonly status: SharedArrayBuffer;
  readonly job: WorkerJob;
}

const { flags, status: buffer, job } = workerData as WorkerInput;
const status = new SharedStatus(buffer);
const post = (m: WorkerMessage) => parentPort?.postMessage(m);
const signal = {
  get aborted() {
    return status.stopRequested;
  },
};

/** Heap in use plus typed arrays and other memory held outside the heap, in this thread. */
function memoryUsed(): number {
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

async function resultText(outcome: CheckOutcome): Promise<string> {
  if (job.kind === 'report') {
    // Loaded only for a report: Graphviz (WebAssembly) would slow every check's start.
    const { renderReport } = await import('./report-command.ts');
    writeOutFile('out', job.out, await renderReport(outcome));
    return `wrote ${job.out}\n`;
  }
  if (flags.json) return `${JSON.stringify(toJson(outcome), null, 2)}\n`;
  return `${formatText(outcome, flags.format === 'columns' ? 'columns' : 'text')}\n`;
}

/** Handler steps report to the watchdog in the main thread. */
const watch = { enter: (t: number, pc: number) => status.stepEnter(t, pc), leave: () => status.stepLeave() };

async function checkJob(): Promise<void> {
  if (flags.estimate === true) {
    const { estimateText } = await import('./estimate-output.ts');
    post({ type: 'done', stdout: await estimateText(flags, status.pathSink, watch, signal), status: signal.aborted ? 3 : 0, interrupted: signal.aborted });
    return;
  }
  const outcome = await runCheck(flags, {
    progress: (label, _index, p) => post({ type: 'progress', text: `${label}: ${formatProgress(p)}`, label, progress: p }),
    signal,
    startConfig: (index) => {
      status.config = index;
    },
    watch,
    expandingPath: status.pathSink,
    memoryUsed,
    beforeSearch: (system) => adviseOnFit(system, flags, (text) => process.stderr.write(text), status.pathSink, signal),
  });
  if (typeof flags.itf === 'string') writeItf(outcome, flags.itf);
  if (typeof flags['emit-test'] === 'string') writeEmittedTest(outcome, flags['emit-test']);
  const stdout = await resultText(outcome);
  post({ type: 'done', stdout, status: exitStatus(outcome.runs), interrupted: signal.aborted });
}

async function replayJob(argv: readonly string[]): Promise<void> {
  const r = await replayText(argv, {
    watch,
    system: (sys) => post({ type: 'site', handler: sys.strategy.name, threads: sys.threads.map((t) => ({ name: t.name, steps: t.steps.map((st) => st.label) })) }),
  });
  post({ type: 'done', stdout: r.text, status: r.status, interrupted: false });
}

/** kvmuf simulate: the sampled runs, the results file, the text. */
async function simulateJob(): Promise<void> {
  const { runSimulate } = await import('./simulate-run.ts');
  const { emitResults } = await import('./simulate-command.ts');
  const r = await runSimulate(flags, { signal, watch, expandingPath: status.pathSink });
  const stdout = emitResults(r, flags.out as string | undefined, flags.json === true, 'simulate');
  post({ type: 'done', stdout, status: r.exitStatus, interrupted: signal.aborted });
}

try {
  // Testing aid: an internal error on demand, to show how one is reported (exit 4).
  if (process.env.KVMUF_INJECT_INTERNAL_ERROR) throw new Error('injected internal error (KVMUF_INJECT_INTERNAL_ERROR)');
  if (job.kind === 'replay') await replayJob(job.argv);
  else if (job.kind === 'simulate') await simulateJob();
  else await checkJob();
} catch (e) {
  const cause = e instanceof ExpansionError ? e.cause : e;
  if (cause instanceof ConfigError) post({ type: 'bad-input', code: cause.code, message: cause.message, hint: cause.hint });
  else if (cause instanceof HandlerFault) {
    const trace = e instanceof ExpansionError ? await handlerFaultTrace(flags, status.config, e.chain) : undefined;
    post({ type: 'bad-input', code: cause.code, message: cause.message, hint: cause.hint, ...(trace ? { trace } : {}) });
  } else {
    const err = cause instanceof Error ? cause : new Error(String(cause));
    post({ type: 'internal', message: `${err.name}: ${err.message}`, stack: err.stack ?? err.message });
  }
}
