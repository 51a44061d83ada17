/**
 * `kvmuf replay`: re-run a saved counterexample step by step against the simulation and
 * report where it diverges, if it does. The trace comes from check's flags plus
 * `--path` (as printed after each counterexample), or from a file written by
 * `kvmuf check --json` (every failure in it is replayed).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parsePath, replay, ReplayError, type Model, type Trace } from '../checker/index.ts';
import { specRefinement } from '../../properties/refinement.ts';
import { stateView, viewDiff } from '../report/state-view.ts';
import type { SystemConfig } from '../system/config.ts';
import { ConfigError } from '../system/config-error.ts';
import { composeSystem, systemModel, type System } from '../system/model.ts';
import type { SystemState } from '../system/state.ts';
import { parseArgs, type FlagSpec } from './args.ts';
import { CHECK_FLAGS, CONFIG_FLAG_NAMES, configFromFlags, resolveHandler, runtimeFor } from './check-command.ts';
import { EXIT } from './output.ts';

export const REPLAY_FLAGS: readonly FlagSpec[] = [
  ...CHECK_FLAGS.filter((f) => (CONFIG_FLAG_NAMES as readonly string[]).includes(f.name)),
  { name: 'path', kind: 'string', help: 'the counterexample path, e.g. 0/0/1/1 (a lasso: prefix|cycle)' },
];

interface SavedTrace {
  readonly config: SystemConfig;
  readonly handler: string | undefined;
  readonly path: string;
  readonly fingerprints?: readonly string[];
}

function fromFile(file: string): SavedTrace[] {
  if (!existsSync(file)) throw new ConfigError('KVMUF301', `cannot read trace file '${file}'`, 'save one with: kvmuf check ... --json > trace.json');
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError('KVMUF302', `${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`, 'give the output of kvmuf check --json');
  }
  const runs = (data as { runs?: unknown }).runs;
  if (!Array.isArray(runs)) throw new ConfigError('KVMUF302', `${file} has no "runs" array`, 'give the output of kvmuf check --json');
  const out: SavedTrace[] = [];
  for (const run of runs as { configuration?: SystemConfig; handlerFile?: string; handler?: string; failures?: { path?: string; fingerprints?: string[] }[] }[]) {
    if (!run.configuration || !Array.isArray(run.failures)) throw new ConfigError('KVMUF302', `${file}: a run lacks its configuration or failures`, 'give the output of kvmuf check --json');
    for (const f of run.failures) {
      if (typeof f.path !== 'string') continue;
      out.push({ config: run.configuration, handler: run.handlerFile ?? run.handler, path: f.path, ...(f.fingerprints ? { fingerprints: f.fingerprints } : {}) });
    }
  }
  if (out.length === 0) throw new ConfigError('KVMUF303', `${file} holds no counterexample`, 'kvmuf check found nothing to replay in that run');
  return out;
}

function parse(path: string): { prefix: { initial: number; actions: number[] }; cycle: number[] } {
  try {
    const [head = '', cycle] = path.split('|');
    return { prefix: parsePath(head), cycle: cycle ? cycle.split('/').filter((x) => x !== '').map(Number) : [] };
  } catch (e) {
    throw new ConfigError('KVMUF304', `--path ${path}: ${e instanceof Error ? e.message : String(e)}`, 'a path is numbers separated by /, e.g. 0/0/1/1');
  }
}

function step(line: string[], n: number, label: string, changes: readonly string[]): void {
  line.push(`  ${String(n).padStart(3)}. ${label}`);
  if (changes.length > 0) line.push(`${' '.repeat(9)}${changes.join('; ')}`);
}

function replayOne(sys: System, model: Model<SystemState, number>, saved: SavedTrace): { text: string; violated: string[] } {
  const { prefix, cycle } = parse(saved.path);
  const trace: Trace = { initial: prefix.initial, actions: prefix.actions, labels: [], fingerprints: saved.fingerprints ?? [], symmetry: false };
  let states: SystemState[];
  try {
    states = replay(model, trace);
  } catch (e) {
    if (e instanceof ReplayError) {
      throw new ConfigError('KVMUF305', `the trace diverges: ${e.message}`, 'replay with the configuration, handler and kvmuf version that produced it');
    }
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
    step(lines, i + 1, labelOf(before, prefix.actions[i] as number), viewDiff(stateView(sys, before), stateView(sys, states[i + 1] as SystemState)));
  }
  let s = states.at(-1) as SystemState;
  if (cycle.length > 0) {
    lines.push('  --- the cycle starts here and repeats forever ---');
    cycle.forEach((a, i) => {
      acts.length = 0;
      model.actions(s, acts);
      if (a >= acts.length) throw new ConfigError('KVMUF305', `the trace diverges in its cycle at step ${i + 1}: action ${a} of ${acts.length}`, 'replay with the configuration that produced it');
      const label = model.formatAction(s, acts[a] as number);
      const next = model.next(s, acts[a] as number);
      step(lines, prefix.actions.length + i + 1, label, viewDiff(stateView(sys, s), stateView(sys, next)));
      s = next;
    });
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
  return { text: lines.join('\n'), violated };
}

export async function replayText(argv: readonly string[]): Promise<{ text: string; status: number }> {
  const { flags, positionals } = parseArgs('replay', argv, REPLAY_FLAGS);
  const [file, extra] = positionals;
  if (extra !== undefined) throw new ConfigError('KVMUF004', `kvmuf replay: unexpected argument '${extra}'`, 'give one trace file, or flags and --path');
  let saved: SavedTrace[];
  if (file !== undefined) saved = fromFile(file);
  else if (typeof flags.path === 'string') saved = [{ config: configFromFlags(flags), handler: flags.handler as string | undefined, path: flags.path }];
  else throw new ConfigError('KVMUF306', 'kvmuf replay: nothing to replay', 'give a file from kvmuf check --json, or the flags and --path printed after a counterexample');
  const out: string[] = [];
  let status: number = EXIT.pass;
  for (const t of saved) {
    const handler = await resolveHandler(t.handler, t.config.design);
    const sys = composeSystem(t.config, handler.strategy, { runtime: runtimeFor(handler, flags) });
    const model = systemModel(sys, { refinement: specRefinement(sys) });
    const r = replayOne(sys, model, t);
    out.push(`replay ${t.config.design} ${t.config.arch} ${t.config.backing} ${t.config.vcpus}v×${t.config.pages}p, path ${t.path}`, r.text);
    if (r.violated.length > 0) {
      status = EXIT.fail;
      out.push(`the trace ends where these properties are violated: ${r.violated.join('; ')}`);
    } else out.push('the trace replays faithfully and ends with every invariant holding');
  }
  return { text: `${out.join('\n')}\n`, status };
}
