/**
 * `kvmuf replay`: re-run a saved counterexample step by step against the simulation and
 * report where it diverges, if it does. The trace comes from check's flags plus
 * `--path` (as printed after each counterexample), or from a file written by
 * `kvmuf check --json` (every failure in it is replayed; replay-record.ts). A divergence
 * is a coded error naming its cause (replay-divergence.ts).
 */
import { parsePath, replay, ReplayError, type Model, type Trace } from '../checker/index.ts';
import { specRefinement } from '../../properties/refinement.ts';
import { stateView, viewDiff } from '../report/state-view.ts';
import { ConfigError } from '../system/config-error.ts';
import type { StepWatch } from '../system/handler-runtime.ts';
import { composeSystem, systemModel, type System } from '../system/model.ts';
import type { SystemState } from '../system/state.ts';
import { parseArgs, type CommandSpec, type FlagSpec } from './args.ts';
import { CHECK_FLAGS, CONFIG_FLAG_NAMES, configFromFlags, resolveHandler, runtimeFor, withScenario } from './check-command.ts';
import { EXIT, type TraceFormat } from './output.ts';
import { columnsOf as columnsTable, columnsText } from '../report/columns.ts';
import type { Counterexample } from '../report/counterexample.ts';
import { interactionsOf } from '../report/interactions.ts';
import { wordsOf } from '../report/replay-counterexample.ts';
import { divergenceError, handlerChange } from './replay-divergence.ts';
import { readReplayFile, type SavedTrace } from './replay-record.ts';

export const REPLAY_FLAGS: readonly FlagSpec[] = [
  ...CHECK_FLAGS.filter((f) => (CONFIG_FLAG_NAMES as readonly string[]).includes(f.name)),
  { name: 'format', kind: 'string', choices: ['text', 'columns'], help: 'a step per line with what changed (text), or one column per thread (columns)', default: 'text' },
  { name: 'path', kind: 'string', value: 'PATH', help: "the counterexample's path, e.g. 0/0/1/1 or, for a liveness lasso, 0/0/1|1/0 (the cycle after |)", example: '0/0/1/1' },
];

export const REPLAY_COMMAND: CommandSpec = {
  name: 'replay',
  summary: 're-run saved counterexamples step by step: a FILE from check --json, or the flags and --path printed after one',
  operands: '[FILE]',
  flags: REPLAY_FLAGS,
};

function parse(path: string): { prefix: { initial: number; actions: number[] }; cycle: number[] } {
  const hint = 'a path is action indices separated by /, the initial state first (e.g. 0/0/1/1); a lasso adds | and its cycle (0/0/1|1/0)';
  const [head = '', cycle, extra] = path.split('|');
  if (extra !== undefined || (cycle !== undefined && !/^(\d+(\/\d+)*)?$/.test(cycle))) throw new ConfigError('KVMUF304', `--path ${path}: the cycle after | is not action indices separated by /`, hint);
  try {
    return { prefix: parsePath(head), cycle: cycle ? cycle.split('/').map(Number) : [] };
  } catch (e) {
    throw new ConfigError('KVMUF304', `--path ${path}: ${e instanceof Error ? e.message : String(e)}`, hint);
  }
}

/** The replayed steps in columns, one per thread (the last step marked when it violates something). */
function columnsOf(sys: System, states: readonly SystemState[], labels: readonly string[], cycleStart: number | undefined, violated: boolean): string {
  const cx: Counterexample = { kind: violated && cycleStart === undefined ? 'invariant' : 'liveness', steps: labels.map((label) => ({ label, changes: [] })), states, path: '', ...(cycleStart !== undefined ? { cycleStart } : {}) };
  return columnsText(columnsTable(interactionsOf(sys, cx))).join('\n');
}

function step(line: string[], n: number, label: string, changes: readonly string[]): void {
  line.push(`  ${String(n).padStart(3)}. ${label}`);
  if (changes.length > 0) line.push(`${' '.repeat(9)}${changes.join('; ')}`);
}

