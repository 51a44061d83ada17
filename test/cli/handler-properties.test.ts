/**
 * A handler file's own properties are checked and reported like the built-in ones; a
 * handler thread that declares mustFinish must finish (a deadlock names it, where and
 * why); a deadlock where the vCPUs are done names the thread that is stuck.
 */
import { describe, expect, it } from 'vitest';
import { kvmuf } from './run-cli.ts';
import { hasStackTrace, userDir } from './user-dir.ts';

const REFERENCE_STEPS = `
  vcpuExit: [
    { label: 'populate', run(c) { const err = c.populate(c.reg(REG_GFN), { wake: false }); if (err !== 0 && err !== Errno.EEXIST) c.panic('errno ' + err); } },
    { label: 'clear-bit', run: (c) => c.setUserfaultBit(c.reg(REG_GFN), false) },
  ],`;

function handlerFile(name: string, more: string): string {
  return `import { always, defineHandler, DONE, Errno, eventually, pageContent, pageExpected, REG_GFN, threadFinished } from 'kvmuf';
export default defineHandler({
  name: '${name}',
  description: 'test handler',
  designs: ['kvm-userfault'],${REFERENCE_STEPS}
${more}
});
`;
}

describe("handlers' own properties and threads that must finish", { timeout: 60_000 }, () => {
  const dir = userDir();
  const base = ['check', '--design', 'kvm-userfault', '--uffd', 'none', '--vcpus', '1', '--pages', '2'];

  it('a property of the handler file that holds passes; one that fails is reported with its name and shortest trace', () => {
    const holds = dir.write('holds.ts', handlerFile('holds', `  properties: (env) => [
    always('page 1 never holds what page 0 should', (s) => pageContent(s, env, 1) !== pageExpected(s, 0)),
    eventually('vCPU 0 finishes', (s) => threadFinished(s, 0)),
  ],`));
    const ok = dir.run([...base, '--handler', holds]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const fails = dir.write('fails.ts', handlerFile('fails', `  properties: [always('page 0 is never installed', (s) => s.expected[0] !== 1 || s.kernel.mm.vmas.every((v) => !v.mapped[0]))],`));
    const r = dir.run([...base, '--handler', fails]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('invariant violated: page 0 is never installed');
    expect(r.stdout).toMatch(/ {3}3\. vcpu0 +populate/);
  });

  it('a property that is not one is refused with KVMUF213', () => {
    const bad = dir.write('bad.ts', handlerFile('bad', `  properties: [{ name: 'x' }],`));
    const r = dir.run([...base, '--handler', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error[KVMUF213]: handler 'bad': properties[0] is not a property");
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('a handler thread that must finish and waits forever is a deadlock that names it, its step and why', () => {
    const stuck = dir.write('stuck.ts', handlerFile('stuck', `  threads: () => [{ name: 'flusher', mustFinish: true, steps: [{ label: 'wait-for-vcpus', run(c) { c.guard(c.sys.threads[0]?.pc === DONE && c.pc < 0); c.goto(DONE); } }] }],`));
    const r = dir.run([...base, '--handler', stuck]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('deadlock: no thread can move; not finished: flusher at wait-for-vcpus (its guard is false)');
    expect(r.stdout).toContain('liveness violated: declared threads finish');
    const finishes = dir.write('finishes.ts', handlerFile('finishes', `  threadsMustFinish: true,
  threads: () => [{ name: 'flusher', steps: [{ label: 'wait-for-vcpus', run(c) { c.guard(c.sys.threads[0]?.pc === DONE); c.goto(DONE); } }] }],`));
    const ok = dir.run([...base, '--handler', finishes]);
    expect(ok.stdout).toMatch(/ PASS /);
    expect(ok.status).toBe(0);
  });

  it('a deadlock names the control thread sleeping in userfaultfd (holding the vCPU mutexes, so the vCPU waits at KVM_RUN)', () => {
    const r = kvmuf(['check', '--design', 'kvm-userfault', '--arch', 'arm64', '--vcpus', '1', '--pages', '2', '--its', '1', '--handler', 'no-uffd-reader']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('deadlock: no thread can move; not finished: vcpu0 at KVM_RUN (its guard is false); control at its-restore-tables (sleeping in userfaultfd)');
    expect(r.stdout).not.toContain('the vCPUs have not finished');
  });

  it('a livelock names the thread and the steps it loops through', () => {
    const r = kvmuf(['check', '--design', 'kvm-userfault', '--vcpus', '1', '--pages', '1', '--handler', 'forgets-to-clear', '--json']);
    const failure = (JSON.parse(r.stdout) as { runs: { failures: { kind: string; notFinished: unknown }[] }[] }).runs[0]?.failures[0];
    expect(failure?.kind).toBe('liveness');
    expect(failure?.notFinished).toEqual([{ thread: 'vcpu0', step: 'KVM_RUN', why: 'loops through KVM_RUN, run, populate without progress' }]);
  });
});
