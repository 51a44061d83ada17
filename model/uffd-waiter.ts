/**
 * Spec: one thread and a userfaultfd (reference: userfaultfd-and-vmms.md). A fault queues
 * a message and the thread sleeps; a reader may read the message; a resolving ioctl or
 * UFFDIO_WAKE (or closing the uffd) wakes the thread, whether or not the message was read.
 */
import { setup } from 'xstate';

export type UffdWaiterEvent = { type: 'FAULT' } | { type: 'READ' } | { type: 'WAKE' };

export const uffdWaiterMachine = setup({
  types: { events: {} as UffdWaiterEvent },
}).createMachine({
  id: 'uffd-waiter',
  initial: 'running',
  states: {
    running: { on: { FAULT: 'pending' } },
    pending: { on: { READ: 'waiting', WAKE: 'running' } },
    waiting: { on: { WAKE: 'running' } },
  },
});

export const UFFD_WAITER_EVENTS: readonly UffdWaiterEvent[] = [{ type: 'FAULT' }, { type: 'READ' }, { type: 'WAKE' }];
