/**
 * The shape of the generated Promela port (src/bench/spin-model.ts). SPIN is not run
 * here (CI does not install it): `npm run spin-compare` checks the state counts.
 */
import { describe, expect, it } from 'vitest';
import { postcopyConfig } from '../../src/examples/postcopy-packed.ts';
import { promelaModel } from '../../src/bench/spin-model.ts';

describe('Promela port of the packed post-copy model', () => {
  const cfg = postcopyConfig(3, 4, 2, 5);
  const pml = promelaModel(cfg);

  it('has one process per thread, each a single do loop at an end label', () => {
    expect(pml.match(/^active proctype vcpu\d\(\) \{$/gm)).toHaveLength(3);
    expect(pml.match(/^active proctype handler\d\(\) \{$/gm)).toHaveLength(2);
    expect(pml.match(/^end: do$/gm)).toHaveLength(5);
    expect(pml.match(/^od$/gm)).toHaveLength(5);
  });

  it('makes every alternative one d_step: vCPU access/fault/wake, a read per page, copy, one timeout', () => {
    const alternatives = pml.match(/^ {2}:: /gm) ?? [];
    const dsteps = pml.match(/^ {2}:: d_step \{/gm) ?? [];
    expect(dsteps.length).toBe(alternatives.length);
    expect(alternatives.length).toBe(3 * 3 + 2 * (4 + 1) + 1);
    expect(pml.match(/timeout/g)).toHaveLength(1);
    expect(pml).not.toMatch(/retry/); // only with the seeded bug
    expect(promelaModel(cfg, { bug: 'stale-retry' }).match(/\/\* retry \*\//g)).toHaveLength(3);
  });

  it('takes the programs from the config, as a pc-indexed page choice per vCPU', () => {
    cfg.program.forEach((prog, v) => {
      expect(pml).toContain(`vcpu${v} program: ${prog.join(' ')}`);
      const define = pml.split('\n').find((l) => l.startsWith(`#define PAGE${v} `))!;
      prog.slice(0, -1).forEach((q, j) => expect(define).toContain(`(pc == ${j} -> ${q} : `));
      expect(define.endsWith(`${prog[prog.length - 1]!}${')'.repeat(prog.length - 1)}`)).toBe(true);
    });
  });

  it('asserts the one-copier invariant over every page and handler, and deadlock as finished == V', () => {
    const inv = pml.slice(pml.indexOf('#define INV'), pml.indexOf('#define ALLDONE'));
    for (let p = 0; p < 4; p++) expect(inv).toContain(`(page[${p}] != 2 || (hnd[0] == ${p + 1} -> 1 : 0) + (hnd[1] == ${p + 1} -> 1 : 0) == 1)`);
    expect(pml).toContain('#define ALLDONE (finished == 3)');
    expect(pml).toMatch(/^byte page\[4\];$/m);
    expect(pml).toMatch(/^byte hnd\[2\];$/m);
  });
});
