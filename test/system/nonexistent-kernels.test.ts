/**
 * Configurations of kernels that never existed are refused with a coded error rather
 * than checked (kernel-fidelity-review.md V5): KVM Userfault v1/v3 on arm64 with
 * guest_memfd (neither hooks gmem_abort, which postdates both).
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig, type SystemConfig } from '../../src/system/config.ts';
import { ConfigError } from '../../src/system/config-error.ts';

function refusal(cfg: SystemConfig): ConfigError | undefined {
  try {
    resolveConfig(cfg);
    return undefined;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
}

describe('KVM Userfault on arm64 with guest_memfd', () => {
  const base = { design: 'kvm-userfault', arch: 'arm64', backing: 'guest_memfd', vcpus: 2, pages: 2 } as const;

  it.each(['v3', 'v1', undefined] as const)('series %s (v3 is the default) is refused with KVMUF105 and a hint', (series) => {
    const e = refusal({ ...base, ...(series ? { series } : {}) });
    expect(e?.code).toBe('KVMUF105');
    expect(e?.message).toMatch(/never existed/);
    expect(e?.message).not.toMatch(/\n/);
    expect(e?.hint).toMatch(/--series v2-firecracker/);
  });

  it('Firecracker’s v2 copy (which hooks gmem_abort) and x86 are accepted', () => {
    expect(refusal({ ...base, series: 'v2-firecracker' })).toBeUndefined();
    expect(refusal({ ...base, arch: 'x86' })).toBeUndefined();
  });
});
