/**
 * `kvmuf check` runs its search in this worker thread, so that the main thread stays
 * free to handle Ctrl-C: it raises a flag in shared memory, which the search polls, and
 * the run ends with a partial summary. The worker formats the output itself (results
 * hold functions, which cannot cross threads) and posts text back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { formatProgress } from '../checker/index.ts';
import { ConfigError } from '../system/config-error.ts';
import type { ParsedFlags } from './args.ts';
import { runCheck } from './check-command.ts';
import { writeItf } from './itf-output.ts';
import { exitStatus, formatText, toJson } from './output.ts';

export type WorkerMessage =
  | { readonly type: 'progress'; readonly text: string }
  | { readonly type: 'done'; readonly stdout: string; readonly status: number; readonly interrupted: boolean }
  | { readonly type: 'bad-input'; readonly code: string; readonly message: string; readonly hint: string };

const { flags, shared, progress } = workerData as { flags: ParsedFlags; shared: Int32Array; progress: boolean };
const post = (m: WorkerMessage) => parentPort?.postMessage(m);
const signal = {
  get aborted() {
    return Atomics.load(shared, 0) === 1;
  },
};

try {
  const outcome = await runCheck(flags, progress ? (label, p) => post({ type: 'progress', text: `${label}: ${formatProgress(p)}` }) : undefined, signal);
  if (typeof flags.itf === 'string') writeItf(outcome, flags.itf);
  const stdout = flags.json ? `${JSON.stringify(toJson(outcome), null, 2)}\n` : `${formatText(outcome)}\n`;
  post({ type: 'done', stdout, status: exitStatus(outcome.runs), interrupted: signal.aborted });
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  post({ type: 'bad-input', code: e.code, message: e.message, hint: e.hint });
}
