/**
 * The compact state encoding (src/system/state-codec.ts) against the full one. Two
 * checks: every reachable state survives encode → decode unchanged (as data, and by its
 * full encoding), which fails when a field of the kernel or system state is missing from
 * state-parts.ts; and `check` with the compact encoding reaches the same states and the
 * same counterexamples (labels and fingerprints) as with the full encoding, on scale
 * matrix entries and on every bundled wrong handler's convicting configuration.
 */
import { describe, expect, it } from 'vitest';
import { check, WordBuffer } from '../../src/checker/index.ts';
import { StateCodec } from '../../src/system/state-codec.ts';
import { composeSystem, systemModel, type System } from '../../src/system/model.ts';
import type { SystemState } from '../../src/system/state.ts';
import { CONVICTING_CONFIGS } from '../../src/vmm/convictions.ts';
import { bundledHandler, bundledHandlerFor } from '../../src/vmm/index.ts';
import { withUserfaultOffThread } from '../helpers/userfault-off-while-logging.ts';
import { matrixConfig, matrixEntries, matrixName } from './matrix.ts';

function fullWords(system: System, s: SystemState): number[] {
  const model = systemModel(system, { compact: false });
  const buf = new WordBuffer();
  model.encode(s, buf);
  return Array.from(buf.toArray());
}

/** Every key of the state's containers that the parts do not name (should be none). */
function unknownKeys(s: SystemState, partNames: readonly string[]): string[] {
  const known = new Set(partNames.map((n) => n.replace(/\[\d+\]$/, '')));
  for (const k of ['kernel', 'threads', 'expected', 'vmm', 'violation', 'specViolation', 'panic', 'kernel.config', 'kernel.mm', 'kernel.vm', 'vm.vcpus']) known.add(k);
  const out: string[] = [];
  const see = (prefix: string, o: object) => {
    for (const k of Object.keys(o)) if (!known.has(`${prefix}${k}`)) out.push(`${prefix}${k}`);
  };
  see('', s);
  see('kernel.', s.kernel);
  see('mm.', s.kernel.mm);
  see('vm.', s.kernel.vm);
  return out;
}

/** Breadth-first over the system's states (by full encoding), up to `limit`, round-tripping each. */
function roundTrip(system: System, limit: number): number {
  const codec = new StateCodec(system.initial.kernel.config, system.initial.kernel.vm.vcpus.length, system.threads.length);
  const seen = new Set<string>();
  const queue: SystemState[] = [system.initial];
  let checked = 0;
  while (queue.length > 0 && checked < limit) {
    const s = queue.shift() as SystemState;
    const key = fullWords(system, s).join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    const name = new WordBuffer();
    codec.encode(s, name);
    expect(name.length).toBe(codec.width);
    expect(unknownKeys(s, codec.partSizes().map((p) => p.name))).toEqual([]);
    const back = codec.decode(name.toArray());
    expect(back).toEqual(s);
    expect(fullWords(system, back)).toEqual(fullWords(system, s));
    // Re-encoding the decoded state names it the same.
    const again = new WordBuffer();
    codec.encode(back, again);
    expect(Array.from(again.toArray())).toEqual(Array.from(name.toArray()));
    checked++;
    for (let t = 0; t < system.threads.length; t++) {
      const r = system.step(s, t);
      if (r) queue.push(r.state);
    }
  }
  return checked;
}

describe('compact state encoding', () => {
  for (const e of matrixEntries()) {
    it(`${matrixName(e)} ×2: every state round-trips`, () => {
      const system = composeSystem(matrixConfig(e, 2), bundledHandlerFor(e.design));
      expect(roundTrip(system, 400)).toBeGreaterThan(20);
    });
  }

  for (const [name, cfg] of Object.entries(CONVICTING_CONFIGS)) {
    it(`wrong handler ${name}: every state round-trips`, () => {
      expect(roundTrip(composeSystem(cfg, bundledHandler(name)!), 400)).toBeGreaterThan(2);
    });
  }

  it('a state with a kernel warning round-trips (vm.warnings is a part)', () => {
    // Dirty logging on, then USERFAULT off: x86 v3's WARN (review M2, kernel-warning.test.ts).
    const handler = withUserfaultOffThread(false);
    const cfg = { design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 1, pages: 2, programs: [[{ kind: 'read', gfn: 0 }]] } as const;
    const system = composeSystem(cfg, handler);
    const migration = system.threads.findIndex((x) => x.name === 'migration');
    let s = system.initial;
    for (let n = 0; n < 2; n++) s = system.step(s, migration)?.state ?? s;
    expect(s.kernel.vm.warnings.length).toBeGreaterThan(0);
    const codec = new StateCodec(s.kernel.config, 1, system.threads.length);
    const name = new WordBuffer();
    codec.encode(s, name);
    expect(codec.decode(name.toArray())).toEqual(s);
  });

  it('distinct states get distinct names and equal states equal names', () => {
    const system = composeSystem(matrixConfig(matrixEntries()[0]!, 2), bundledHandlerFor('kvm-userfault'));
    const codec = new StateCodec(system.initial.kernel.config, 2, system.threads.length);
    const byName = new Map<string, string>();
    const queue: SystemState[] = [system.initial];
    for (let n = 0; n < 300 && queue.length > 0; n++) {
      const s = queue.shift() as SystemState;
      const name = new WordBuffer();
      codec.encode(s, name);
      const key = Array.from(name.toArray()).join(',');
      const full = fullWords(system, s).join(',');
      expect(byName.get(key) ?? full).toBe(full);
      byName.set(key, full);
      for (let t = 0; t < system.threads.length; t++) {
        const r = system.step(s, t);
        if (r) queue.push(r.state);
      }
    }
    const names = [...byName.keys()];
    expect(new Set(byName.values()).size).toBe(names.length);
  });

  const cases: [string, System][] = [
    ...matrixEntries()
      .filter((e) => e.backing === 'anon' || e.backing === 'guest_memfd')
      .map((e): [string, System] => [`${matrixName(e)} ×2`, composeSystem(matrixConfig(e, 2), bundledHandlerFor(e.design))]),
    ...Object.entries(CONVICTING_CONFIGS).map(([name, cfg]): [string, System] => [`wrong handler ${name}`, composeSystem(cfg, bundledHandler(name)!)]),
  ];
  for (const [name, system] of cases) {
    it(`${name}: check reaches the same states and counterexamples compact or full`, () => {
      const compact = check(systemModel(system), { stopAtFirst: false });
      const full = check(systemModel(system, { compact: false }), { stopAtFirst: false });
      expect(compact.status).toBe(full.status);
      expect(compact.stats.distinct).toBe(full.stats.distinct);
      expect(compact.stats.generated).toBe(full.stats.generated);
      expect(compact.failures).toEqual(full.failures);
      expect(compact.liveness).toBe(full.liveness);
    });
  }
});
