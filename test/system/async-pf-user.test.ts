/**
 * Async PF user composed with its reference handler and two plausible mistakes, in the
 * style of seed-warnings.test.ts: the seed's warning as a counterexample found by
 * exhaustive exploration, and what the other mistake costs.
 */
import { describe, expect, it } from 'vitest';
import { always, check, sometimes, type CheckResult, type Failure } from '../../src/checker/index.ts';
import { KVM_EXIT_MEMORY_FAULT, KVM_MEMORY_EXIT_FLAG_ASYNC_PF_USER, KVM_MEMORY_EXIT_FLAG_USERFAULT } from '../../src/kvm/uapi.ts';
import { ConfigError } from '../../src/system/config-error.ts';
import { resolveConfig, type SystemConfig } from '../../src/system/config.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import type { SystemState } from '../../src/system/state.ts';
import { asyncPfUserHandler } from '../../src/vmm/async-pf-user.ts';
import { asyncPfReadyFirstHandler, asyncPfWrongTokenHandler } from '../../src/vmm/flawed-async-pf-user.ts';
import type { HandlerStrategy } from '../../src/vmm/strategy.ts';
import { matrixConfig } from './matrix.ts';

function run(cfg: SystemConfig, handler: HandlerStrategy, extra: Parameters<typeof systemModel>[1] = {}): CheckResult {
  return check(systemModel(composeSystem(cfg, handler), { consistency: true, ...extra }));
}

function labels(f: Failure | undefined): string[] {
  if (!f) return [];
  if (f.kind === 'liveness') return [...f.lasso.prefix.labels, '-- cycle --', ...f.lasso.cycleLabels];
  return 'trace' in f ? [...f.trace.labels] : [];
}

// guest_memfd: the RFC goes asynchronous only on KVM_X86_SW_PROTECTED_VM (the default
// --async-pf-scope sw-protected, review M5).
const cfg = matrixConfig({ design: 'async-pf-user', backing: 'guest_memfd', arch: 'x86' });

/** A vCPU's last exit was a synchronous userfault exit (no async flag). */
function synchronousUserfaultExit(s: SystemState): boolean {
  return s.kernel.vm.vcpus.some((v) => {
    const flags = v.run.memoryFault?.flags ?? 0;
    return v.run.exitReason === KVM_EXIT_MEMORY_FAULT && (flags & KVM_MEMORY_EXIT_FLAG_USERFAULT) !== 0 && (flags & KVM_MEMORY_EXIT_FLAG_ASYNC_PF_USER) === 0;
  });
}

describe('a KVM_ASYNC_PF_USER_READY token must match one the kernel issued', { timeout: 30_000 }, () => {
  it('the reference handler passes the token the exit carried: every vCPU finishes under every fair schedule', () => {
    const r = run(cfg, asyncPfUserHandler);
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
    expect(r.liveness).toBe('checked');
  });

  it('a handler that passes the page number instead gets -EINVAL, and the parked op never comes back', () => {
    const r = run(cfg, asyncPfWrongTokenHandler);
    expect(r.status).toBe('fail');
    const f = r.failures.find((x) => x.kind === 'deadlock' || x.kind === 'liveness');
    expect(f).toBeDefined();
    const trace = labels(f);
    expect(trace.some((l) => /KVM_RUN → -EFAULT, KVM_EXIT_MEMORY_FAULT gpa 0x\d+ flags 0x30 token 0x\d+/.test(l))).toBe(true);
    expect(trace.some((l) => /ready: KVM_ASYNC_PF_USER_READY vcpu \d token 0x[01] → EINVAL/.test(l))).toBe(true);
    expect(trace.some((l) => /halts until a page is ready/.test(l))).toBe(true);
  });
});

