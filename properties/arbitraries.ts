/**
 * fast-check arbitraries for kvmuf's inputs, exported for users who write their own
 * properties: configurations of composed systems (large ones too, past the exhaustive
 * bound), guest programs, and schedules (which thread steps next).
 */
import fc from 'fast-check';
import { MAX_GUEST_ACCESS_OFFSET, type GuestOp } from '../src/kvm/state.ts';
import type { Backing, DesignName, SystemConfig } from '../src/system/config.ts';

/**
 * Where an access lands: mostly the whole page (no offset); about one access in four is a
 * u64 at a byte offset (`r3+0x123`), half of those at the edges (0 and the last u64 of the
 * page) or at 0x40 (where kvmuf puts steal time), the rest anywhere in the page.
 */
const accessOffset: fc.Arbitrary<number | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom(0, 0x40, MAX_GUEST_ACCESS_OFFSET) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: MAX_GUEST_ACCESS_OFFSET }) },
);

const at = (offset: number | undefined) => (offset === undefined ? {} : { offset });

/** A guest program of `length` accesses over `pages` pages; writes use values ≥ 100 (never a source content). */
export function guestProgram(pages: number, length: { min: number; max: number }): fc.Arbitrary<GuestOp[]> {
  const gfn = fc.integer({ min: 0, max: pages - 1 });
  const op: fc.Arbitrary<GuestOp> = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(gfn, accessOffset).map(([g, offset]): GuestOp => ({ kind: 'read', gfn: g, ...at(offset) })) },
    { weight: 1, arbitrary: fc.tuple(gfn, fc.integer({ min: 100, max: 199 }), accessOffset).map(([g, value, offset]): GuestOp => ({ kind: 'write', gfn: g, value, ...at(offset) })) },
  );
  return fc.array(op, { minLength: length.min, maxLength: length.max });
}

/** Designs × backings that exist (config.ts refuses the others), with the arches they run on. */
export const VALID_COMBINATIONS: readonly { design: DesignName; backing: Backing; arches: readonly ('x86' | 'arm64')[] }[] = [
  { design: 'kvm-userfault', backing: 'anon', arches: ['x86', 'arm64'] },
  { design: 'kvm-userfault', backing: 'shmem', arches: ['x86', 'arm64'] },
  { design: 'kvm-userfault', backing: 'guest_memfd', arches: ['x86'] },
  { design: 'uffd', backing: 'anon', arches: ['x86', 'arm64'] },
  { design: 'uffd', backing: 'shmem', arches: ['x86', 'arm64'] },
  { design: 'exit-on-missing', backing: 'anon', arches: ['x86', 'arm64'] },
];

export interface SizeBounds {
  readonly vcpus: { min: number; max: number };
  readonly pages: { min: number; max: number };
  readonly programLength: { min: number; max: number };
}

/** Large systems: 16–64 vCPUs, hundreds of pages. */
export const LARGE: SizeBounds = { vcpus: { min: 16, max: 64 }, pages: { min: 100, max: 400 }, programLength: { min: 2, max: 6 } };

/** A configuration of a composed system, with a random guest program per vCPU and random remote pages. */
export function systemConfig(bounds: SizeBounds = LARGE): fc.Arbitrary<SystemConfig> {
  return fc
    .record({
      combo: fc.constantFrom(...VALID_COMBINATIONS),
      archPick: fc.nat(),
      vcpus: fc.integer(bounds.vcpus),
      pages: fc.integer(bounds.pages),
      seed: fc.nat(),
    })
    .chain(({ combo, archPick, vcpus, pages }) =>
      fc.record({
        programs: fc.array(guestProgram(pages, bounds.programLength), { minLength: vcpus, maxLength: vcpus }),
        localPages: fc.uniqueArray(fc.integer({ min: 0, max: pages - 1 }), { maxLength: Math.floor(pages / 2) }),
      }).map(({ programs, localPages }): SystemConfig => {
        const local = new Set(localPages);
        return {
          design: combo.design,
          backing: combo.backing,
          arch: combo.arches[archPick % combo.arches.length] ?? 'x86',
          vcpus,
          pages,
          programs,
          remote: Array.from({ length: pages }, (_, p) => p).filter((p) => !local.has(p)),
        };
      }),
    );
}

/** A schedule: a long list of choices; choice k picks among the threads enabled at step k. */
export function schedule(length: { min: number; max: number }): fc.Arbitrary<number[]> {
  return fc.array(fc.nat({ max: 1 << 16 }), { minLength: length.min, maxLength: length.max });
}
