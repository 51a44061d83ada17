/** `kvmuf report [check options] [--out FILE]`: one self-contained HTML report of a check run. */
import { SPEC_MACHINES } from '../../properties/spec-machines.ts';
import { toDot } from '../report/diagram.ts';
import { reportHtml } from '../report/html.ts';
import { dotToSvg, inlineSvg } from '../report/svg.ts';
import { ConfigError } from '../system/config-error.ts';
import { parseArgs, type CommandSpec, type FlagSpec } from './args.ts';
import { CHECK_FLAGS, runCheck } from './check-command.ts';
import { checkOutFile, writeOutFile } from './out-file.ts';
import { exitStatus } from './output.ts';

export const REPORT_FLAGS: readonly FlagSpec[] = [
  ...CHECK_FLAGS.filter((f) => !['json', 'itf', 'progress'].includes(f.name)),
  { name: 'out', kind: 'string', value: 'FILE', help: 'the HTML file to write (an existing one is overwritten)', default: 'kvmuf-report.html', example: 'report.html' },
];

export const REPORT_COMMAND: CommandSpec = {
  name: 'report',
  summary: 'run kvmuf check and write one self-contained HTML report of it',
  flags: REPORT_FLAGS,
};

export async function writeReport(argv: readonly string[]): Promise<{ file: string; status: number }> {
  const { flags, positionals } = parseArgs('report', argv, REPORT_FLAGS);
  if (positionals.length > 0) throw new ConfigError('KVMUF004', `kvmuf report: unexpected argument '${positionals[0]}'`, 'flags start with --');
  const file = (flags.out as string | undefined) ?? 'kvmuf-report.html';
  checkOutFile('out', file);
  const outcome = await runCheck(flags);
  const diagrams = await Promise.all(SPEC_MACHINES.map(async (m) => ({ name: m.name, title: m.title, svg: inlineSvg(await dotToSvg(toDot(m.machine))) })));
  writeOutFile('out', file, reportHtml(outcome, diagrams));
  return { file, status: exitStatus(outcome.runs) };
}
