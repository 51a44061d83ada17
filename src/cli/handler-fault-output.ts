/**
 * The trace that reached a handler fault found during exploration (a misused step API, a
 * nondeterministic step, a step that never returned): the configuration is composed
 * again in this thread and the search's path replayed up to the state whose step failed.
 */
import { explainChain } from '../report/counterexample.ts';
import { composeSystem, systemModel } from '../system/model.ts';
import type { ParsedFlags } from './args.ts';
import { commandFor, configsOf, resolveHandler } from './check-command.ts';
import { stepLine } from './output.ts';

export interface FaultSite {
  readonly configuration: string;
  readonly command: string;
  readonly path: string;
  readonly lines: readonly string[];
}

export async function faultSite(flags: ParsedFlags, configIndex: number, chain: { readonly initial: number; readonly actions: readonly number[] }): Promise<FaultSite | undefined> {
  const cfg = configsOf(flags)[configIndex];
  if (!cfg) return undefined;
  const handler = await resolveHandler(flags.handler as string | undefined, cfg.design);
  const system = composeSystem(cfg, handler.strategy);
  const model = systemModel(system);
  const { steps, path } = explainChain(system, model, chain);
  const lines: string[] = [];
  steps.forEach((st, i) => {
    lines.push(stepLine(i + 1, st.label));
    if (st.changes.length > 0) lines.push(`${' '.repeat(20)}${st.changes.join('; ')}`);
  });
  return { configuration: `${cfg.design} ${cfg.arch} ${cfg.backing} ${cfg.vcpus}v×${cfg.pages}p`, command: commandFor(cfg, flags.handler as string | undefined), path, lines };
}

/** The trace as text for a usage error: how the search got to the faulty step. */
export async function handlerFaultTrace(flags: ParsedFlags, configIndex: number, chain: { readonly initial: number; readonly actions: readonly number[] }): Promise<string | undefined> {
  try {
    const site = await faultSite(flags, configIndex, chain);
    if (!site) return undefined;
    const head = site.lines.length > 0 ? `reached in ${site.configuration} after ${site.lines.filter((l) => /^ +\d+\./.test(l)).length} steps:` : `reached in ${site.configuration} in the initial state`;
    return [head, ...site.lines, `  path ${site.path}`, `  reproduce: ${site.command}`].join('\n');
  } catch {
    // The replay itself failed (e.g. the handler is nondeterministic): the error stands without a trace.
    return undefined;
  }
}
