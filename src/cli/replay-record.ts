/**
 * The replay file: the JSON of `kvmuf check --json`, read back by `kvmuf replay FILE`.
 * Besides the results, each run records what a replay needs to re-run its
 * counterexamples elsewhere and to say why one diverges: the kvmuf version, the full
 * configuration and its sha256, the handler (a bundled name, or a file: its path relative
 * to the replay file, its absolute path and the sha256 of its content), and for each
 * failure its path and the fingerprint of every state along it.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Failure } from '../checker/index.ts';
import type { SystemConfig } from '../system/config.ts';
import { ConfigError } from '../system/config-error.ts';
import { handlerFileRecord, isFile, sha256Of, type HandlerFileRecord } from './handler-file.ts';
import { KVMUF_VERSION } from './version.ts';

/** One counterexample of a replay file, with where its handler is now. */
export interface SavedTrace {
  /** The kvmuf version that recorded it (undefined: given by flags, not a file). */
  readonly version?: string;
  readonly config: SystemConfig;
  readonly configSha256?: string;
  /** A --handler value: a bundled handler's name or a file to load. */
  readonly handler: string | undefined;
  /** The recorded handler file, and the sha256 its content had. */
  readonly handlerFile?: HandlerFileRecord;
  readonly path: string;
  readonly fingerprints?: readonly string[];
}

/** Sorted keys, so the digest does not depend on the order fields were written in. */
function canonical(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(canonical);
  if (typeof x !== 'object' || x === null) return x;
  return Object.fromEntries(Object.keys(x).sort().map((k) => [k, canonical((x as Record<string, unknown>)[k])]));
}

export function configSha256(config: SystemConfig): string {
  return sha256Of(JSON.stringify(canonical(config)));
}

/** The fields a run of the replay file carries besides its results. */
export function runRecord(config: SystemConfig, handler: string, handlerFlag: string | undefined): Record<string, unknown> {
  const file = handlerFileRecord(handlerFlag);
  return { configuration: config, configurationSha256: configSha256(config), handler, ...(file ? { handlerFile: file } : {}) };
}

/** The fingerprint of every state along a failure's path (a lasso: along its prefix). */
export function failureFingerprints(f: Failure): readonly string[] | undefined {
  if (f.kind === 'invariant' || f.kind === 'deadlock') return f.trace.fingerprints;
  if (f.kind === 'liveness') return f.lasso.prefix.fingerprints;
  return undefined;
}

export function replayFileHeader(): Record<string, unknown> {
  return { kvmuf: KVMUF_VERSION };
}

const HINT = 'save one with: kvmuf check ... --json > run.json';

function bad(file: string, what: string): never {
  throw new ConfigError('KVMUF302', `${file}: ${what}`, HINT);
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

function handlerRecord(file: string, x: unknown): HandlerFileRecord | undefined {
  if (x === undefined) return undefined;
  if (!isRecord(x) || typeof x.path !== 'string' || typeof x.absolute !== 'string' || typeof x.sha256 !== 'string') bad(file, 'a run\'s "handlerFile" lacks its path, absolute path or sha256');
  return { path: x.path, absolute: x.absolute, sha256: x.sha256 };
}

/**
 * The handler file a replay loads: the recorded relative path taken from the replay
 * file's directory (a replay file copied together with its handler), else the absolute
 * path it had when recorded.
 */
export function locateHandler(replayFile: string, rec: HandlerFileRecord): string {
  const beside = resolve(dirname(replayFile), rec.path);
  if (isFile(beside)) return beside;
  if (isFile(rec.absolute)) return rec.absolute;
  throw new ConfigError('KVMUF201', `cannot find the handler file of ${replayFile}: neither ${beside} nor ${rec.absolute}`, `copy ${rec.path} along with the replay file, keeping its place relative to it`);
}

export function readReplayFile(file: string): SavedTrace[] {
  if (!isFile(file)) throw new ConfigError('KVMUF301', `cannot read trace file '${file}'`, HINT);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    bad(file, `not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isRecord(data) || !Array.isArray(data.runs)) bad(file, 'no "runs" array: not the output of kvmuf check --json');
  if (typeof data.kvmuf !== 'string') bad(file, 'records no kvmuf version: not written by this kvmuf');
  const out: SavedTrace[] = [];
  for (const run of data.runs as unknown[]) {
    if (!isRecord(run) || !isRecord(run.configuration) || !Array.isArray(run.failures) || typeof run.handler !== 'string') bad(file, 'a run lacks its configuration, handler or failures');
    const handlerFile = handlerRecord(file, run.handlerFile);
    for (const f of run.failures as unknown[]) {
      if (!isRecord(f) || typeof f.path !== 'string') continue;
      out.push({
        version: data.kvmuf,
        config: run.configuration as unknown as SystemConfig,
        ...(typeof run.configurationSha256 === 'string' ? { configSha256: run.configurationSha256 } : {}),
        handler: handlerFile ? locateHandler(file, handlerFile) : run.handler,
        ...(handlerFile ? { handlerFile } : {}),
        path: f.path,
        ...(isStrings(f.fingerprints) ? { fingerprints: f.fingerprints } : {}),
      });
    }
  }
  if (out.length === 0) throw new ConfigError('KVMUF303', `${file} holds no counterexample`, 'kvmuf check found nothing to replay in that run');
  return out;
}