function replayOne(sys: System, model: Model<SystemState, number>, saved: SavedTrace, format: TraceFormat): { text: string; violated: string[] } {
  const walked: { label: string; state: SystemState }[] = [];
  const { prefix, cycle } = parse(saved.path);
  const trace: Trace = { initial: prefix.initial, actions: prefix.actions, labels: [], fingerprints: saved.fingerprints ?? [], symmetry: false };
  let states: SystemState[];
  try {
    states = replay(model, trace);
  } catch (e) {
    if (e instanceof ReplayError) throw divergenceError(saved, e);
    throw e;
  }
  const lines: string[] = [];
  const acts: number[] = [];
  const labelOf = (s: SystemState, a: number) => {
    acts.length = 0;
    model.actions(s, acts);
    return model.formatAction(s, acts[a] as number);
  };
  for (let i = 0; i < prefix.actions.length; i++) {
    const before = states[i] as SystemState;
    const label = labelOf(before, prefix.actions[i] as number);
    walked.push({ label, state: states[i + 1] as SystemState });
    step(lines, i + 1, label, viewDiff(stateView(sys, before), stateView(sys, states[i + 1] as SystemState)));
  }
  let s = states.at(-1) as SystemState;
  if (cycle.length > 0) {
    lines.push('  --- the cycle starts here and repeats forever ---');
    cycle.forEach((a, i) => {
      acts.length = 0;
      model.actions(s, acts);
      if (a >= acts.length) {
        throw divergenceError(saved, { step: prefix.actions.length + i + 1, reason: 'out-of-range', detail: `the cycle's action index ${a} is out of range (${acts.length} enabled)` });
      }
      const label = model.formatAction(s, acts[a] as number);
      const next = model.next(s, acts[a] as number);
      walked.push({ label, state: next });
      step(lines, prefix.actions.length + i + 1, label, viewDiff(stateView(sys, s), stateView(sys, next)));
      s = next;
    });
    // A lasso's cycle must come back to the state it started from; otherwise the path is
    // not a cycle of this system (another handler or configuration printed it).
    const start = states.at(-1) as SystemState;
    if (wordsOf(model, s) !== wordsOf(model, start)) {
      throw divergenceError(saved, { step: prefix.actions.length + cycle.length, reason: 'out-of-range', detail: `the cycle (${cycle.length} steps after |) does not come back to the state it started from` });
    }
  }
  const violated = model
    .properties()
    .filter((p) => p.kind === 'always' && !p.condition(s))
    .map((p) => p.name);
  if (cycle.length > 0) {
    // A lasso: the obligations that no state of the cycle meets are postponed forever.
    const around: SystemState[] = [];
    let t = states.at(-1) as SystemState;
    for (const a of cycle) {
      acts.length = 0;
      model.actions(t, acts);
      t = model.next(t, acts[a] as number);
      around.push(t);
    }
    for (const p of model.properties()) if (p.kind === 'eventually' && around.every((x) => !p.condition(x))) violated.push(`${p.name} (never, on this cycle)`);
  }
  if (format === 'columns') {
    const cycleStart = cycle.length > 0 ? prefix.actions.length : undefined;
    return { text: columnsOf(sys, [states[0] as SystemState, ...walked.map((w) => w.state)], walked.map((w) => w.label), cycleStart, violated.length > 0), violated };
  }
  return { text: lines.join('\n'), violated };
}

function savedFromArgs(argv: readonly string[]): SavedTrace[] {
  const { flags: all, positionals } = parseArgs('replay', argv, REPLAY_FLAGS);
  const { format: _format, ...flags } = all;
  const [file, extra] = positionals;
  if (extra !== undefined) throw new ConfigError('KVMUF004', `kvmuf replay: unexpected argument '${extra}'`, 'give one trace file, or flags and --path');
  const given = Object.keys(flags).map((f) => `--${f}`);
  if (file !== undefined && given.length > 0) {
    throw new ConfigError('KVMUF307', `kvmuf replay: ${given.join(', ')} given with the trace file ${file}, which holds its own configuration, handler and paths`, `give either the file (kvmuf replay ${file}) or the flags with --path`);
  }
  if (file !== undefined) return readReplayFile(file);
  if (typeof flags.path === 'string') {
    // A scenario's keys, its handler included, apply as they do for check; flags override them.
    const withFile = withScenario(flags);
    return [{ config: configFromFlags(withFile), handler: withFile.handler as string | undefined, path: flags.path }];
  }
  throw new ConfigError('KVMUF306', 'kvmuf replay: nothing to replay', 'give a file from kvmuf check --json, or the flags and --path printed after a counterexample');
}

/** Told which system each trace replays on (the supervisor names a stuck step from it). */
export interface ReplayHooks {
  readonly watch?: StepWatch;
  readonly system?: (sys: System) => void;
}

export async function replayText(argv: readonly string[], hooks: ReplayHooks = {}): Promise<{ text: string; status: number }> {
  const saved = savedFromArgs(argv);
  const format: TraceFormat = parseArgs('replay', argv, REPLAY_FLAGS).flags.format === 'columns' ? 'columns' : 'text';
  const out: string[] = [];
  let status: number = EXIT.pass;
  for (const t of saved) {
    const handler = await resolveHandler(t.handler, t.config.design);
    const sys = composeSystem(t.config, handler.strategy, { runtime: runtimeFor(handler, {}, hooks.watch) });
    hooks.system?.(sys);
    const model = systemModel(sys, { refinement: specRefinement(sys) });
    const r = replayOne(sys, model, t, format);
    out.push(`replay ${t.config.design} ${t.config.arch} ${t.config.backing} ${t.config.vcpus}v×${t.config.pages}p, path ${t.path}`, r.text);
    const changed = handlerChange(t);
    if (changed !== undefined) out.push(`note: ${t.handler} changed since the trace was recorded (sha256 ${changed.slice(0, 12)}…), but the trace still replays`);
    if (r.violated.length > 0) {
      status = EXIT.fail;
      out.push(`the trace ends where these properties are violated: ${r.violated.join('; ')}`);
    } else out.push('the trace replays faithfully and ends with every invariant holding');
  }
  return { text: `${out.join('\n')}\n`, status };
}
