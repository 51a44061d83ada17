/**
 * Spec: the stage-2 mapping of one gfn, per arch (reference §2, §5).
 *
 * A fault maps 4K, or huge when nothing forces 4K (dirty logging, USERFAULT). Enabling
 * USERFAULT zaps. Disabling it (or dirty logging): x86 may zap a 4K mapping so that the
 * next fault maps huge (when the host mapping is huge: "collapsible"), or keep it;
 * arm64 keeps every mapping (v1: zaps). Enabling dirty logging splits huge mappings.
 * An MMU invalidation or a memslot deletion zaps at any time. A fault on another gfn of
 * the same range may map the whole range huge, replacing this gfn's 4K mapping (the page
 * table is replaced by a block; inference from x86 handle_changed_spte and the arm64
 * stage-2 walker: "stays 4K" means no proactive collapse, not that nearby faults map 4K).
 */
import { assign, setup } from 'xstate';

export interface MappingContext {
  readonly arch: 'x86' | 'arm64';
  readonly series: 'v3' | 'v1';
  readonly userfault: boolean;
  readonly dirtyLog: boolean;
}

export type MappingEvent =
  | { type: 'FAULT_4K' }
  | { type: 'FAULT_HUGE' }
  | { type: 'FAULT_HUGE_NEARBY' }
  | { type: 'ZAP' }
  | { type: 'ENABLE_USERFAULT' }
  | { type: 'DISABLE_USERFAULT' }
  | { type: 'DISABLE_USERFAULT_COLLAPSE' }
  | { type: 'ENABLE_DIRTY_LOG' }
  | { type: 'DISABLE_DIRTY_LOG' }
  | { type: 'DISABLE_DIRTY_LOG_COLLAPSE' };

export const stage2MappingMachine = setup({
  types: {
    context: {} as MappingContext,
    events: {} as MappingEvent,
    input: {} as { arch: 'x86' | 'arm64'; series?: 'v3' | 'v1' },
  },
  guards: {
    isUserfaultOff: ({ context }) => !context.userfault,
    isDirtyLogOn: ({ context }) => context.dirtyLog,
    isDirtyLogOff: ({ context }) => !context.dirtyLog,
    hugeAllowed: ({ context }) => !context.userfault && !context.dirtyLog,
    /** x86 recovery: only when, after the change, nothing forces 4K any more. */
    isUserfaultOn: ({ context }) => context.userfault,
    x86CanCollapseAfterUserfaultOff: ({ context }) => context.userfault && context.arch === 'x86' && !context.dirtyLog,
    x86CanCollapseAfterDirtyLogOff: ({ context }) => context.dirtyLog && context.arch === 'x86' && !context.userfault,
    arm64V1: ({ context }) => context.userfault && context.arch === 'arm64' && context.series === 'v1',
    keepsOnUserfaultOff: ({ context }) => context.userfault && !(context.arch === 'arm64' && context.series === 'v1'),
  },
  actions: {
    userfaultOn: assign({ userfault: true }),
    userfaultOff: assign({ userfault: false }),
    dirtyLogOn: assign({ dirtyLog: true }),
    dirtyLogOff: assign({ dirtyLog: false }),
  },
}).createMachine({
  id: 'stage2-mapping',
  context: ({ input }) => ({ arch: input.arch, series: input.series ?? 'v3', userfault: false, dirtyLog: false }),
  initial: 'unmapped',
  on: {
    // Enabling zaps every mapping of the slot; setting the same flags again changes nothing.
    ENABLE_USERFAULT: { target: '.unmapped', actions: 'userfaultOn', guard: 'isUserfaultOff' },
  },
  states: {
    unmapped: {
      on: {
        FAULT_4K: 'mapped4k',
        FAULT_HUGE: { target: 'mappedHuge', guard: 'hugeAllowed' },
        DISABLE_USERFAULT: { actions: 'userfaultOff', guard: 'isUserfaultOn' },
        ENABLE_DIRTY_LOG: { actions: 'dirtyLogOn', guard: 'isDirtyLogOff' },
        DISABLE_DIRTY_LOG: { actions: 'dirtyLogOff', guard: 'isDirtyLogOn' },
      },
    },
    mapped4k: {
      on: {
        ZAP: 'unmapped',
        FAULT_HUGE_NEARBY: { target: 'mappedHuge', guard: 'hugeAllowed' },
        DISABLE_USERFAULT: { actions: 'userfaultOff', guard: 'keepsOnUserfaultOff' },
        DISABLE_USERFAULT_COLLAPSE: [
          { target: 'unmapped', actions: 'userfaultOff', guard: 'x86CanCollapseAfterUserfaultOff' },
          { target: 'unmapped', actions: 'userfaultOff', guard: 'arm64V1' },
        ],
        ENABLE_DIRTY_LOG: { actions: 'dirtyLogOn', guard: 'isDirtyLogOff' },
        DISABLE_DIRTY_LOG: { actions: 'dirtyLogOff', guard: 'isDirtyLogOn' },
        DISABLE_DIRTY_LOG_COLLAPSE: { target: 'unmapped', actions: 'dirtyLogOff', guard: 'x86CanCollapseAfterDirtyLogOff' },
      },
    },
    mappedHuge: {
      on: {
        ZAP: 'unmapped',
        ENABLE_DIRTY_LOG: { target: 'mapped4k', actions: 'dirtyLogOn', guard: 'isDirtyLogOff' },
      },
    },
  },
});

export const STAGE2_MAPPING_EVENTS: readonly MappingEvent[] = [
  { type: 'FAULT_4K' },
  { type: 'FAULT_HUGE' },
  { type: 'FAULT_HUGE_NEARBY' },
  { type: 'ZAP' },
  { type: 'ENABLE_USERFAULT' },
  { type: 'DISABLE_USERFAULT' },
  { type: 'DISABLE_USERFAULT_COLLAPSE' },
  { type: 'ENABLE_DIRTY_LOG' },
  { type: 'DISABLE_DIRTY_LOG' },
  { type: 'DISABLE_DIRTY_LOG_COLLAPSE' },
];
