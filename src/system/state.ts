/**
 * A composed system's state: one kernel, the threads' local state, the ground truth of
 * what every guest page should hold, and the VMM's shared bookkeeping. Plain data.
 */
import type { KernelState } from '../kvm/state.ts';
import { PAGE_SIZE } from '../kvm/uapi.ts';
import { firstDifference, isPartial } from '../mm/page-content.ts';

export interface ThreadState {
  /** The next step; DONE when the thread has finished. */
  readonly pc: number;
  /** Small integer registers (e.g. the faulting gfn). */
  readonly regs: readonly number[];
}

export const DONE = -1;

/**
 * The ground truth of a page the guest has given up (a balloon's MADV_DONTNEED called, its
 * zap not done yet): any content is right, since the guest no longer owns it. The zap makes
 * it 0 (every refault reads zeros); a guest write after that (reuse) makes it the value.
 */
export const GIVEN_UP = -2;

/**
 * Whether `value`, read or held, is right for a page whose ground truth is `expected`, in
 * bytes `offset`..`offset+len-1` (the whole page by default). Partial pages (page-content.ts)
 * are judged byte range by byte range: KVM's 32 pvclock bytes over a page whose other bytes
 * never arrived is wrong content for a read of those other bytes.
 */
export function contentAgrees(expected: number | undefined, value: number, offset = 0, len = PAGE_SIZE): boolean {
  if (expected === GIVEN_UP || value === expected) return true;
  if (expected === undefined || (!isPartial(expected) && !isPartial(value))) return false;
  return firstDifference(expected, value, offset, len, GIVEN_UP) === undefined;
}

/** A property violation observed at the step that caused it (sticky). */
export interface Violation {
  readonly code: ViolationCode;
  /** The thread that observed it. */
  readonly thread: number;
  readonly gfn: number;
  readonly got: number;
  readonly expected: number;
}

export const VIOLATION = {
  /** A guest read returned content other than what the page should hold. */
  guestReadWrongContent: 1,
  /** KVM's own read (ITS restore, LPI pending table) returned the wrong content. */
  kvmReadWrongContent: 2,
  /** KVM_RUN failed with a bare -EFAULT: the VMM has nothing to act on. */
  kvmRunFailed: 3,
  /** A populate ioctl failed with an error the handler did not expect. */
  populateFailed: 4,
} as const;
export type ViolationCode = (typeof VIOLATION)[keyof typeof VIOLATION];

/** The handler panicked (a step threw, or called c.panic): the VMM is dead, nothing moves any more. */
export interface Panic {
  readonly thread: number;
  readonly step: string;
  readonly message: string;
}

export interface SystemState {
  readonly kernel: KernelState;
  readonly threads: readonly ThreadState[];
  /** What each guest page should hold now: the source content, the guest's last write, 0 after a balloon's zap, or GIVEN_UP. */
  readonly expected: readonly number[];
  /** VMM shared memory words (the strategy decides their meaning). */
  readonly vmm: readonly number[];
  readonly violation?: Violation;
  /** The first step that no spec machine allows (refinement checking), sticky. */
  readonly specViolation?: string;
  readonly panic?: Panic;
}
