/**
 * A packed post-copy demand-paging model, the checker's speed reference (the kernel
 * simulation in src/kvm is the real thing; this one is deliberately small and flat).
 *
 * V vCPUs each run a fixed program of L guest accesses; P guest pages start missing;
 * H userfault handler threads serve faults. Words (V·2 + P + H, 15 for 4×5×3... see
 * `postcopyConfig`):
 * - vCPU v: `pc` (next access, L = done) and `phase` (0 running, 1 waiting on its page,
 *   2 retrying: only with the seeded bug below);
 * - page p: 0 missing, 1 requested (fault queued on the uffd), 2 being copied,
 *   3 present (UFFDIO_COPY done);
 * - handler h: 0 idle, or 1 + p while copying page p.
 *
 * Actions, per thread in a fixed order (vCPUs, then handlers):
 * - a running vCPU accesses page q = program[v][pc]: present → `access` (pc + 1);
 *   missing → `fault` (page requested, vCPU waits); requested/being copied → `fault`
 *   (waits on the in-flight request);
 * - a waiting vCPU whose page is present → `wake` (running again);
 * - an idle handler, for each requested page q → `read(q)` (takes it, page copying);
 * - a copying handler → `copy` (page present, handler idle).
 * Fairness classes: one per thread. End states: every vCPU has finished its program.
 *
 * Seeded bug `stale-retry`: a vCPU that faults on a page whose copy is in flight does
 * not wait for the wake-up; it retries the access, and (modelling a stale
 * "not present" indication, e.g. a userfault bit never cleared) every retry faults
 * again: phase 2, whose only action `retry` changes nothing. The vCPU livelocks with
 * the page present: no deadlock, but `leadsTo(waiting, running)` fails on a fair cycle.
 */
import type { PackedModel } from '../checker/model.ts';
import { always, leadsTo } from '../checker/property.ts';

export interface PostcopyConfig {
  readonly vcpus: number;
  readonly pages: number;
  readonly handlers: number;
  /** program[v] = the pages vCPU v touches, in order. */
  readonly program: readonly (readonly number[])[];
}

export function postcopyConfig(vcpus: number, pages: number, handlers: number, accesses: number): PostcopyConfig {
  const program: number[][] = [];
  for (let v = 0; v < vcpus; v++) {
    const prog: number[] = [];
    for (let j = 0; j < accesses; j++) prog.push((v * 2 + j * 3) % pages);
    program.push(prog);
  }
  return { vcpus, pages, handlers, program };
}

const KINDS = ['access', 'fault', 'wake', 'read', 'copy', 'retry'] as const;
const ACCESS = 0;
const FAULT = 1;
const WAKE = 2;
const READ = 3;
const COPY = 4;
const RETRY = 5;

export interface PostcopyOptions {
  /** Add `leadsTo('a waiting vcpu0 runs again')`. */
  readonly liveness?: boolean;
  readonly bug?: 'stale-retry';
  /**
   * Thread symmetry. Handlers: the H handler threads run the same code and no word names
   * a handler (a handler word holds 0 or 1 + page; page words hold a phase), so any
   * permutation of the handler words is an automorphism of the transition system.
   * vCPUs: two vCPUs with the same program are interchangeable too (no word names a
   * vCPU), so permuting the (pc, phase) pairs within a class of equal programs is one
   * (postcopyConfig gives vCPUs v and v + 2 the same program when pages is 4). The
   * representative sorts the handler words and, within each class, the (pc, phase)
   * pairs. Sound for safety: the one invariant counts owners over all handlers and reads
   * no vCPU word, the end-state predicate treats a class's vCPUs alike (the checker uses
   * representatives only when liveness is off; the liveness property names vcpu0).
   */
  readonly symmetry?: boolean;
}

/** Sorts out[from .. from + n) ascending (insertion sort: n is a handful of handlers). */
function sortWords(out: Uint32Array, from: number, n: number): void {
  for (let i = from + 1; i < from + n; i++) {
    const w = out[i]!;
    let j = i - 1;
    while (j >= from && out[j]! > w) {
      out[j + 1] = out[j]!;
      j--;
    }
    out[j + 1] = w;
  }
}

