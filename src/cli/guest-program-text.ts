/**
 * Guest programs as command-line text: one program per vCPU, separated by `;`; each a
 * list of accesses separated by spaces: `rG` reads gfn G, `wG=V` writes the value V to it.
 * `r0 w1=101;r1` is vCPU 0 reading gfn 0 then writing 101 to gfn 1, and vCPU 1 reading
 * gfn 1. An access may name a byte offset inside the page, `r3+0x123` or `w3+0x40=7`: a u64
 * load or store there instead of the whole page (a memory-fault exit still reports the
 * page-aligned gpa). The gfns are checked against the configuration later (KVMUF102).
 */
import { MAX_GUEST_ACCESS_OFFSET, type GuestOp } from '../kvm/state.ts';
import { ConfigError } from '../system/config-error.ts';

const HINT =
  'e.g. --program "r0 w1=101;r1 r1+0x40": per vCPU (separated by ;) reads rGFN and writes wGFN=VALUE (VALUE 1 to 9999), each optionally at a byte offset GFN+OFFSET (a u64 access)';

/** The largest value a guest write may store (content values are small integers; 0 is zeros). */
export const MAX_GUEST_VALUE = 9999;

const MAX_OFFSET = MAX_GUEST_ACCESS_OFFSET;

function parseOffset(flag: string, word: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const offset = Number(text);
  if (!Number.isInteger(offset) || offset > MAX_OFFSET) {
    throw new ConfigError('KVMUF003', `--${flag}: '${word}' accesses offset ${text}, past 0x${MAX_OFFSET.toString(16)} (a u64 access must stay inside its 4 KiB page)`, HINT);
  }
  return offset;
}

const AT = '(?:\\+(0x[0-9a-fA-F]+|\\d+))?';
const READ = new RegExp(`^r(\\d+)${AT}$`);
const WRITE = new RegExp(`^w(\\d+)${AT}=(\\d+)$`);

function parseOp(flag: string, word: string): GuestOp {
  const read = READ.exec(word);
  if (read) {
    const offset = parseOffset(flag, word, read[2]);
    return { kind: 'read', gfn: Number(read[1]), ...(offset !== undefined ? { offset } : {}) };
  }
  const write = WRITE.exec(word);
  if (write) {
    const value = Number(write[3]);
    if (value < 1 || value > MAX_GUEST_VALUE) throw new ConfigError('KVMUF003', `--${flag}: '${word}' writes ${value}, outside 1 to ${MAX_GUEST_VALUE} (0 is the zero page's content)`, HINT);
    const offset = parseOffset(flag, word, write[2]);
    return { kind: 'write', gfn: Number(write[1]), value, ...(offset !== undefined ? { offset } : {}) };
  }
  throw new ConfigError('KVMUF003', `--${flag}: '${word}' is not an access (rGFN, wGFN=VALUE, rGFN+OFFSET or wGFN+OFFSET=VALUE)`, HINT);
}

export function parsePrograms(flag: string, text: string): GuestOp[][] {
  return text.split(';').map((program, v) => {
    const words = program.trim().split(/\s+/).filter((w) => w.length > 0);
    if (words.length === 0) throw new ConfigError('KVMUF003', `--${flag}: the program of vCPU ${v} is empty`, HINT);
    return words.map((w) => parseOp(flag, w));
  });
}

function formatOp(op: GuestOp): string {
  const at = op.offset !== undefined ? `+0x${op.offset.toString(16)}` : '';
  return op.kind === 'read' ? `r${op.gfn}${at}` : `w${op.gfn}${at}=${op.value}`;
}

export function formatPrograms(programs: readonly (readonly GuestOp[])[]): string {
  return programs.map((p) => p.map(formatOp).join(' ')).join(';');
}
