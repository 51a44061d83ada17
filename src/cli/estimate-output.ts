/**
 * `kvmuf check --estimate`, and the advice before an exhaustive run that will not fit: the
 * state-space estimate (checker/sampling/estimate.ts) turned into memory and time with
 * the rates measured for composed systems, compared with --max-memory and --timeout.
 */
import { estimateSpace, type SpaceEstimate } from '../checker/sampling/estimate.ts';
import type { Model } from '../checker/index.ts';
import type { SystemConfig } from '../system/config.ts';
import type { SystemState } from '../system/state.ts';
import { composeSystem, systemModel, type System } from '../system/model.ts';
import type { ParsedFlags } from './args.ts';
import { commandWordsFor, configsOf, resolveHandler, runtimeFor } from './check-command.ts';
import { configName } from './config-name.ts';
import { KVMUF_VERSION } from './version.ts';
import { shellCommand } from './shell-quote.ts';
import { writePath } from './path-sink.ts';
import type { StepWatch } from '../system/handler-runtime.ts';

/**
 * Measured on composed systems on the 2-core machine (`npm run bench`, idle machine,
 * session 4): about 120 B of peak-RSS growth per state, the liveness pass included
 * (productBytesPerState, 118.6: async-pf-user on guest_memfd 8,659 → 328,368 states; 51 B
 * for safety alone; it was about 470 B before the compact encoding and 162 B before the
 * search worker's young generation was bounded and the liveness pass was made lean), and
 * about 20 000 states/s with the refinement check (kvm-userfault x86 4 vCPUs × 2 pages:
 * the bench's 30 000/s, less for the CLI's worker and for a handler file behind its
 * runtime checks).
 */
export const BYTES_PER_STATE = 120;
export const STATES_PER_SECOND = 20_000;

export interface Fit {
  readonly estimate: SpaceEstimate;
  readonly mib: number;
  readonly seconds: number;
  /** Why the exhaustive run will likely not finish (undefined: it fits). */
  readonly tooBig?: string;
}

/** The estimate and what it means for an exhaustive run; undefined when `signal` stopped it. */
export function fitOf(model: Model<SystemState, number>, maxMemoryMb: number, timeoutS: number | undefined, pathSink?: Int32Array, signal?: { readonly aborted: boolean }): Fit | undefined {
  const estimate = estimateSpace(model, { onExpand: (path) => writePath(pathSink, path), ...(signal ? { signal } : {}) });
  if (estimate === undefined) return undefined;
  // No usable extrapolation: say nothing about fitting rather than advise on a made-up figure.
  if (!Number.isFinite(estimate.states)) return { estimate, mib: Number.NaN, seconds: Number.NaN };
  const mib = (estimate.states * BYTES_PER_STATE) / 2 ** 20;
  const seconds = estimate.states / STATES_PER_SECOND;
  const tooBig = mib > maxMemoryMb ? `about ${Math.ceil(mib)} MiB, more than --max-memory ${maxMemoryMb} MiB` : timeoutS !== undefined && seconds > timeoutS ? `about ${Math.ceil(seconds)} s, more than --timeout ${timeoutS} s` : undefined;
  return { estimate, mib, seconds, ...(tooBig ? { tooBig } : {}) };
}

export function simulateAdvice(cfg: SystemConfig, handler: string | undefined): string {
  const [kvmuf = 'kvmuf', , ...rest] = commandWordsFor(cfg, handler);
  return `sample it instead: ${shellCommand([kvmuf, 'simulate', ...rest])} (or bound it: kvmuf check … --max-preemptions 2)`;
}

const round = (n: number) => (n >= 1000 ? `${Number(n.toPrecision(2))}` : String(n));

export function estimateLines(name: string, fit: Fit, cfg: SystemConfig, handler: string | undefined): string[] {
  const e = fit.estimate;
  if (!Number.isFinite(e.states)) {
    return [
      name,
      `  states: unknown (more than the ${e.explored} states searched to depth ${e.levels.length - 1}; the level sizes give no usable extrapolation over random walks of ${e.depth.toFixed(1)} steps)`,
      `  fits: not known; kvmuf check stops cleanly at --max-memory and --timeout, or sample it: ${simulateAdvice(cfg, handler)}`,
    ];
  }
  const how = e.exact
    ? `exactly ${e.states} (the whole space fit in the bounded search)`
    : `about ${round(e.states)} (an extrapolation, right to within about 3× either way on the configurations measured: ${e.explored} states searched to depth ${e.levels.length - 1}, random walks of ${e.depth.toFixed(1)} steps on average)`;
  return [
    name,
    `  states: ${how}`,
    `  memory: about ${fit.mib >= 100 ? Math.round(fit.mib) : fit.mib.toFixed(1)} MiB at ${BYTES_PER_STATE} B per state; time: about ${fit.seconds >= 100 ? Math.round(fit.seconds) : fit.seconds.toFixed(1)} s at ${STATES_PER_SECOND} states/s (rates measured on composed systems)`,
    fit.tooBig ? `  will likely not fit (${fit.tooBig}): ${simulateAdvice(cfg, handler)}` : '  fits: an exhaustive kvmuf check should finish',
  ];
}

/** `kvmuf check --estimate`: the estimate of each configuration, no exhaustive run. */
export async function estimateText(flags: ParsedFlags, pathSink?: Int32Array, watch?: StepWatch, signal?: { readonly aborted: boolean }): Promise<string> {
  const handlerFlag = flags.handler as string | undefined;
  const out = [`kvmuf check --estimate (version ${KVMUF_VERSION})`];
  for (const cfg of configsOf(flags)) {
    const handler = await resolveHandler(handlerFlag, cfg.design);
    const sys = composeSystem(cfg, handler.strategy, { runtime: runtimeFor(handler, flags, watch) });
    const fit = fitOf(systemModel(sys), flags['max-memory'] as number, flags.timeout as number | undefined, handler.fromFile ? pathSink : undefined, signal);
    if (fit === undefined) {
      out.push('interrupted: the estimates above are the ones finished');
      break;
    }
    out.push(...estimateLines(`${configName(sys.config)} (handler ${sys.strategy.name})`, fit, cfg, handlerFlag));
  }
  out.push('an estimate, not a count: kvmuf check without --estimate counts exactly');
  return `${out.join('\n')}\n`;
}

/** The estimate before an exhaustive run, told only when the run will likely not fit. */
export function adviseOnFit(system: System, flags: ParsedFlags, advise: (text: string) => void, pathSink?: Int32Array, signal?: { readonly aborted: boolean }): void {
  let fit: Fit | undefined;
  try {
    fit = fitOf(systemModel(system), (flags['max-memory'] as number | undefined) ?? Number.POSITIVE_INFINITY, flags.timeout as number | undefined, pathSink, signal);
  } catch {
    return; // the search itself meets the same error and reports it with its trace
  }
  if (fit?.tooBig) advise(`estimate: about ${fit.estimate.states} states, ${fit.tooBig}; the exhaustive run will likely end incomplete\nhint: ${simulateAdvice(configsOf(flags)[0] ?? system.config, flags.handler as string | undefined)}\n`);
}