describe('READY before the page is installed', { timeout: 30_000 }, () => {
  const noSyncExit = 'no userfault exit is synchronous';
  const syncExit = 'a resumed op exits synchronously';
  const props = { properties: [always<SystemState>(noSyncExit, (s) => !synchronousUserfaultExit(s)), sometimes<SystemState>(syncExit, synchronousUserfaultExit)] };

  it('the reference handler never sees a synchronous exit: a resumed op finds its page', () => {
    const r = run(cfg, asyncPfUserHandler, props);
    expect(r.failures.map((f) => ('property' in f ? f.property : f.kind))).toEqual([syncExit]);
  });

  it('KVM does not check the page: the resumed op faults again, synchronously, and the vCPU thread serves it itself — correct, but a wasted round trip', () => {
    const r = run(cfg, asyncPfReadyFirstHandler, props);
    const names = r.failures.map((f) => ('property' in f ? f.property : f.kind));
    expect(names).toEqual([noSyncExit]);
    const trace = labels(r.failures[0]);
    expect(trace.some((l) => /ready: KVM_ASYNC_PF_USER_READY vcpu \d token 0x\w+ → 0/.test(l))).toBe(true);
    expect(trace.at(-1)).toMatch(/KVM_EXIT_MEMORY_FAULT gpa 0x\w+ flags 0x10$/);
    // Without the extra property, every core property holds (memory, reads, liveness).
    const plain = run(cfg, asyncPfReadyFirstHandler);
    expect(plain.failures).toEqual([]);
    expect(plain.status).toBe('pass');
    expect(plain.stats.distinct).toBeGreaterThan(run(cfg, asyncPfUserHandler).stats.distinct);
  });
});

describe('async-pf-user configurations', () => {
  it('are x86 only and need the KVM Userfault series', () => {
    const base = { design: 'async-pf-user', backing: 'anon', vcpus: 1, pages: 1 } as const;
    expect(() => resolveConfig({ ...base, arch: 'arm64' })).toThrow(ConfigError);
    expect(() => resolveConfig({ ...base, arch: 'x86', series: 'none' })).toThrow(/KVM Userfault series/);
  });
});

describe('the VM-type gate of the RFC as posted (--async-pf-scope, review M5)', { timeout: 30_000 }, () => {
  const anon = matrixConfig({ design: 'async-pf-user', backing: 'anon', arch: 'x86' });
  const asyncExit = (s: SystemState) => s.kernel.vm.vcpus.some((v) => ((v.run.memoryFault?.flags ?? 0) & KVM_MEMORY_EXIT_FLAG_ASYNC_PF_USER) !== 0);
  const props = (name: string) => ({ properties: [sometimes(name, asyncExit)] });

  it('is the default: on anon (not KVM_X86_SW_PROTECTED_VM) every exit is synchronous, and the reference handler still passes', () => {
    expect(resolveConfig(anon).asyncPfScope).toBe('sw-protected');
    const r = run(anon, asyncPfUserHandler, props('some exit is asynchronous'));
    // The only failure is the reachability property: no exit ever carries the async flag.
    expect(r.failures.map((f) => ('property' in f ? f.property : f.kind))).toEqual(['some exit is asynchronous']);
    const plain = run(anon, asyncPfUserHandler);
    expect(plain.failures).toEqual([]);
    expect(plain.status).toBe('pass');
  });

  it('on guest_memfd (KVM_X86_SW_PROTECTED_VM) exits go asynchronous; with --async-pf-scope any they do on anon too', () => {
    expect(run(cfg, asyncPfUserHandler, props('some exit is asynchronous')).failures).toEqual([]);
    expect(run({ ...anon, asyncPfScope: 'any' }, asyncPfUserHandler, props('some exit is asynchronous')).failures).toEqual([]);
  });

  it('the wrong-token handler is convicted where tokens exist, and passes on anon, where none is ever issued', () => {
    expect(run(cfg, asyncPfWrongTokenHandler).status).toBe('fail');
    expect(run(anon, asyncPfWrongTokenHandler).status).toBe('pass');
  });
});
