/**
 * replayCounterexample, which emitted regression tests call: the properties violated along
 * a counterexample's path, for each kind of failure, and none once the handler is fixed
 * (the trace holds, or no longer replays).
 */
import { describe, expect, it } from 'vitest';
import { replayCounterexample } from '../../src/index.ts';

const GMEM = { design: 'kvm-userfault', arch: 'x86', backing: 'guest_memfd', vcpus: 2, pages: 2 } as const;
const ITS = { design: 'kvm-userfault', arch: 'arm64', backing: 'anon', vcpus: 2, pages: 2, control: { itsTables: [1] } } as const;
const ONE = { design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 1, pages: 1 } as const;
const ZERO_READ = '0/0/0/0/0/0/0/0/0/0/1/1/1';
// The ITS restore stops the vCPUs first and sleeps holding their mutexes (review M1): the
// control thread kicks both, waits, sets GITS_BASER and sleeps in RESTORE_TABLES.
const STUCK_ITS = '0/2/0/0/0/0';

describe('replayCounterexample', () => {
  it('an invariant: the wrong handler file reaches it, the fixed one does not', async () => {
    const wrong = await replayCounterexample(GMEM, new URL('../handlers/clear-first.ts', import.meta.url), ZERO_READ);
    // In the order first seen along the trace: the spec breaks at step 2, memory at 11, the read at 12.
    expect(wrong.violated).toEqual(['every step is a transition of the spec machines', 'memory holds the content it should', 'no access observes a page without its content']);
    expect(wrong.trace.split('\n').at(-1)).toBe(' 12. vcpu1.run: guest reads gfn 1 = 0');
    const fixed = await replayCounterexample(GMEM, 'test/handlers/populate-first.ts', ZERO_READ);
    expect(fixed.violated).toEqual([]);
  });

  it('a deadlock: nobody can move at the end of the trace', async () => {
    expect((await replayCounterexample(ITS, 'no-uffd-reader', STUCK_ITS)).violated).toEqual(['deadlock: no thread can move, and the vCPUs have not finished']);
    expect((await replayCounterexample(ITS, 'kvm-userfault', STUCK_ITS)).violated).toEqual([]);
  });

  it('a lasso: the cycle comes back to its start and postpones the obligation forever', async () => {
    expect((await replayCounterexample(ONE, 'forgets-to-clear', '0/0/0/0|0/0/0')).violated).toEqual(['every vCPU finishes its guest program (never, on this cycle)']);
    expect((await replayCounterexample(ONE, 'kvm-userfault', '0/0/0/0|0/0/0')).violated).toEqual([]);
  });

  it('a trace the handler no longer follows is no violation, and says where it diverged', async () => {
    const r = await replayCounterexample(GMEM, 'test/handlers/populate-first.ts', '0/0/0/0/0/0/0/0/0/0/1/1/1/5');
    expect(r.violated).toEqual([]);
    expect(r.diverged).toBe('step 13: 2 threads can move, not 6 (the handler takes another way now)');
  });
});
