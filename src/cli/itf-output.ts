/** `kvmuf check --itf FILE`: the first counterexample of the run as ITF JSON. */
import { toItf } from '../report/itf.ts';
import type { CheckOutcome } from './check-command.ts';
import { firstCounterexample } from './first-counterexample.ts';
import { writeOutFile } from './out-file.ts';

export function writeItf(outcome: CheckOutcome, file: string): void {
  const first = firstCounterexample(outcome);
  if (!first) {
    process.stderr.write(`no counterexample: ${file} not written\n`);
    return;
  }
  const { run, failure: f, cx } = first;
  const what = f.kind === 'deadlock' ? 'deadlock' : `${f.kind}: ${f.property}`;
  writeOutFile('itf', file, `${JSON.stringify(toItf(run.system, cx, `${run.command} — ${what}`), null, 2)}\n`);
  process.stderr.write(`wrote the counterexample to ${file} (ITF)\n`);
}
