/**
 * A composed system's state split into parts, each a piece of plain data that steps
 * replace as a whole (copy on write): the kernel's mm and VM fields, one part per vCPU
 * and per thread, the ground truth, the VMM's words and the verdict fields. The parts are
 * what the compact encoding (state-codec.ts) interns; `assemble` is the inverse of taking
 * the parts. (`encodeSystem` in model.ts stays the full, run-independent encoding that
 * fingerprints in traces and replay files are taken from.)
 *
 * A field added to the kernel or system state must be added here (in `systemParts` and
 * `assemble`): the codec round-trip test (test/system/state-codec.test.ts) fails otherwise.
 */
import {
  encodeDataRegions,
  encodeDemandPaging,
  encodeFiles,
  encodeGfnList,
  encodeGmems,
  encodePendingZaps,
  encodeSlots,
  encodeUffds,
  encodeVcpu,
  encodeVgic,
  encodeVmas,
  encodeWarnings,
  u64,
  type WordSink,
} from '../kvm/encode.ts';
import type { MmState } from '../mm/host-memory.ts';
import type { KernelState, Vcpu, VmConfig, VmState } from '../kvm/state.ts';
import type { Panic, SystemState, ThreadState, Violation } from './state.ts';

export interface StatePart {
  readonly name: string;
  /** The container the part lives in: when a state shares it with another, it shares the part. */
  readonly group: PartGroup;
  get(s: SystemState): unknown;
  encode(push: WordSink, value: unknown): void;
}

/** Containers of parts, each got from a state by `groupContainer`. */
export type PartGroup = 'vcpus' | 'threads' | 'mm' | 'vm' | 'state';

export function groupContainer(g: PartGroup, s: SystemState): unknown {
  switch (g) {
    case 'vcpus':
      return s.kernel.vm.vcpus;
    case 'threads':
      return s.threads;
    case 'mm':
      return s.kernel.mm;
    case 'vm':
      return s.kernel.vm;
    case 'state':
      return s;
  }
}

function part<T>(group: PartGroup, name: string, get: (s: SystemState) => T, encode: (push: WordSink, value: T) => void): StatePart {
  return { name, group, get, encode: encode as (push: WordSink, value: unknown) => void };
}

function encodeThread(push: WordSink, t: ThreadState): void {
  push(t.pc);
  for (const r of t.regs) push(r);
}

function encodeWords(push: WordSink, words: readonly number[]): void {
  push(words.length);
  for (const w of words) push(w);
}

export function encodeViolation(push: WordSink, v: Violation | undefined): void {
  if (v) {
    push(v.code);
    push(v.thread);
    push(v.gfn);
    push(v.got);
    push(v.expected);
  } else push(0);
}

export function pushText(push: WordSink, text: string): void {
  push(text.length);
  for (let i = 0; i < text.length; i++) push(text.charCodeAt(i));
}

export function encodePanic(push: WordSink, p: Panic | undefined): void {
  if (p) {
    push(p.thread + 1);
    pushText(push, p.step);
    pushText(push, p.message);
  } else push(0);
}

/**
 * The parts of a system with `vcpus` vCPUs and `threads` threads (the first `vcpus` of
 * which run the vCPUs), in encoding order. The order matters for tree compression: parts
 * that one step changes together sit side by side (a vCPU and its thread), so a step
 * adds one path of new tree nodes rather than two.
 */
export function systemParts(vcpus: number, threads: number): StatePart[] {
  const perVcpu = Array.from({ length: vcpus }, (_, i) => [
    part('vcpus', `vm.vcpus[${i}]`, (s) => s.kernel.vm.vcpus[i] as Vcpu, encodeVcpu),
    part('threads', `threads[${i}]`, (s) => s.threads[i] as ThreadState, encodeThread),
  ]).flat();
  return [
    ...perVcpu,
    ...Array.from({ length: threads - vcpus }, (_, k) => part('threads', `threads[${vcpus + k}]`, (s) => s.threads[vcpus + k] as ThreadState, encodeThread)),
    part('mm', 'mm.files', (s) => s.kernel.mm.files, encodeFiles),
    part('mm', 'mm.vmas', (s) => s.kernel.mm.vmas, encodeVmas),
    part('mm', 'mm.data', (s) => s.kernel.mm.data, encodeDataRegions),
    part('mm', 'mm.uffds', (s) => s.kernel.mm.uffds, encodeUffds),
    part('mm', 'mm.pendingZaps', (s) => s.kernel.mm.pendingZaps, encodePendingZaps),
    part('mm', 'mm.gmems', (s) => s.kernel.mm.gmems, encodeGmems),
    part('mm', 'mm.nextHva', (s) => s.kernel.mm.nextHva, u64),
    part('mm', 'mm.nextFd', (s) => s.kernel.mm.nextFd, (push, n: number) => push(n)),
    part('vm', 'vm.slots', (s) => s.kernel.vm.slots, encodeSlots),
    part('vm', 'vm.privateGfns', (s) => s.kernel.vm.privateGfns, encodeGfnList),
    part('vm', 'vm.vgic', (s) => s.kernel.vm.vgic, encodeVgic),
    part('vm', 'vm.demandPaging', (s) => s.kernel.vm.demandPaging, encodeDemandPaging),
    part('vm', 'vm.warnings', (s) => s.kernel.vm.warnings, encodeWarnings),
    part('state', 'expected', (s) => s.expected, encodeWords),
    part('state', 'vmm', (s) => s.vmm, encodeWords),
    part('state', 'violation', (s) => s.violation, encodeViolation),
    part('state', 'specViolation', (s) => s.specViolation ?? '', pushText),
    part('state', 'panic', (s) => s.panic, encodePanic),
  ];
}

/** The state whose parts are `values` (in `systemParts` order); `config` is the run's static kernel configuration. */
export function assemble(config: VmConfig, vcpus: number, threads: number, values: readonly unknown[]): SystemState {
  let i = 0;
  const vcpuList: Vcpu[] = [];
  const threadList: ThreadState[] = [];
  for (let v = 0; v < vcpus; v++) {
    vcpuList.push(values[i++] as Vcpu);
    threadList.push(values[i++] as ThreadState);
  }
  for (let t = vcpus; t < threads; t++) threadList.push(values[i++] as ThreadState);
  const mm: MmState = {
    files: values[i++] as MmState['files'],
    vmas: values[i++] as MmState['vmas'],
    data: values[i++] as MmState['data'],
    uffds: values[i++] as MmState['uffds'],
    pendingZaps: values[i++] as MmState['pendingZaps'],
    gmems: values[i++] as MmState['gmems'],
    nextHva: values[i++] as number,
    nextFd: values[i++] as number,
  };
  const vm: VmState = {
    slots: values[i++] as VmState['slots'],
    vcpus: vcpuList,
    privateGfns: values[i++] as VmState['privateGfns'],
    vgic: values[i++] as VmState['vgic'],
    demandPaging: values[i++] as VmState['demandPaging'],
    warnings: values[i++] as VmState['warnings'],
  };
  const kernel: KernelState = { config, mm, vm };
  const s: { -readonly [K in keyof SystemState]: SystemState[K] } = {
    kernel,
    threads: threadList,
    expected: values[i++] as readonly number[],
    vmm: values[i++] as readonly number[],
  };
  const violation = values[i++] as Violation | undefined;
  const specViolation = values[i++] as string;
  const panic = values[i++] as Panic | undefined;
  if (violation) s.violation = violation;
  if (specViolation !== '') s.specViolation = specViolation;
  if (panic) s.panic = panic;
  return s;
}
