/**
 * Plausible mistakes with async PF user, bundled so that kvmuf can show what it convicts
 * them of (or, for READY-first, what it costs).
 */
import { asyncPfUserStrategy } from './async-pf-user.ts';
import type { HandlerStrategy } from './strategy.ts';

/** Passes the page number where the token belongs: KVM never issued it (-EINVAL, ignored). */
export const asyncPfWrongTokenHandler: HandlerStrategy = asyncPfUserStrategy(
  'async-pf-wrong-token',
  'WRONG: calls KVM_ASYNC_PF_USER_READY with the gfn instead of the token the exit carried, and ignores the error',
  { tokenFor: (f) => f.gfn, checkReady: false },
);

/**
 * Says "page ready" before the page is there: KVM does not check, the parked op comes
 * back to a page whose bit is still set and exits again, synchronously; the vCPU thread
 * then serves it itself. No property breaks (the checker passes it): the cost is a
 * wasted round trip per early READY, and a state space about four times larger.
 */
export const asyncPfReadyFirstHandler: HandlerStrategy = asyncPfUserStrategy(
  'async-pf-ready-first',
  'WASTEFUL: calls KVM_ASYNC_PF_USER_READY first, then installs the page and clears the bit (the resumed op exits again, synchronously)',
  { readyFirst: true },
);
