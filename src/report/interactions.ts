/**
 * What each step of a counterexample says to whom: the messages between the threads and
 * the kernel objects they talk to (KVM, the userfaultfd queue, the userfault bitmap, guest
 * memory), read from the step's text and from what changed in the state. A vCPU's fault
 * is vCPU → KVM, the memory-fault exit KVM → vCPU; UFFDIO_COPY is thread → userfaultfd,
 * then userfaultfd → memory (the install) and userfaultfd → each thread it woke; a bitmap
 * store is thread → bitmap.
 */
import type { System } from '../system/model.ts';
import type { Counterexample } from './counterexample.ts';
import { stateView, type StateView } from './state-view.ts';

export const OBJECT_LANES = ['KVM', 'userfaultfd', 'bitmap', 'memory'] as const;
export type ObjectLane = (typeof OBJECT_LANES)[number];

export type MessageKind = 'call' | 'return' | 'wake' | 'store' | 'sleep';

export interface Message {
  /** A thread's name or a kernel object. */
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly kind: MessageKind;
}

export interface StepInteraction {
  /** The thread that moved. */
  readonly thread: string;
  /** The step's label and what it did (after `thread.`). */
  readonly text: string;
  readonly messages: readonly Message[];
}

export interface InteractionDiagram {
  readonly threads: readonly string[];
  readonly objects: readonly ObjectLane[];
  readonly steps: readonly StepInteraction[];
  /** Index of the step that broke an invariant (the last step of its trace), if any. */
  readonly violating?: number;
  readonly cycleStart?: number;
  /** At a deadlock (or a stuck lasso): each thread that cannot move, and where it waits. */
  readonly stuck: readonly { readonly thread: string; readonly at: string }[];
}

/** `vcpu0@1 control@0` → the names of the waiting threads with their pages. */
function waiters(v: StateView, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, value] of Object.entries(v)) {
    if (!k.startsWith(prefix) || (!k.endsWith('.pending') && !k.endsWith('.waiting')) || typeof value !== 'string') continue;
    for (const w of value.split(' ')) {
      const at = w.lastIndexOf('@');
      if (at > 0) out.set(w.slice(0, at), w.slice(at + 1));
    }
  }
  return out;
}

function changedPages(before: StateView, after: StateView, field: string): { gfn: string; value: string }[] {
  const out: { gfn: string; value: string }[] = [];
  for (const [k, v] of Object.entries(after)) {
    const m = /^page(\d+)\.(\w+)$/.exec(k);
    if (m && m[2] === field && before[k] !== v) out.push({ gfn: m[1] as string, value: String(v) });
  }
  return out;
}

const short = (s: string, n = 40) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** `-EFAULT, KVM_EXIT_MEMORY_FAULT gpa 0x1000 flags 0x10` → `exit MEMORY_FAULT gpa 0x1000`. */
function exitText(result: string): string {
  const m = /KVM_EXIT_(\w+)(?: gpa (0x[0-9a-f]+))?/.exec(result);
  return m ? `exit ${m[1]}${m[2] ? ` gpa ${m[2]}` : ''}` : result;
}

/** The primary messages a step's own text shows. */
function primary(thread: string, what: string): Message[] {
  const colon = what.indexOf(': ');
  const label = colon < 0 ? what : what.slice(0, colon);
  const d = colon < 0 ? '' : what.slice(colon + 2);
  const call = (to: string, text: string): Message => ({ from: thread, to, text: short(text), kind: 'call' });
  const back = (from: string, text: string): Message => ({ from, to: thread, text: short(text), kind: 'return' });
  if (d === '' && label === 'KVM_RUN') return [call('KVM', 'KVM_RUN')];
  if (d.startsWith('KVM_RUN → ')) return [back('KVM', exitText(d.slice('KVM_RUN → '.length)))];
  let m = /^stage-2 fault on gfn (\d+): GUP sleeps in userfaultfd/.exec(d);
  if (m) return [call('KVM', `stage-2 fault gfn ${m[1]}`), { from: 'KVM', to: 'userfaultfd', text: `GUP: ${thread} sleeps`, kind: 'sleep' }];
  m = /^stage-2 fault on gfn (\d+)/.exec(d);
  if (m) return [call('KVM', `stage-2 fault gfn ${m[1]}`)];
  m = /^guest (reads|writes) gfn (\d+) = (\S+)/.exec(d);
  if (m) return [call('memory', `guest ${m[1]} gfn ${m[2]} = ${m[3]}`)];
  m = /^(?:ITS restore reads|KVM read) gfn (\d+).*sleeps in userfaultfd/.exec(d);
  if (m) return [call('KVM', label), { from: 'KVM', to: 'userfaultfd', text: `read gfn ${m[1]}: ${thread} sleeps`, kind: 'sleep' }];
  if (/^read → KVM waits|^read → (?!fault|REMOVE|EAGAIN)/.test(d)) return [call('KVM', 'read(notification fd)'), back('KVM', d.slice('read → '.length))];
  if (d.startsWith('read → ')) return [call('userfaultfd', 'read()'), back('userfaultfd', d.slice('read → '.length))];
  if (/^(UFFDIO_|poll →|close\(uffd\))/.test(d)) return [call('userfaultfd', d)];
  if (/^(set|clear) bit \d+/.test(d)) return [{ from: thread, to: 'bitmap', text: d, kind: 'store' }];
  if (/^(memcpy|write\(guest_memfd\)|pwrite\(memfd\)|madvise)/.test(d)) return [call('memory', d)];
  if (/^(KVM read|kvm_write_guest|ITS restore)/.test(d)) return [call('KVM', label), { from: 'KVM', to: 'memory', text: short(d), kind: 'call' }];
  if (d !== '') return [call('KVM', d)];
  return [];
}

