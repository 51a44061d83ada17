/**
 * The `kvmuf` command line: thin declarations over typed stages. Errors from bad input
 * carry a stable code and a hint and exit with status 2; nothing prints a stack trace
 * for them.
 */
import { ConfigError } from '../system/config-error.ts';
import { parseArgs, usageOf, wantsHelp, type CommandSpec } from './args.ts';
import { CHECK_COMMAND, CHECK_FLAGS, withScenario } from './check-command.ts';
import { superviseCheck } from './check-supervisor.ts';
import { InternalError } from './internal-error.ts';
import { checkOutFile } from './out-file.ts';
import { EXIT } from './output.ts';
import { LIST_COMMAND, listText } from './list-command.ts';
import { DIAGRAM_COMMAND, diagramText } from './diagram-command.ts';
import { REPLAY_COMMAND } from './replay-command.ts';
import { REPORT_COMMAND, runReport } from './report-command.ts';
import { MERGE_COMMAND, merge, simulate } from './simulate-command.ts';
import { SIMULATE_COMMAND } from './simulate-flags.ts';
import { KVMUF_VERSION } from './version.ts';

const COMMANDS: readonly CommandSpec[] = [CHECK_COMMAND, SIMULATE_COMMAND, MERGE_COMMAND, REPLAY_COMMAND, REPORT_COMMAND, DIAGRAM_COMMAND, LIST_COMMAND];

const USAGE = [
  'usage: kvmuf <command> [options]',
  'commands:',
  ...COMMANDS.map((c) => `  ${c.name.padEnd(10)}${c.summary}`),
  'options: -h, --help (also after a command: kvmuf check --help); --version',
  'exit status:',
  '  0  every property holds on a complete exploration (simulate: no failure in the runs)',
  '  1  a property fails (a handler panic or a step that never returns included)',
  '  2  bad input (flags, configuration, handler file, step API misuse, nondeterminism)',
  '  3  incomplete: a limit or Ctrl-C ended the run, nothing failed',
  '  4  internal error in kvmuf (--debug prints the stack trace)',
].join('\n');

async function check(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs('check', argv, CHECK_FLAGS);
  const { positionals } = parsed;
  // A scenario file's keys become flags here, so its `handler` reaches every part of the run.
  const flags = withScenario(parsed.flags);
  if (positionals.length > 0) throw new ConfigError('KVMUF004', `kvmuf check: unexpected argument '${positionals[0]}'`, 'flags start with --; see kvmuf check --help');
  if (typeof flags.itf === 'string') checkOutFile('itf', flags.itf); // before the run, not after it
  if (typeof flags['emit-test'] === 'string') checkOutFile('emit-test', flags['emit-test']);
  const progress = (flags.progress as boolean | undefined) ?? process.stderr.isTTY === true;
  return superviseCheck(flags, progress);
}

export async function main(args: readonly string[]): Promise<number> {
  // --debug anywhere: an internal error prints its stack trace.
  const debug = args.includes('--debug');
  const argv = args.filter((a) => a !== '--debug');
  const [command, ...rest] = argv;
  const spec = COMMANDS.find((c) => c.name === command);
  if (spec && wantsHelp(rest)) {
    process.stdout.write(`${usageOf(spec)}\n`);
    return EXIT.pass;
  }
  try {
    switch (command) {
      case 'check':
        return await check(rest);
      case 'simulate':
        return await simulate(rest);
      case 'merge':
        return merge(rest);
      case 'replay':
        // In the supervised worker: a handler step that no longer returns cannot hang it.
        return await superviseCheck({}, false, { kind: 'replay', argv: rest });
      case 'report':
        return await runReport(rest);
      case 'diagram': {
        const r = await diagramText(rest);
        process.stdout.write(r.out ? `wrote ${r.out}\n` : r.text);
        return EXIT.pass;
      }
      case 'list':
        process.stdout.write(`${listText(rest)}\n`);
        return EXIT.pass;
      case '--version':
        process.stdout.write(`${KVMUF_VERSION}\n`);
        return EXIT.pass;
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return EXIT.pass;
      case undefined:
        process.stderr.write(`${USAGE}\n`);
        return EXIT.badInput;
      default:
        throw new ConfigError('KVMUF000', `unknown command '${command}'`, `commands: ${COMMANDS.map((c) => c.name).join(', ')} (kvmuf --help)`);
    }
  } catch (e) {
    // Under --json, scripts also get the error as data on stdout.
    const json = argv.includes('--json');
    if (e instanceof ConfigError) {
      process.stderr.write(`error[${e.code}]: ${e.message}\nhint: ${e.hint}\n${e.detail ? `${e.detail}\n` : ''}`);
      if (json) process.stdout.write(`${JSON.stringify({ exitStatus: EXIT.badInput, error: { code: e.code, message: e.message, hint: e.hint, ...(e.detail ? { detail: e.detail } : {}) } }, null, 2)}\n`);
      return EXIT.badInput;
    }
    const message = e instanceof Error ? `${e instanceof InternalError ? '' : `${e.name}: `}${e.message}` : String(e);
    const stack = e instanceof InternalError ? e.detail : e instanceof Error ? (e.stack ?? '') : '';
    if (json) process.stdout.write(`${JSON.stringify({ exitStatus: EXIT.internal, error: { code: 'KVMUF400', message: message.split('\n')[0] } }, null, 2)}\n`);
    process.stderr.write(`error[KVMUF400]: internal error: ${message.split('\n')[0]}\n`);
    if (debug && stack) process.stderr.write(`${stack}\n`);
    else process.stderr.write('hint: this is a bug in kvmuf; run again with --debug for the stack trace, and report it\n');
    return EXIT.internal;
  }
}
