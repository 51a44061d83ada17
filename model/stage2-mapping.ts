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
 *
 * x86 recovery depends on the MMU (src/kvm/huge-recovery.ts): the TDP MMU (default, 6.13+)
 * rebuilds the huge mapping in place when some 4K leaf of the range is present, so an
 * unmapped gfn of that range becomes mapped huge (`..._RECOVER`), with no USERFAULT
 * gate on dirty-log disable (the v3 hole, review §1 case A); the shadow MMU zaps
 * (`..._COLLAPSE`), also ungated, and its faults are then clamped again.
 */
import { assign, setup } from 'xstate';

export interface MappingContext {
  readonly arch: 'x86' | 'arm64';
  readonly series: 'v3' | 'v1';
  readonly mmu: 'tdp' | 'shadow';
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
  | { type: 'DISABLE_USERFAULT_RECOVER' }
  | { type: 'ENABLE_DIRTY_LOG' }
  | { type: 'DISABLE_DIRTY_LOG' }
  | { type: 'DISABLE_DIRTY_LOG_COLLAPSE' }
  | { type: 'DISABLE_DIRTY_LOG_RECOVER' };

export const stage2MappingMachine = setup({
  types: {
    context: {} as MappingContext,
    events: {} as MappingEvent,
    input: {} as { arch: 'x86' | 'arm64'; series?: 'v3' | 'v1'; mmu?: 'tdp' | 'shadow' },
  },
  guards: {
    isUserfaultOff: ({ context }) => !context.userfault,
    isDirtyLogOn: ({ context }) => context.dirtyLog,
    isDirtyLogOff: ({ context }) => !context.dirtyLog,
    hugeAllowed: ({ context }) => !context.userfault && !context.dirtyLog,
    /** x86 recovery: only when, after the change, nothing forces 4K any more. */
    isUserfaultOn: ({ context }) => context.userfault,
    /** Shadow MMU: kvm_rmap_zap_collapsible_sptes, whatever the other flag (no WARN there). */
    x86CanCollapseAfterUserfaultOff: ({ context }) => context.userfault && context.arch === 'x86' && context.mmu === 'shadow',
    x86CanCollapseAfterDirtyLogOff: ({ context }) => context.dirtyLog && context.arch === 'x86' && context.mmu === 'shadow',
    /** TDP MMU: in place; USERFAULT 1→0 with dirty logging on WARNs and recovers nothing. */
    x86RecoversAfterUserfaultOff: ({ context }) => context.userfault && context.arch === 'x86' && context.mmu === 'tdp' && !context.dirtyLog,
    x86RecoversAfterDirtyLogOff: ({ context }) => context.dirtyLog && context.arch === 'x86' && context.mmu === 'tdp',
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
  context: ({ input }) => ({ arch: input.arch, series: input.series ?? 'v3', mmu: input.mmu ?? 'tdp', userfault: false, dirtyLog: false }),
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
        // A neighbour's 4K leaf makes the range a page table that recovery replaces in place.
        DISABLE_USERFAULT_RECOVER: { target: 'mappedHuge', actions: 'userfaultOff', guard: 'x86RecoversAfterUserfaultOff' },
        DISABLE_DIRTY_LOG_RECOVER: { target: 'mappedHuge', actions: 'dirtyLogOff', guard: 'x86RecoversAfterDirtyLogOff' },
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
        DISABLE_USERFAULT_RECOVER: { target: 'mappedHuge', actions: 'userfaultOff', guard: 'x86RecoversAfterUserfaultOff' },
        DISABLE_DIRTY_LOG_RECOVER: { target: 'mappedHuge', actions: 'dirtyLogOff', guard: 'x86RecoversAfterDirtyLogOff' },
      },
    },
    mappedHuge: {
      on: {
        ZAP: 'unmapped',
        // Mapped huge by in-place recovery while USERFAULT stayed on: disabling it keeps the mapping.
        DISABLE_USERFAULT: { actions: 'userfaultOff', guard: 'isUserfaultOn' },
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
  { type: 'DISABLE_USERFAULT_RECOVER' },
  { type: 'ENABLE_DIRTY_LOG' },
  { type: 'DISABLE_DIRTY_LOG' },
  { type: 'DISABLE_DIRTY_LOG_COLLAPSE' },
  { type: 'DISABLE_DIRTY_LOG_RECOVER' },
];
