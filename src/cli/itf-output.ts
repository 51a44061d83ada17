/** `kvmuf check --itf FILE`: the first counterexample of the run as ITF JSON. */
import { toItf } from '../report/itf.ts';
import type { CheckOutcome } from './check-command.ts';
import { writeOutFile } from './out-file.ts';

export function writeItf(outcome: CheckOutcome, file: string): void {
  for (const run of outcome.runs) {
    const i = run.counterexamples.findIndex((c) => c !== undefined);
    const cx = run.counterexamples[i];
    const f = run.result.failures[i];
    if (!cx || !f) continue;
    const what = f.kind === 'deadlock' ? 'deadlock' : `${f.kind}: ${f.property}`;
    writeOutFile('itf', file, `${JSON.stringify(toItf(run.system, cx, `${run.command} — ${what}`), null, 2)}\n`);
    process.stderr.write(`wrote the counterexample to ${file} (ITF)\n`);
    return;
  }
  process.stderr.write(`no counterexample: ${file} not written\n`);
}
