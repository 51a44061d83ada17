/**
 * Why a replay diverged, as a coded error that names the cause: the configuration
 * changed, the handler changed (its sha256 differs from the recorded one), the path is
 * out of range, the kvmuf version changed, or, with all of those as recorded, the model
 * (most likely the handler) is nondeterministic.
 */
import type { ReplayFailure } from '../checker/index.ts';
import { ConfigError } from '../system/config-error.ts';
import { fileSha256 } from './handler-file.ts';
import { configSha256, type SavedTrace } from './replay-record.ts';
import { KVMUF_VERSION } from './version.ts';

export interface Divergence {
  readonly step: number;
  readonly reason: ReplayFailure;
  /** What went wrong at that step (e.g. `action index 5 is out of range (2 enabled)`). */
  readonly detail: string;
}

const short = (sha: string) => sha.slice(0, 12);

/** The handler's current sha256 when it differs from the recorded one. */
export function handlerChange(t: SavedTrace): string | undefined {
  if (!t.handlerFile || t.handler === undefined) return undefined;
  const now = fileSha256(t.handler);
  return now === t.handlerFile.sha256 ? undefined : now;
}

export function divergenceError(t: SavedTrace, d: Divergence): ConfigError {
  const at = `the trace diverges at step ${d.step}: ${d.detail}`;
  if (t.configSha256 !== undefined && t.configSha256 !== configSha256(t.config)) {
    return new ConfigError('KVMUF308', `the configuration changed: the replay file's configuration is not the one recorded (sha256 differs); ${at}`, 'replay the file as kvmuf check wrote it, or run kvmuf check on the new configuration');
  }
  const handlerNow = handlerChange(t);
  if (handlerNow !== undefined && t.handlerFile) {
    return new ConfigError(
      'KVMUF309',
      `the handler changed: ${t.handler} has sha256 ${short(handlerNow)}…, the trace was recorded with ${short(t.handlerFile.sha256)}…; ${at}`,
      'restore the handler the trace was recorded with, or run kvmuf check again for a trace of this one',
    );
  }
  if (d.reason === 'out-of-range') {
    return new ConfigError('KVMUF310', `the path is out of range: ${at}`, 'a path belongs to the configuration and handler it was printed with: copy the whole replay line');
  }
  if (t.version !== undefined && t.version !== KVMUF_VERSION) {
    return new ConfigError('KVMUF311', `the kvmuf version changed: the trace was recorded by kvmuf ${t.version}, this is ${KVMUF_VERSION}; ${at}`, `replay with kvmuf ${t.version}, or run kvmuf check again`);
  }
  if (d.step === 0) {
    return new ConfigError('KVMUF308', `the configuration changed: the initial state is not the recorded one; ${at}`, 'replay the file as kvmuf check wrote it, or run kvmuf check on the new configuration');
  }
  return new ConfigError(
    'KVMUF305',
    `nondeterminism: with the configuration, handler and kvmuf version as recorded, ${at}`,
    'a handler step must depend only on the state it is given (no clock, randomness or module-level variables): keep what it remembers in c.reg or shared words',
  );
}
