/**
 * Guest programs as command-line text: one program per vCPU, separated by `;`; each a
 * list of accesses separated by spaces: `rG` reads gfn G, `wG=V` writes the value V to it.
 * `r0 w1=101;r1` is vCPU 0 reading gfn 0 then writing 101 to gfn 1, and vCPU 1 reading
 * gfn 1. The gfns are checked against the configuration later (KVMUF102).
 */
import type { GuestOp } from '../kvm/state.ts';
import { ConfigError } from '../system/config-error.ts';

const HINT = 'e.g. --program "r0 w1=101;r1": per vCPU (separated by ;) reads rGFN and writes wGFN=VALUE (VALUE 1 to 9999)';

/** The largest value a guest write may store (content values are small integers; 0 is zeros). */
export const MAX_GUEST_VALUE = 9999;

function parseOp(flag: string, word: string): GuestOp {
  const read = /^r(\d+)$/.exec(word);
  if (read) return { kind: 'read', gfn: Number(read[1]) };
  const write = /^w(\d+)=(\d+)$/.exec(word);
  if (write) {
    const value = Number(write[2]);
    if (value < 1 || value > MAX_GUEST_VALUE) throw new ConfigError('KVMUF003', `--${flag}: '${word}' writes ${value}, outside 1 to ${MAX_GUEST_VALUE} (0 is the zero page's content)`, HINT);
    return { kind: 'write', gfn: Number(write[1]), value };
  }
  throw new ConfigError('KVMUF003', `--${flag}: '${word}' is not an access (rGFN or wGFN=VALUE)`, HINT);
}

export function parsePrograms(flag: string, text: string): GuestOp[][] {
  return text.split(';').map((program, v) => {
    const words = program.trim().split(/\s+/).filter((w) => w.length > 0);
    if (words.length === 0) throw new ConfigError('KVMUF003', `--${flag}: the program of vCPU ${v} is empty`, HINT);
    return words.map((w) => parseOp(flag, w));
  });
}

export function formatPrograms(programs: readonly (readonly GuestOp[])[]): string {
  return programs.map((p) => p.map((op) => (op.kind === 'read' ? `r${op.gfn}` : `w${op.gfn}=${op.value}`)).join(' ')).join(';');
}
