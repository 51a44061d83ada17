/**
 * Review M1 in composed systems: the ITS restore ioctls need every vCPU out of KVM_RUN.
 * The bundled restore (control-thread.ts) kicks the vCPUs, waits until they are out, then
 * makes the ioctls; a VMM that does not gets -EBUSY and its restore fails. A kick on x86
 * also ends a userfaultfd wait, and the vCPU re-faults later.
 */
import { describe, expect, it } from 'vitest';
import { always, check, sometimes } from '../../src/checker/index.ts';
import { PROPERTY } from '../../properties/core.ts';
import { specRefinement } from '../../properties/refinement.ts';
import { Errno, KVM_EXIT_INTR } from '../../src/kvm/uapi.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import type { SystemConfig } from '../../src/system/config.ts';
import type { SystemState } from '../../src/system/state.ts';
import { DONE } from '../../src/system/state.ts';
import { kvmUserfaultHandler } from '../../src/vmm/kvm-userfault.ts';
import { uffdHandler } from '../../src/vmm/uffd-only.ts';
import { demandPagingHandler } from '../../src/vmm/demand-paging.ts';
import { defineHandler } from '../../src/vmm/strategy.ts';
import { bruteForceCount } from '../helpers/brute-force.ts';

const ITS: SystemConfig = { design: 'kvm-userfault', arch: 'arm64', backing: 'anon', vcpus: 2, pages: 2, control: { itsTables: [1] } };
const kickedOut = (s: SystemState) => s.kernel.vm.vcpus.some((v) => v.run.exitReason === KVM_EXIT_INTR && v.run.errno === Errno.EINTR);

describe('the ITS restore needs the vCPUs out of KVM_RUN', () => {
  it('the bundled restore kicks them out first: no EBUSY, every vCPU finishes, and the kick path is taken', () => {
    const system = composeSystem(ITS, kvmUserfaultHandler);
    const r = check(systemModel(system, { refinement: specRefinement(system), properties: [sometimes('a vCPU is kicked out of KVM_RUN', kickedOut)] }), { stopAtFirst: false });
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
  });

  it('no vCPU is in KVM_RUN while RESTORE_TABLES holds the vCPU mutexes (it does hold them in some state)', () => {
    const system = composeSystem(ITS, kvmUserfaultHandler);
    const exclusive = always('RESTORE_TABLES runs with every vCPU out of KVM_RUN', (s: SystemState) => s.kernel.vm.vgic.vcpusLocked !== true || s.kernel.vm.vcpus.every((v) => v.mode === 'user'));
    const held = sometimes('RESTORE_TABLES holds the vCPU mutexes', (s: SystemState) => s.kernel.vm.vgic.vcpusLocked === true);
    const r = check(systemModel(system, { properties: [exclusive, held] }));
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
  });

  it('a VMM thread that restores the ITS while the vCPUs run gets EBUSY (its restore fails)', () => {
    const careless = defineHandler({
      ...kvmUserfaultHandler,
      // Its ITS thread makes a device ioctl: not the promise the bundled handler makes.
      leavesVcpusAlone: false,
      name: 'careless-its',
      threads: (env) => [
        ...(kvmUserfaultHandler.threads?.(env) ?? []),
        {
          name: 'its',
          steps: [
            {
              label: 'set-baser',
              run(c) {
                const err = c.itsSetBaser([1]);
                if (err !== 0) c.panic(`GITS_BASER: errno ${err}`);
                c.goto(DONE);
              },
            },
          ],
        },
      ],
    });
    const r = check(systemModel(composeSystem({ ...ITS, control: {} }, careless)), { stopAtFirst: false });
    expect(r.failures.some((f) => f.kind === 'invariant' && f.property === PROPERTY.handlerNeverPanics)).toBe(true);
  });
});

describe('x86: a kick ends a userfaultfd wait', () => {
  it('the vCPU returns -EINTR, re-enters and re-faults; the reader that already read the fault still installs it; all finish', () => {
    const kicker = defineHandler({
      ...uffdHandler,
      // Its kicker thread kicks vCPUs: not the promise the bundled handler makes.
      leavesVcpusAlone: false,
      name: 'uffd-with-kicker',
      threads: (env) => [
        ...(uffdHandler.threads?.(env) ?? []),
        {
          name: 'kicker',
          steps: [
            {
              label: 'kick',
              run(c) {
                c.guard(c.kernel.vm.vcpus[0]?.mode === 'uffd-wait');
                c.kick(0);
                c.goto(DONE);
              },
            },
          ],
        },
      ],
    });
    const system = composeSystem({ design: 'uffd', arch: 'x86', backing: 'anon', vcpus: 2, pages: 2 }, kicker);
    const r = check(systemModel(system, { refinement: specRefinement(system), properties: [sometimes('a vCPU is kicked out of a uffd wait', kickedOut)] }), { stopAtFirst: false });
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
  });
});

describe('the default matrix +ITS rows, re-derived (the restore now stops the vCPUs)', () => {
  // Was 3087 and 4358 when the ITS ioctls interleaved with vCPUs in KVM_RUN, which
  // lock_all_vcpus forbids; the kick, the EINTR exits and the wait add their own states.
  const pins: readonly [SystemConfig, number][] = [
    [ITS, 3622],
    [{ ...ITS, design: 'demand-paging' }, 4542],
  ];
  for (const [cfg, pinned] of pins) {
    it(`${cfg.design} arm64 2v×2p +ITS: ${pinned} states, in exact mode and by the brute-force explorer`, () => {
      const handler = cfg.design === 'kvm-userfault' ? kvmUserfaultHandler : demandPagingHandler;
      const system = composeSystem(cfg, handler);
      const exact = check(systemModel(system), { exact: true });
      expect(exact.stats.distinct).toBe(pinned);
      expect(bruteForceCount(systemModel(system)).distinct).toBe(pinned);
    }, 60_000);
  }
});
