/**
 * The abstraction functions of the refinement map, on the kernel state alone: used both
 * while exploring composed systems (spec-bindings.ts) and when driving the simulation
 * along generated spec paths (test/model).
 */
import type { KernelState } from '../src/kvm/state.ts';
import { KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_USERFAULT } from '../src/kvm/uapi.ts';
import { hasUserfaultCap } from '../src/kvm/variant.ts';
import { isTaskInUffd } from '../src/mm/userfaultfd.ts';
import { tokenSlot } from '../src/kvm/async-pf-user.ts';

export interface AbstractState {
  readonly value: string;
  readonly context: Readonly<Record<string, unknown>>;
}

/** Which series the stage-2 spec distinguishes: only v1's zap on disable on arm64 differs. */
export function mappingSeries(k: KernelState): 'v1' | 'v3' {
  return k.config.variant.userfault === 'v1' ? 'v1' : 'v3';
}

/** stage2-mapping: the mapping level of `gfn` in slot `slotIndex`, and the slot's flags. */
export function mappingState(k: KernelState, gfn: number, slotIndex = 0): AbstractState | undefined {
  const slot = k.vm.slots[slotIndex];
  if (!slot) return undefined;
  const level = slot.spte[gfn - slot.baseGfn] ?? 0;
  const cap = hasUserfaultCap(k.config.variant);
  return {
    value: level === 0 ? 'unmapped' : level === 1 ? 'mapped4k' : 'mappedHuge',
    context: {
      arch: k.config.variant.arch,
      series: mappingSeries(k),
      mmu: k.config.variant.mmu,
      userfault: cap && (slot.flags & KVM_MEM_USERFAULT) !== 0,
      dirtyLog: (slot.flags & KVM_MEM_LOG_DIRTY_PAGES) !== 0,
    },
  };
}

/** memslot-userfault: slot `id` absent, or its USERFAULT flag off or on. */
export function memslotState(k: KernelState, id = 0): AbstractState {
  const slot = k.vm.slots.find((s) => s.id === id);
  const hasCap = hasUserfaultCap(k.config.variant);
  const on = slot !== undefined && hasCap && (slot.flags & KVM_MEM_USERFAULT) !== 0;
  return { value: !slot ? 'absent' : on ? 'on' : 'off', context: { hasCap } };
}

/** uffd-waiter: whether `task` sleeps on a page fault, read or not yet read. */
export function waiterState(k: KernelState, task: number): AbstractState {
  const uffds = k.mm.uffds;
  if (uffds.some((u) => u.pending.some((f) => f.task === task))) return { value: 'pending', context: {} };
  if (uffds.some((u) => u.waiting.some((f) => f.task === task))) return { value: 'waiting', context: {} };
  return { value: 'running', context: {} };
}

/** async-pf-token: one token slot of a vCPU: free, issued (op parked), or ready. */
export function tokenSlotState(k: KernelState, vcpu: number, slot: number): AbstractState {
  const parked = k.vm.vcpus[vcpu]?.parked.find((p) => tokenSlot(p.token) === slot);
  return { value: !parked ? 'free' : parked.ready ? 'ready' : 'issued', context: {} };
}

/** its-restore: the ITS restore's progress, as seen from the restoring `task`. */
export function itsState(k: KernelState, task: number, tables: number): AbstractState {
  const g = k.vm.vgic;
  let value: string;
  if (g.itsTableGfns.length === 0) value = 'idle';
  else if (g.itsTablesRestored) value = g.gitsCtlrEnabled ? 'enabled' : 'restored';
  else value = isTaskInUffd(k.mm, task) ? 'asleep' : 'restoring';
  return { value, context: { tables, read: g.itsTablesRead.length } };
}
