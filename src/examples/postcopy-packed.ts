/**
 * A packed post-copy demand-paging model, the checker's speed reference (the kernel
 * simulation in src/kvm is the real thing; this one is deliberately small and flat).
 *
 * V vCPUs each run a fixed program of L guest accesses; P guest pages start missing;
 * H userfault handler threads serve faults. Words (V·2 + P + H, 15 for 4×5×3... see
 * `postcopyConfig`):
 * - vCPU v: `pc` (next access, L = done) and `phase` (0 running, 1 waiting on its page);
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

const KINDS = ['access', 'fault', 'wake', 'read', 'copy'] as const;
const ACCESS = 0;
const FAULT = 1;
const WAKE = 2;
const READ = 3;
const COPY = 4;

export function postcopyModel(cfg: PostcopyConfig, options: { liveness?: boolean } = {}): PackedModel {
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

  /** Kind of the action thread `t` would take, or -1 when it has none; for handlers reading, -(count) encoded separately. */
  const vcpuKind = (s: Uint32Array, v: number): number => {
    const pc = s[2 * v]!;
    if (pc >= progLen[v]!) return -1;
    const page = s[PAGE + prog[v * maxLen + pc]!]!;
    if (s[2 * v + 1] === 1) return page === 3 ? WAKE : -1;
    return page === 3 ? ACCESS : FAULT;
  };
  const requested = (s: Uint32Array): number => {
    let n = 0;
    for (let p = 0; p < P; p++) if (s[PAGE + p] === 1) n++;
    return n;
  };
  const handlerActions = (s: Uint32Array, h: number, req: number): number => (s[HANDLER + h] === 0 ? req : 1);

  /** Resolves action k to (thread, detail); returns the thread index, detail in `which`. */
  let which = 0;
  const resolve = (s: Uint32Array, k: number): number => {
    for (let v = 0; v < V; v++) {
      if (vcpuKind(s, v) >= 0) {
        if (k === 0) return v;
        k--;
      }
    }
    const req = requested(s);
    for (let h = 0; h < H; h++) {
      const n = handlerActions(s, h, req);
      if (k < n) {
        which = k;
        return V + h;
      }
      k -= n;
    }
    throw new Error(`action ${k} out of range`);
  };
  const nthRequested = (s: Uint32Array, i: number): number => {
    for (let p = 0; p < P; p++) if (s[PAGE + p] === 1 && i-- === 0) return p;
    return -1;
  };

  return {
    width,
    initialStates: () => [new Uint32Array(width)],
    actionCount: (s) => {
      let n = 0;
      for (let v = 0; v < V; v++) if (vcpuKind(s, v) >= 0) n++;
      const req = requested(s);
      for (let h = 0; h < H; h++) n += handlerActions(s, h, req);
      return n;
    },
    next: (s, k, out) => {
      out.set(s);
      const t = resolve(s, k);
      if (t < V) {
        const pc = s[2 * t]!;
        const q = prog[t * maxLen + pc]!;
        switch (vcpuKind(s, t)) {
          case ACCESS:
            out[2 * t] = pc + 1;
            break;
          case FAULT:
            if (s[PAGE + q] === 0) out[PAGE + q] = 1;
            out[2 * t + 1] = 1;
            break;
          case WAKE:
            out[2 * t + 1] = 0;
            break;
        }
        return;
      }
      const h = t - V;
      const copying = s[HANDLER + h]!;
      if (copying === 0) {
        const q = nthRequested(s, which);
        out[PAGE + q] = 2;
        out[HANDLER + h] = q + 1;
      } else {
        out[PAGE + copying - 1] = 3;
        out[HANDLER + h] = 0;
      }
    },
    formatAction: (s, k) => {
      const t = resolve(s, k);
      if (t < V) {
        const q = prog[t * maxLen + s[2 * t]!]!;
        return `${KINDS[vcpuKind(s, t)]}(vcpu${t}, page ${q})`;
      }
      const h = t - V;
      const copying = s[HANDLER + h]!;
      return copying === 0 ? `read(handler${h}, page ${nthRequested(s, which)})` : `copy(handler${h}, page ${copying - 1})`;
    },
    actionKinds: KINDS,
    actionKind: (s, k) => {
      const t = resolve(s, k);
      if (t < V) return vcpuKind(s, t);
      return s[HANDLER + t - V] === 0 ? READ : COPY;
    },
    fairness: (s, k) => resolve(s, k),
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
            'a waiting vcpu0 is woken',
            (s) => s[1] === 1,
            (s) => s[1] === 0,
          ),
        );
      }
      return props;
    },
  };
}
