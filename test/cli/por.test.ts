/**
 * `kvmuf check --por`, as a user runs it: from a folder outside the repository, on the
 * bundled handler and on a handler file of the user's that promises leavesVcpusAlone.
 * The reduced run must reach the same verdict as the full one, with fewer states, say what
 * it did and what it left unchecked, and its counterexample must replay on the unreduced
 * system; refused combinations are a coded error.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inShell } from './run-cli.ts';
import { hasStackTrace, userDir } from './user-dir.ts';

const states = (out: string) => Number(/(\d+) distinct states$/m.exec(out)?.[1]);

describe('kvmuf check --por', () => {
  const u = userDir();

  it('three vCPUs: the same verdict as without, fewer states, and the line that says so', () => {
    const reduced = u.run(['check', '--design', 'kvm-userfault', '--vcpus', '3', '--por']);
    const full = u.run(['check', '--design', 'kvm-userfault', '--vcpus', '3']);
    expect(reduced.status).toBe(0);
    expect(full.status).toBe(0);
    expect(reduced.stdout).toMatch(/^POR kvm-userfault x86 anon 3v×2p: \d+ of \d+ states expanded by one vCPU's KVM_RUN entry alone \(it commutes with every other step there\); invariants and deadlocks exhaustive, liveness and spec refinement not checked, counterexamples not always the shortest$/m);
    // The full count is README's (7554); fewer says the reduction happened (no pinned reduced count).
    expect(states(full.stdout)).toBe(7554);
    expect(states(reduced.stdout)).toBeLessThan(states(full.stdout));
  });

  it("a user's wrong handler that promises leavesVcpusAlone is convicted of the same property, and its trace replays unreduced", () => {
    const source = readFileSync(fileURLToPath(new URL('../handlers/clear-first.ts', import.meta.url)), 'utf8');
    const file = u.write('clear-first-por.ts', source.replace("designs: ['kvm-userfault'],", "designs: ['kvm-userfault'],\n  leavesVcpusAlone: true,"));
    const args = ['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd', '--vcpus', '2', '--handler', file];
    const reduced = u.run([...args, '--por']);
    const full = u.run(args);
    expect(reduced.status).toBe(1);
    expect(full.status).toBe(1);
    const violated = (out: string) => [...out.matchAll(/^ {2}invariant violated: (.*)$/gm)].map((m) => m[1]).filter((p) => !/spec/.test(p ?? ''));
    expect(violated(reduced.stdout).length).toBeGreaterThan(0);
    expect(violated(reduced.stdout)).toEqual(violated(full.stdout));
    expect(reduced.stdout).toMatch(/^POR kvm-userfault x86 guest_memfd 2v×2p: \d+ of \d+ states expanded/m);
    const replayLine = /^ {2}replay: {4}(kvmuf .*)$/m.exec(reduced.stdout)?.[1];
    expect(replayLine).toBeDefined();
    expect(replayLine).not.toContain('--por');
    const replayed = inShell(replayLine as string, u.dir);
    expect(replayed.status).toBe(1);
    expect(replayed.stdout).toContain(violated(reduced.stdout)[0] as string);
    expect(hasStackTrace(reduced.stdout + reduced.stderr)).toBe(false);
    // --json says what the reduction did, and its file replays on the unreduced system.
    const json = u.run([...args, '--por', '--json']);
    expect(json.status).toBe(1);
    const run = (JSON.parse(json.stdout) as { runs: { partialOrder: { reducedExpansions: number }; liveness: string }[] }).runs[0];
    expect(run?.partialOrder.reducedExpansions).toBeGreaterThan(0);
    expect(run?.liveness).toBe('not requested');
    const saved = u.write('por-run.json', json.stdout);
    const fromFile = u.run(['replay', saved]);
    expect(fromFile.status).toBe(1);
    expect(fromFile.stdout).toContain(violated(reduced.stdout)[0] as string);
  }, 60_000);

  it('a handler without the promise: no reduction, and it says why', () => {
    const source = readFileSync(fileURLToPath(new URL('../handlers/clear-first.ts', import.meta.url)), 'utf8');
    const file = u.write('clear-first.ts', source);
    const r = u.run(['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd', '--vcpus', '2', '--handler', file, '--por']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('POR kvm-userfault x86 guest_memfd 2v×2p: not reduced (the handler does not promise leavesVcpusAlone); liveness and spec refinement not checked');
  }, 60_000);

  it('a handler that promises leavesVcpusAlone and kicks a vCPU: KVMUF210, exit 2', () => {
    const file = u.write(
      'kicker.ts',
      [
        "import { defineHandler, REG_GFN } from 'kvmuf';",
        'export default defineHandler({',
        "  name: 'kicker', description: 'kicks vCPU 0, then installs', designs: ['kvm-userfault'], leavesVcpusAlone: true,",
        '  vcpuExit: [',
        "    { label: 'kick', run: (c) => c.kvm.kick(0) },",
        "    { label: 'populate', run: (c) => void c.populate(c.reg(REG_GFN), { wake: false }) },",
        '  ],',
        '});',
      ].join('\n'),
    );
    const r = u.run(['check', '--vcpus', '1', '--pages', '1', '--handler', file, '--por']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/KVMUF210/);
    expect(r.stderr).toMatch(/kick: this handler promises leavesVcpusAlone/);
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
  }, 60_000);

  it('--por with --symmetry or --max-preemptions: KVMUF007, exit 2', () => {
    for (const extra of [['--symmetry'], ['--max-preemptions', '1']]) {
      const r = u.run(['check', '--vcpus', '2', '--por', ...extra]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^error\[KVMUF007\]: kvmuf check: --por and --(symmetry|max-preemptions) cannot be combined/m);
      expect(r.stderr).toMatch(/^hint: /m);
      expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
    }
  });
});