export function postcopyModel(cfg: PostcopyConfig, options: PostcopyOptions = {}): PackedModel {
  const staleRetry = options.bug === 'stale-retry';
  const V = cfg.vcpus;
  const P = cfg.pages;
  const H = cfg.handlers;
  const PAGE = 2 * V;
  const HANDLER = PAGE + P;
  const width = HANDLER + H;
  const progLen = cfg.program.map((p) => p.length);
  // Flattened programs: prog[v * maxLen + pc]
  const maxLen = Math.max(...progLen);
  const prog = new Int32Array(V * maxLen);
  cfg.program.forEach((p, v) => p.forEach((q, j) => (prog[v * maxLen + j] = q)));

  /** Kind of vCPU v's next action, or -1 when it has none (finished, or waiting on a page not yet present). */
  const vcpuKind = (s: Uint32Array, v: number): number => {
    const pc = s[2 * v]!;
    if (pc >= progLen[v]!) return -1;
    const page = s[PAGE + prog[v * maxLen + pc]!]!;
    const phase = s[2 * v + 1];
    if (phase === 2) return RETRY;
    if (phase === 1) return page === 3 ? WAKE : -1;
    return page === 3 ? ACCESS : FAULT;
  };
  // Per-state action table, filled by actionCount (see PackedModel's calling contract):
  // for action k, the acting thread, its kind, and for `read` the page taken.
  const maxActions = V + H * P;
  const actThread = new Int32Array(maxActions);
  const actKind = new Int32Array(maxActions);
  const actPage = new Int32Array(maxActions);
  const fill = (s: Uint32Array): number => {
    let n = 0;
    for (let v = 0; v < V; v++) {
      const kind = vcpuKind(s, v);
      if (kind >= 0) {
        actThread[n] = v;
        actKind[n] = kind;
        n++;
      }
    }
    for (let h = 0; h < H; h++) {
      const copying = s[HANDLER + h]!;
      if (copying !== 0) {
        actThread[n] = V + h;
        actKind[n] = COPY;
        actPage[n] = copying - 1;
        n++;
        continue;
      }
      for (let p = 0; p < P; p++) {
        if (s[PAGE + p] !== 1) continue;
        actThread[n] = V + h;
        actKind[n] = READ;
        actPage[n] = p;
        n++;
      }
    }
    return n;
  };

  // vCPUs grouped by program (classes of 2+ members only), for the vCPU symmetry.
  const byProgram = new Map<string, number[]>();
  cfg.program.forEach((p, v) => byProgram.set(p.join(), [...(byProgram.get(p.join()) ?? []), v]));
  const vcpuClasses = [...byProgram.values()].filter((c) => c.length > 1);
  const pairKeys = new Uint32Array(V);
  /** Sorts the (pc, phase) pairs of the vCPUs in `members` by pc·4 + phase (phase < 4). */
  const sortVcpus = (out: Uint32Array, members: readonly number[]): void => {
    members.forEach((v, i) => (pairKeys[i] = out[2 * v]! * 4 + out[2 * v + 1]!));
    sortWords(pairKeys, 0, members.length);
    members.forEach((v, i) => {
      out[2 * v] = pairKeys[i]! >>> 2;
      out[2 * v + 1] = pairKeys[i]! & 3;
    });
  };
  const representative = options.symmetry
    ? (s: Uint32Array, out: Uint32Array): void => {
        out.set(s);
        sortWords(out, HANDLER, H);
        for (const members of vcpuClasses) sortVcpus(out, members);
      }
    : undefined;

  return {
    width,
    ...(representative ? { representative } : {}),
    initialStates: () => [new Uint32Array(width)],
    actionCount: fill,
    next: (s, k, out) => {
      out.set(s);
      const t = actThread[k]!;
      switch (actKind[k]) {
        case ACCESS:
          out[2 * t] = s[2 * t]! + 1;
          break;
        case FAULT: {
          const q = PAGE + prog[t * maxLen + s[2 * t]!]!;
          if (s[q] === 0) out[q] = 1;
          out[2 * t + 1] = staleRetry && s[q] === 2 ? 2 : 1;
          break;
        }
        case WAKE:
          out[2 * t + 1] = 0;
          break;
        case READ:
          out[PAGE + actPage[k]!] = 2;
          out[HANDLER + t - V] = actPage[k]! + 1;
          break;
        case COPY:
          out[PAGE + actPage[k]!] = 3;
          out[HANDLER + t - V] = 0;
          break;
        case RETRY:
          break;
      }
    },
    formatAction: (s, k) => {
      const t = actThread[k]!;
      const kind = KINDS[actKind[k]!]!;
      if (t < V) return `${kind}(vcpu${t}, page ${prog[t * maxLen + s[2 * t]!]!})`;
      return `${kind}(handler${t - V}, page ${actPage[k]!})`;
    },
    actionKinds: KINDS,
    actionKind: (_s, k) => actKind[k]!,
    fairness: (_s, k) => actThread[k]!,
    isEndState: (s) => {
      for (let v = 0; v < V; v++) if (s[2 * v]! < progLen[v]!) return false;
      return true;
    },
    properties: () => {
      const props = [
        always<Uint32Array>('a page being copied has exactly one copier', (s) => {
          for (let p = 0; p < P; p++) {
            if (s[PAGE + p] !== 2) continue;
            let owners = 0;
            for (let h = 0; h < H; h++) if (s[HANDLER + h] === p + 1) owners++;
            if (owners !== 1) return false;
          }
          return true;
        }),
      ];
      if (options.liveness) {
        props.push(
          leadsTo<Uint32Array>(
            'a faulting vcpu0 runs again',
            (s) => s[1] !== 0,
            (s) => s[1] === 0,
          ),
        );
      }
      return props;
    },
  };
}
