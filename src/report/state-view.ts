/**
 * A readable, flat view of a composed system's state, for counterexample steps ("what
 * changed") and ITF traces: per vCPU, per thread, per page, the userfaultfd queues, the
 * memslot and what the properties saw. Values are small ints, booleans or strings; each
 * entry keeps one type in every state (flags are a number, shown in hex), except a
 * page's content, a number or 'absent' (ITF splits it in two, see itf.ts).
 */
import { ABSENT } from '../mm/host-memory.ts';
import { readBitmapBit } from '../mm/data-memory.ts';
import { backingContent } from '../system/backing.ts';
import { describeContent, isPartial } from '../mm/page-content.ts';
import { gfnOf, userfaultBitOf } from '../system/guest-layout.ts';
import type { System } from '../system/model.ts';
import { DONE, type SystemState } from '../system/state.ts';

export type ViewValue = number | boolean | string;
export type StateView = Readonly<Record<string, ViewValue>>;

const LEVEL = ['unmapped', '4K', '2M', '1G'];

export function stateView(sys: System, s: SystemState): StateView {
  const v: Record<string, ViewValue> = {};
  const k = s.kernel;
  sys.threads.forEach((t, i) => {
    const pc = s.threads[i]?.pc ?? DONE;
    v[`${t.name}.step`] = pc === DONE ? 'done' : (t.steps[pc]?.label ?? `#${pc}`);
  });
  for (const vc of k.vm.vcpus) {
    v[`vcpu${vc.id}.kvm`] = vc.mode;
    v[`vcpu${vc.id}.pc`] = vc.pc;
  }
  const many = k.vm.slots.length > 1;
  for (const slot of k.vm.slots) v[many ? `memslot${slot.id}.flags` : 'memslot.flags'] = slot.flags;
  for (const g of sys.config.gfns) {
    const content = backingContent(s, sys.env, g);
    // A partial page (page-content.ts) shows its byte runs, never its interned id.
    const shown = (c: number) => (isPartial(c) ? describeContent(c) : c);
    v[`page${g}.content`] = content === ABSENT ? 'absent' : shown(content);
    v[`page${g}.expected`] = shown(s.expected[g] ?? 0);
    const slot = k.vm.slots.find((m) => g >= m.baseGfn && g < m.baseGfn + m.npages);
    if (slot) v[`page${g}.stage2`] = LEVEL[slot.spte[g - slot.baseGfn] ?? 0] ?? '?';
    const bit = userfaultBitOf(sys.env, g);
    if (bit) v[`page${g}.bit`] = readBitmapBit(k.mm, bit.bitmap, bit.index) === true;
  }
  k.mm.uffds.forEach((u, i) => {
    const who = (task: number) => sys.threads.find((t) => t.task === task)?.name ?? `task${task}`;
    const page = (a: number) => gfnOf(sys.env, a);
    v[`uffd${i}.pending`] = u.pending.map((f) => `${who(f.task)}@${page(f.address)}`).join(' ') || '-';
    v[`uffd${i}.waiting`] = u.waiting.map((f) => `${who(f.task)}@${page(f.address)}`).join(' ') || '-';
    v[`uffd${i}.events`] = u.events.length;
  });
  if (s.violation) v['violation'] = `code ${s.violation.code} at gfn ${s.violation.gfn}: got ${s.violation.got}, expected ${s.violation.expected}`;
  if (s.specViolation) v['spec'] = s.specViolation;
  return v;
}

/** A value as the text shows it: flags in hex, the rest as they are. */
function shown(key: string, v: ViewValue | undefined): string {
  if (v === undefined) return '-';
  return typeof v === 'number' && key.endsWith('.flags') ? `0x${v.toString(16)}` : String(v);
}

/** `key: old → new` for every entry that differs. */
export function viewDiff(before: StateView, after: StateView): string[] {
  const out: string[] = [];
  for (const key of Object.keys(after)) {
    if (before[key] !== after[key]) out.push(`${key}: ${shown(key, before[key])} → ${shown(key, after[key])}`);
  }
  return out;
}
