/**
 * The ground truth, per byte range, for what vCPUs do to guest pages: a guest access
 * (whole page, or a u64 at an offset) is judged against `expected` and a guest store
 * updates it; KVM's pvclock and steal-time writes at guest entry (src/kvm/pvclock.ts,
 * steal-time.ts, review M6) make their bytes KVM's while the rest of the page still owes
 * the source's content.
 */
import { PAGE_SIZE } from '../kvm/uapi.ts';
import { PVCLOCK_BYTES, withPvclock } from '../kvm/pvclock.ts';
import { STEAL_TIME_BYTES, withStealTime } from '../kvm/steal-time.ts';
import { GUEST_ACCESS_BYTES, type GuestAccess } from '../kvm/state.ts';
import { replaceAt } from '../mm/immutable.ts';
import { byteAt, describeContent, firstDifference, storeBytes } from '../mm/page-content.ts';
import { contentAgrees, GIVEN_UP, VIOLATION } from './state.ts';
import type { StepContext } from './step-context.ts';

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Note, check (reads) or record (writes) a completed guest access. */
export function judgeAccess(c: StepContext, access: GuestAccess): void {
  const gfn = access.gfn;
  const expected = c.sys.expected[gfn] ?? 0;
  if (access.offset === undefined) {
    c.note(`guest ${access.write ? 'writes' : 'reads'} gfn ${gfn} = ${describeContent(access.value)}`);
    if (access.write) c.sys = { ...c.sys, expected: replaceAt(c.sys.expected, gfn, access.value) };
    else if (!contentAgrees(expected, access.value)) {
      // The first byte that differs names the values reported (a whole page has one value).
      const at = firstDifference(expected, access.value, 0, PAGE_SIZE, GIVEN_UP) ?? 0;
      c.violate(VIOLATION.guestReadWrongContent, gfn, byteAt(access.value, at), byteAt(expected, at));
    }
    return;
  }
  const at = access.offset;
  if (access.write) {
    const stored = access.stored ?? 0;
    c.note(`guest writes gfn ${gfn} at ${hex(at)} = ${stored}`);
    c.sys = { ...c.sys, expected: replaceAt(c.sys.expected, gfn, storeBytes(expected, at, GUEST_ACCESS_BYTES, stored)) };
    return;
  }
  const got = byteAt(access.value, at);
  c.note(`guest reads gfn ${gfn} at ${hex(at)} = ${got}`);
  if (!contentAgrees(expected, access.value, at, GUEST_ACCESS_BYTES)) {
    const first = firstDifference(expected, access.value, at, GUEST_ACCESS_BYTES, GIVEN_UP) ?? at;
    c.violate(VIOLATION.guestReadWrongContent, gfn, byteAt(access.value, first), byteAt(expected, first));
  }
}

/** kvm_guest_time_update wrote the pvclock at `gpa`: those 32 bytes are KVM's from now on. */
export function pvclockWritten(c: StepContext, gpa: number): void {
  const offset = gpa % PAGE_SIZE;
  kvmBytesWritten(c, gpa, `kvm_guest_time_update writes the pvclock: gfn ${Math.floor(gpa / PAGE_SIZE)} bytes ${hex(offset)}..${hex(offset + PVCLOCK_BYTES - 1)}`, (content) => withPvclock(content, offset));
}

/** record_steal_time wrote the struct at `gpa`: its steal, version and preempted bytes are KVM's from now on. */
export function stealTimeWritten(c: StepContext, gpa: number): void {
  const offset = gpa % PAGE_SIZE;
  kvmBytesWritten(c, gpa, `record_steal_time writes steal time: gfn ${Math.floor(gpa / PAGE_SIZE)} struct at ${hex(offset)}..${hex(offset + STEAL_TIME_BYTES - 1)}`, (content) => withStealTime(content, offset));
}

function kvmBytesWritten(c: StepContext, gpa: number, what: string, update: (content: number) => number): void {
  const gfn = Math.floor(gpa / PAGE_SIZE);
  c.note(what);
  c.sys = { ...c.sys, expected: replaceAt(c.sys.expected, gfn, update(c.sys.expected[gfn] ?? 0)) };
}
