/**
 * Spec: the arm64 ITS restore (reference §6): GITS_BASER first, then
 * KVM_DEV_ARM_ITS_RESTORE_TABLES reads each table page through kvm_read_guest (bypassing
 * the userfault bitmap; a missing page may put the restoring thread to sleep in
 * userfaultfd), then GITS_CTLR enables the ITS.
 */
import { assign, setup } from 'xstate';

export interface ItsContext {
  readonly tables: number;
  readonly read: number;
}

export type ItsEvent = { type: 'SET_BASER' } | { type: 'READ_TABLE' } | { type: 'SLEEP' } | { type: 'WOKEN' } | { type: 'SET_CTLR' };

export const itsRestoreMachine = setup({
  types: { context: {} as ItsContext, events: {} as ItsEvent, input: {} as { tables: number } },
  guards: {
    moreTables: ({ context }) => context.read + 1 < context.tables,
    lastTable: ({ context }) => context.read + 1 === context.tables,
  },
  actions: { readOne: assign({ read: ({ context }) => context.read + 1 }) },
}).createMachine({
  id: 'its-restore',
  context: ({ input }) => ({ tables: input.tables, read: 0 }),
  initial: 'idle',
  states: {
    idle: { on: { SET_BASER: 'restoring' } },
    restoring: {
      on: {
        READ_TABLE: [
          { target: 'restoring', guard: 'moreTables', actions: 'readOne' },
          { target: 'restored', guard: 'lastTable', actions: 'readOne' },
        ],
        SLEEP: 'asleep',
      },
    },
    asleep: { on: { WOKEN: 'restoring' } },
    restored: { on: { SET_CTLR: 'enabled' } },
    enabled: { type: 'final' },
  },
});

export const ITS_RESTORE_EVENTS: readonly ItsEvent[] = [
  { type: 'SET_BASER' },
  { type: 'READ_TABLE' },
  { type: 'SLEEP' },
  { type: 'WOKEN' },
  { type: 'SET_CTLR' },
];
