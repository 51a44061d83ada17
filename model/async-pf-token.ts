/**
 * Spec: one async PF user token slot of a vCPU (Kalyazin RFC, reference §7). A userfault
 * exit that can be handled asynchronously issues the slot's token and parks the faulting
 * op; KVM_ASYNC_PF_USER_READY {token} marks it ready ("page ready" injected); the op then
 * runs again and, once it completes, the slot is free. A READY for a token that is not
 * issued changes nothing (-EINVAL).
 */
import { setup } from 'xstate';

export type AsyncPfTokenEvent = { type: 'ISSUE' } | { type: 'READY' } | { type: 'COMPLETE' } | { type: 'READY_REJECTED' };

export const asyncPfTokenMachine = setup({
  types: { events: {} as AsyncPfTokenEvent },
}).createMachine({
  id: 'async-pf-token',
  initial: 'free',
  states: {
    free: { on: { ISSUE: 'issued', READY_REJECTED: {} } },
    issued: { on: { READY: 'ready' } },
    ready: { on: { COMPLETE: 'free', READY_REJECTED: {} } },
  },
});

export const ASYNC_PF_TOKEN_EVENTS: readonly AsyncPfTokenEvent[] = [{ type: 'ISSUE' }, { type: 'READY' }, { type: 'COMPLETE' }, { type: 'READY_REJECTED' }];
