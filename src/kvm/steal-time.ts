/**
 * Steal time (x86 MSR_KVM_STEAL_TIME): the struct kvm_steal_time KVM updates in guest
 * memory. Two separate moments, as in the kernel:
 *
 * 1. KVM_SET_MSRS → kvm_set_msr_common, case MSR_KVM_STEAL_TIME (arch/x86/kvm/x86.c,
 *    mainline, read_file id 57353172411): checks the reserved bits, stores msr_val and,
 *    with KVM_MSR_ENABLED, raises KVM_REQ_STEAL_UPDATE. Nothing else: no GUP, no cache
 *    activation, no access to guest memory (unlike kvm-clock's gfn_to_pfn cache,
 *    pvclock.ts).
 * 2. At the vCPU's next guest entry, vcpu_enter_guest handles the request with
 *    record_steal_time(): a gfn_to_hva_cache (kvm_gfn_to_hva_cache_init: a memslot
 *    lookup, no fault; no slot → return, nothing written), then user accesses through the
 *    host virtual address inside user_access_begin(): unsafe_put_user(0, &st->preempted)
 *    (or an xchgb with KVM_FEATURE_PV_TLB_FLUSH; a write either way, and the first
 *    access), unsafe_get_user/put_user of st->version (+1), of st->steal (+ run_delay
 *    delta), and st->version (+1) again; a fault that cannot be fixed jumps to `out`:
 *    silently skipped. David Woodhouse, "KVM: x86: Fix recording of guest steal time /
 *    preempted status" (7e2175ebd695, Message-Id
 *    3645b9b889dac6438394194bb5586a46b68d581f.camel@infradead.org, read_file id
 *    10608622029) replaced the old gfn_to_pfn_cache by this hva cache; mainline still
 *    has it (Suleiman Souhlal's 2024 patch edits the same code, read_file id 17851034442).
 *
 * Those user accesses are ordinary page faults of the vCPU thread (it runs
 * vcpu_enter_guest before preempt_disable), so a missing page in a registered range
 * sleeps in userfaultfd: Carsten Stollmaier, "KVM: x86: Use gfn_to_pfn_cache for
 * steal_time" (Message-ID 20240802114402.96669-1-stollmc@amazon.com, read_file id
 * 42174994099, not merged): "the update of the steal time information causes a
 * page-fault if the page is not present ... handled by do_user_addr_fault and
 * successively handle_userfault since we have the region registered". Without
 * userfaultfd the write fault allocates a zero-filled anonymous page. The KVM Userfault
 * bitmap is never consulted (it guards stage-2 faults, not KVM's host-virtual accesses).
 *
 * Bytes written (struct kvm_steal_time is 64 bytes: u64 steal @0, u32 version @8, u32
 * flags @12, u8 preempted @16, padding): steal and version (0..11) and preempted (16);
 * flags and the padding keep what the page held. Linux guests keep steal_time in a
 * 64-byte-aligned per-cpu variable (arch/x86/kernel/kvm.c), on a page shared with other
 * per-cpu data, so the rest of that page is the guest's own content; kvmuf puts the
 * struct at STEAL_TIME_OFFSET of the page the control plan names (a modelling choice:
 * clear of the pvclock at 0x0 should both share a page).
 *
 * Not modelled (inferences where marked): steal is read-modify-written (steal += delta),
 * so on a zero-filled page it restarts from 0 — the bytes are stood for by one KVM value,
 * and the lost rest of the page already convicts that case; kvm_steal_time_set_preempted
 * at vcpu_put (copy_to_user_nofault: never sleeps, skipped on a missing page) needs
 * scheduler preemption, which kvmuf has not; later updates at every entry rewrite the
 * same bytes (modelled once, like the pvclock); with KVM Demand Paging the access does not
 * wait for KVM_MARK_GFNS_PRESENT (an inference: it never goes through KVM's MMU).
 */
import { storeBytes } from '../mm/page-content.ts';
import { entryWrite, type EntryWrite } from './entry-write.ts';
import { withVcpu, type KernelState, type Vcpu } from './state.ts';
import { PAGE_SIZE } from './uapi.ts';

/** sizeof(struct kvm_steal_time). */
export const STEAL_TIME_BYTES = 64;

/** Where kvmuf places the struct in its page (64-byte aligned, as Linux's per-cpu variable). */
export const STEAL_TIME_OFFSET = 0x40;

/** The value the bytes KVM writes hold (any value no guest or source writes; the pvclock's is 50). */
export const STEAL_TIME_CONTENT = 51;

/** The byte ranges record_steal_time writes, relative to the struct: steal + version, preempted. */
const WRITTEN: readonly (readonly [offset: number, len: number])[] = [
  [0, 12],
  [16, 1],
];

/** A page's content after record_steal_time wrote the struct at byte `offset` of it. */
export function withStealTime(content: number, offset: number): number {
  return WRITTEN.reduce((c, [at, len]) => storeBytes(c, offset + at, len, STEAL_TIME_CONTENT), content);
}

/**
 * KVM_SET_MSRS(MSR_KVM_STEAL_TIME = gpa | KVM_MSR_ENABLED) for vCPU `vcpu`: records the
 * gpa and raises KVM_REQ_STEAL_UPDATE; never sleeps. The caller (a vCPU ioctl) runs it
 * only while the vCPU is out of KVM_RUN (vcpu->mutex).
 */
export function setStealTimeMsr(k: KernelState, vcpu: number, gpa: number): KernelState {
  const v = k.vm.vcpus[vcpu];
  return v ? withVcpu(k, { ...v, stealTimePending: gpa }) : k;
}

/** record_steal_time at guest entry, for a vCPU with a pending steal update (entry-write.ts). */
export function recordStealTime(k: KernelState, v: Vcpu): EntryWrite {
  const gpa = v.stealTimePending ?? 0;
  const { stealTimePending: _done, ...rest } = v;
  return entryWrite(k, v, rest, gpa, { stealTime: true }, (content) => withStealTime(content, gpa % PAGE_SIZE));
}