/** The messages of the step from view `before` to view `after`. */
function messagesOf(thread: string, what: string, before: StateView, after: StateView): Message[] {
  const out = primary(thread, what);
  const has = (to: string) => out.some((m) => m.to === to || m.from === to);
  for (const { gfn, value } of changedPages(before, after, 'bit')) {
    if (!has('bitmap')) out.push({ from: thread, to: 'bitmap', text: `${value === 'true' ? 'set' : 'clear'} bit ${gfn}`, kind: 'store' });
  }
  for (const { gfn, value } of changedPages(before, after, 'content')) {
    const via = out.some((m) => m.to === 'userfaultfd' && m.kind === 'call') ? 'userfaultfd' : out.some((m) => m.to === 'KVM' || m.from === 'KVM') ? 'KVM' : undefined;
    if (via) out.push({ from: via, to: 'memory', text: value === '0' && via === 'KVM' ? `zero page at gfn ${gfn}` : `install gfn ${gfn} = ${value}`, kind: 'call' });
    else if (!has('memory')) out.push({ from: thread, to: 'memory', text: `gfn ${gfn} = ${value}`, kind: 'call' });
  }
  const was = waiters(before, 'uffd');
  const now = waiters(after, 'uffd');
  for (const [who, page] of now) {
    if (!was.has(who) && !out.some((m) => m.kind === 'sleep')) out.push({ from: who === thread ? thread : 'KVM', to: 'userfaultfd', text: `fault gfn ${page}: ${who} sleeps`, kind: 'sleep' });
  }
  for (const [who, page] of was) if (!now.has(who)) out.push({ from: 'userfaultfd', to: who, text: `wake (gfn ${page})`, kind: 'wake' });
  return out;
}

export function interactionsOf(sys: System, cx: Counterexample): InteractionDiagram {
  const threads = sys.threads.map((t) => t.name);
  const views = cx.states.map((s) => stateView(sys, s));
  const steps = cx.steps.map((s, i): StepInteraction => {
    const dot = s.label.indexOf('.');
    const thread = s.label.slice(0, dot);
    const text = s.label.slice(dot + 1);
    return { thread, text, messages: messagesOf(thread, text, views[i] ?? {}, views[i + 1] ?? {}) };
  });
  const used = new Set(steps.flatMap((s) => s.messages.flatMap((m) => [m.from, m.to])));
  // Every object lane that a message touches, plus KVM and memory (always there).
  const objects = OBJECT_LANES.filter((o) => o === 'KVM' || o === 'memory' || used.has(o) || (o === 'bitmap' && sys.env.bitmap !== 0));
  const last = views.at(-1) ?? {};
  const asleep = waiters(last, 'uffd');
  const stuckAtEnd = cx.kind === 'deadlock' || (cx.cycleStart !== undefined && cx.cycleStart === cx.steps.length);
  const stuck = stuckAtEnd
    ? threads
        .filter((t) => last[`${t}.step`] !== 'done')
        .map((t) => ({ thread: t, at: `${String(last[`${t}.step`] ?? '?')}${asleep.has(t) ? ' (asleep in userfaultfd)' : ''}` }))
    : [];
  return {
    threads,
    objects,
    steps,
    ...(cx.kind === 'invariant' && steps.length > 0 ? { violating: steps.length - 1 } : {}),
    ...(cx.cycleStart !== undefined ? { cycleStart: cx.cycleStart } : {}),
    stuck,
  };
}
