/**
 * The ground truth, per byte range, for what vCPUs do to guest pages: a guest access
 * (whole page, or a u64 at an offset) is judged against `expected` and a guest store
 * updates it; KVM's pvclock write at guest entry (src/kvm/pvclock.ts, review M6) makes
 * its 32 bytes KVM's while the rest of the page still owes the source's content.
 */
import { PAGE_SIZE } from '../kvm/uapi.ts';
import { KVM_CLOCK_CONTENT, PVCLOCK_BYTES } from '../kvm/pvclock.ts';
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
  const gfn = Math.floor(gpa / PAGE_SIZE);
  const offset = gpa % PAGE_SIZE;
  c.note(`kvm_guest_time_update writes the pvclock: gfn ${gfn} bytes ${hex(offset)}..${hex(offset + PVCLOCK_BYTES - 1)}`);
  const expected = c.sys.expected[gfn] ?? 0;
  c.sys = { ...c.sys, expected: replaceAt(c.sys.expected, gfn, storeBytes(expected, offset, PVCLOCK_BYTES, KVM_CLOCK_CONTENT)) };
}
