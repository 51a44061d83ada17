/**
 * Spec: the KVM_MEM_USERFAULT flag of one memslot (reference §1, §2). Creation with or
 * without the flag, flags-only toggles, moves and deletion; requests the kernel rejects
 * (no capability, a tagged or out-of-range bitmap, the legacy ioctl) change nothing.
 */
import { setup } from 'xstate';

export interface MemslotContext {
  readonly hasCap: boolean;
}

export type MemslotEvent =
  | { type: 'CREATE' }
  | { type: 'CREATE_WITH_USERFAULT' }
  | { type: 'ENABLE' }
  | { type: 'DISABLE' }
  | { type: 'MOVE' }
  | { type: 'DELETE' }
  | { type: 'REJECTED' };

export const memslotUserfaultMachine = setup({
  types: { context: {} as MemslotContext, events: {} as MemslotEvent, input: {} as { hasCap: boolean } },
  guards: { hasCap: ({ context }) => context.hasCap },
}).createMachine({
  id: 'memslot-userfault',
  context: ({ input }) => ({ hasCap: input.hasCap }),
  initial: 'absent',
  states: {
    absent: {
      on: {
        CREATE: 'off',
        CREATE_WITH_USERFAULT: { target: 'on', guard: 'hasCap' },
        REJECTED: {},
      },
    },
    off: {
      on: {
        ENABLE: { target: 'on', guard: 'hasCap' },
        MOVE: {},
        DELETE: 'absent',
        REJECTED: {},
      },
    },
    on: {
      on: {
        DISABLE: 'off',
        MOVE: {},
        DELETE: 'absent',
        REJECTED: {},
      },
    },
  },
});

export const MEMSLOT_USERFAULT_EVENTS: readonly MemslotEvent[] = [
  { type: 'CREATE' },
  { type: 'CREATE_WITH_USERFAULT' },
  { type: 'ENABLE' },
  { type: 'DISABLE' },
  { type: 'MOVE' },
  { type: 'DELETE' },
  { type: 'REJECTED' },
];
