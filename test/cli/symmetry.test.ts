/**
 * `kvmuf check --symmetry`, as a user runs it: from a folder outside the repository, on
 * the bundled handler and on a handler file of the user's that promises vcpuSymmetric.
 * The reduced run must reach the same verdict as the full one, with fewer states, and say
 * what it did and what it left unchecked.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inShell } from './run-cli.ts';
import { expectRefused } from './refusal.ts';
import { hasStackTrace, userDir } from './user-dir.ts';

const SAME3 = 'r0 w1=9;r0 w1=9;r0 w1=9';
const states = (out: string) => Number(/(\d+) distinct states$/m.exec(out)?.[1]);

describe('kvmuf check --symmetry', () => {
  const u = userDir();

  it('three vCPUs with one program: the same verdict as without, fewer states, and the line that says so', () => {
    const reduced = u.run(['check', '--design', 'kvm-userfault', '--vcpus', '3', '--program', SAME3, '--symmetry']);
    const full = u.run(['check', '--design', 'kvm-userfault', '--vcpus', '3', '--program', SAME3]);
    expect(reduced.status).toBe(0);
    expect(full.status).toBe(0);
    expect(reduced.stdout).toMatch(/^SYMMETRY kvm-userfault x86 anon 3v×2p: vCPUs \{0,1,2\} interchangeable \(identical guest programs\); states counted up to renaming them; invariants exhaustive, liveness and spec refinement not checked under symmetry$/m);
    // At most 3! = 6× fewer; more than 2× fewer says the reduction happened (vcpu-symmetry.test.ts).
    expect(states(reduced.stdout)).toBeLessThan(states(full.stdout) / 2);
  });

  it('one program for several vCPUs is refused, with a hint that says how to run it on every vCPU', () => {
    const r = u.run(['check', '--design', 'kvm-userfault', '--vcpus', '3', '--program', 'r0 w1=9', '--symmetry']);
    expectRefused(r, 'KVMUF106', /1 guest programs for 3 vCPUs/);
    expect(r.stderr).toMatch(/^hint: give one program per vCPU \(to run that one on every vCPU, repeat it 3 times: vCPUs with identical programs are interchangeable under --symmetry\)$/m);
  });

  it('different programs: no reduction, and it says why', () => {
    const r = u.run(['check', '--design', 'kvm-userfault', '--vcpus', '2', '--program', 'r0;r1', '--symmetry']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^SYMMETRY kvm-userfault x86 anon 2v×2p: no interchangeable vCPUs \(it needs vCPUs with identical guest programs/m);
    expect(states(r.stdout)).toBe(states(u.run(['check', '--design', 'kvm-userfault', '--vcpus', '2', '--program', 'r0;r1']).stdout));
  });

  it("a user's wrong handler that promises vcpuSymmetric is convicted of the same property, and its trace replays", () => {
    const source = readFileSync(fileURLToPath(new URL('../handlers/clear-first.ts', import.meta.url)), 'utf8');
    const file = u.write('clear-first-symmetric.ts', source.replace("designs: ['kvm-userfault'],", "designs: ['kvm-userfault'],\n  vcpuSymmetric: true,"));
    const args = ['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd', '--vcpus', '3', '--program', SAME3, '--handler', file];
    const reduced = u.run([...args, '--symmetry']);
    const full = u.run(args);
    expect(reduced.status).toBe(1);
    expect(full.status).toBe(1);
    const violated = (out: string) => [...out.matchAll(/^ {2}invariant violated: (.*)$/gm)].map((m) => m[1]).filter((p) => !/spec/.test(p ?? ''));
    expect(violated(reduced.stdout).length).toBeGreaterThan(0);
    for (const v of violated(reduced.stdout)) expect(violated(full.stdout)).toContain(v);
    expect(reduced.stdout).toContain('SYMMETRY kvm-userfault x86 guest_memfd 3v×2p: vCPUs {0,1,2} interchangeable');
    // The printed replay line re-runs the trace on the real (unreduced) system, to the violation.
    const replayLine = /^ {2}replay: {4}(kvmuf .*)$/m.exec(reduced.stdout)?.[1];
    expect(replayLine).toBeDefined();
    const replayed = inShell(replayLine as string, u.dir);
    expect(replayed.status).toBe(1);
    expect(replayed.stdout).toContain(violated(reduced.stdout)[0] as string);
    expect(hasStackTrace(reduced.stdout + reduced.stderr)).toBe(false);
    // --json: its file replays on the unreduced system (it once recorded the fingerprints of
    // representatives, without the spec marks a replay carries, and failed as nondeterminism).
    const json = u.run([...args, '--symmetry', '--json']);
    expect(json.status).toBe(1);
    const saved = u.write('symmetry-run.json', json.stdout);
    const fromFile = u.run(['replay', saved]);
    expect(fromFile.stderr).toBe('');
    expect(fromFile.status).toBe(1);
    expect(fromFile.stdout).toContain(violated(reduced.stdout)[0] as string);
  }, 60_000);
});
