/**
 * `kvmuf report [check options] [--out FILE]`: one self-contained HTML report of a check
 * run. The run goes through the same supervised worker as `kvmuf check` (step watchdog,
 * Ctrl-C, --timeout, memory), which renders and writes the file.
 */
import { SPEC_MACHINES } from '../../properties/spec-machines.ts';
import { toDot } from '../report/diagram.ts';
import { reportHtml } from '../report/html.ts';
import { specCoverageOf } from '../report/spec-coverage.ts';
import { dotToSvg, inlineSvg } from '../report/svg.ts';
import { ConfigError } from '../system/config-error.ts';
import { parseArgs, type CommandSpec, type FlagSpec } from './args.ts';
import { CHECK_FLAGS, type CheckOutcome } from './check-command.ts';
import { superviseCheck } from './check-supervisor.ts';
import { checkOutFile } from './out-file.ts';

export const REPORT_FLAGS: readonly FlagSpec[] = [
  ...CHECK_FLAGS.filter((f) => !['json', 'itf', 'format', 'emit-test'].includes(f.name)),
  { name: 'out', kind: 'string', value: 'FILE', help: 'the HTML file to write (an existing one is overwritten)', default: 'kvmuf-report.html', example: 'report.html' },
];

export const REPORT_COMMAND: CommandSpec = {
  name: 'report',
  summary: 'run kvmuf check and write one self-contained HTML report of it',
  flags: REPORT_FLAGS,
};

/** The report's HTML: the results, and the spec machines drawn with this run's coverage. */
export async function renderReport(outcome: CheckOutcome): Promise<string> {
  const coverage = specCoverageOf(outcome);
  const diagrams = await Promise.all(SPEC_MACHINES.map(async (m) => ({ name: m.name, title: m.title, svg: inlineSvg(await dotToSvg(toDot(m.machine, coverage.get(m.name)))) })));
  return reportHtml(outcome, diagrams);
}

/** Parse the flags, then run and write the report under the supervisor; returns the exit status. */
export async function runReport(argv: readonly string[]): Promise<number> {
  const { flags, positionals } = parseArgs('report', argv, REPORT_FLAGS);
  if (positionals.length > 0) throw new ConfigError('KVMUF004', `kvmuf report: unexpected argument '${positionals[0]}'`, 'flags start with --');
  const file = (flags.out as string | undefined) ?? 'kvmuf-report.html';
  checkOutFile('out', file);
  const progress = (flags.progress as boolean | undefined) ?? process.stderr.isTTY === true;
  return superviseCheck(flags, progress, { kind: 'report', out: file });
}
