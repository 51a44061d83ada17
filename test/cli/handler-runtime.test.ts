/**
 * A handler's faults, as a user meets them: the real binary, run from a folder outside
 * the repository on handler files that live there. Panics are findings (exit 1), API
 * misuse and nondeterminism are usage errors with a code and the trace (exit 2), steps
 * that never return are ended, and no stack trace reaches the user.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLEAR, exitStepsHandler, hasStackTrace, POPULATE, userDir } from './user-dir.ts';

const GMEM = ['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd'];

describe('a handler step that throws is a panic: a finding with its shortest trace (exit 1)', () => {
  const u = userDir();
  u.write(
    'throws.ts',
    exitStepsHandler('throws', `    { label: 'populate', run(c) { const err = c.populate(c.reg(REG_GFN), { wake: false }); if (err !== 0) throw new Error('populate failed: errno ' + err); } },\n${CLEAR}`),
  );

  it('names the property, the thread, the step and the message, and replays', () => {
    const r = u.run([...GMEM, '--handler', 'throws.ts']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('invariant violated: the handler never panics');
    // The loser of the race to install page 1: write() says ENOSPC (the page is there),
    // which c.populate reports as EEXIST (17), and the step throws.
    expect(r.stdout).toMatch(/^ +\d+\. vcpu\d +populate: write\(guest_memfd\) gfn \d → ENOSPC; PANIC: Error: populate failed: errno 17$/m);
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
    const replay = /replay: +kvmuf (.*)$/m.exec(r.stdout)?.[1] ?? '';
    const again = u.run(replay.split(' '));
    expect(again.status).toBe(1);
    expect(again.stdout).toContain('the handler never panics');
  });

  it('is the same finding under --json, which scripts can tell from a crash', () => {
    const r = u.run([...GMEM, '--handler', 'throws.ts', '--json']);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { exitStatus: number; runs: { failures: { kind: string; property?: string; steps: { label: string }[] }[] }[] };
    expect(out.exitStatus).toBe(1);
    const f = out.runs[0]?.failures.find((x) => x.property === 'the handler never panics');
    expect(f?.kind).toBe('invariant');
    expect(f?.steps.at(-1)?.label).toMatch(/PANIC: Error: populate failed/);
  });

  it('c.panic(reason) is the same, without a throw of its own', () => {
    const v = userDir();
    v.write('panics.ts', exitStepsHandler('panics', `    { label: 'populate', run(c) { const err = c.populate(c.reg(REG_GFN), { wake: false }); if (err === Errno.EEXIST) c.panic('lost the race'); } },\n${CLEAR}`));
    const r = v.run([...GMEM, '--handler', 'panics.ts']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/→ ENOSPC; PANIC: lost the race$/m);
    // A panic is reported once: not also as a deadlock or a liveness failure.
    expect(r.stdout).not.toMatch(/deadlock|liveness violated/);
  });

  it('the fixed handler (install, treat EEXIST as done, then clear) passes', () => {
    const v = userDir();
    v.write('fixed.ts', exitStepsHandler('fixed', `${POPULATE}\n${CLEAR}`));
    const r = v.run([...GMEM, '--handler', 'fixed.ts']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('misuse of the step API is a usage error: code, file, thread, step, hint and trace (exit 2)', () => {
  const cases: { name: string; steps: string; code: string; message: RegExp; extra?: string }[] = [
    {
      name: 'two-ops',
      steps: `    { label: 'populate-and-clear', run(c) { c.populate(c.reg(REG_GFN), { wake: false }); c.setUserfaultBit(c.reg(REG_GFN), false); } },`,
      code: 'KVMUF210',
      message: /vcpu0, step 'populate-and-clear': a second kernel operation \(bitmap store\) in one step/,
    },
    {
      name: 'late-guard',
      steps: `    { label: 'populate', run(c) { c.populate(c.reg(REG_GFN), { wake: false }); c.guard(true); } },\n${CLEAR}`,
      code: 'KVMUF210',
      message: /step 'populate': guard\(\) after a kernel operation/,
    },
    {
      name: 'bad-register',
      steps: `    { label: 'populate', run(c) { c.setReg(9, 1); } },\n${CLEAR}`,
      code: 'KVMUF210',
      message: /step 'populate': register 9 is out of range \(this thread has 4: 0\.\.3\)/,
    },
    {
      name: 'bad-goto',
      steps: `    { label: 'populate', run(c) { c.goto('nowhere'); } },\n${CLEAR}`,
      code: 'KVMUF210',
      message: /goto\('nowhere'\): this thread has no step with that label/,
    },
    {
      name: 'bad-gfn',
      steps: `    { label: 'populate', run(c) { c.populate(c.reg(REG_GFN) + 7, { wake: false }); } },\n${CLEAR}`,
      code: 'KVMUF210',
      message: /populate: gfn \d+ is not a guest page \(0\.\.1\)/,
    },
    {
      name: 'async-step',
      steps: `    { label: 'populate', async run(c) { c.populate(c.reg(REG_GFN), { wake: false }); } },\n${CLEAR}`,
      code: 'KVMUF210',
      message: /step 'populate': run\(\) returned a Promise/,
    },
    {
      name: 'clock',
      steps: `    { label: 'populate', run(c) { c.setReg(3, Date.now() % 2); c.populate(c.reg(REG_GFN), { wake: false }); } },\n${CLEAR}`,
      code: 'KVMUF211',
      message: /step 'populate' called Date\.now\(\)/,
    },
    {
      name: 'random',
      steps: `    { label: 'populate', run(c) { if (Math.random() < 2) c.populate(c.reg(REG_GFN), { wake: false }); } },\n${CLEAR}`,
      code: 'KVMUF211',
      message: /step 'populate' called Math\.random\(\)/,
    },
    {
      name: 'module-counter',
      extra: 'let calls = 0;',
      steps: `    { label: 'populate', run(c) { calls++; c.setReg(3, calls % 5); c.populate(c.reg(REG_GFN), { wake: false }); } },\n${CLEAR}`,
      code: 'KVMUF211',
      message: /step 'populate' is nondeterministic: run twice from the same state, it gave different results \(at \.sys\.threads\.0\.regs\.3\)/,
    },
    {
      name: 'mutates-state',
      steps: `    { label: 'populate', run(c) { (c.sys.vmm as number[])[0] = 5; c.populate(c.reg(REG_GFN), { wake: false }); } },\n${CLEAR}`,
      code: 'KVMUF212',
      message: /step 'populate' wrote to the state it was given/,
    },
  ];
  const u = userDir();
  for (const k of cases) {
    it(`${k.name} → ${k.code}`, () => {
      u.write(`${k.name}.ts`, exitStepsHandler(k.name, k.steps, k.extra));
      const r = u.run([...GMEM, '--handler', `${k.name}.ts`]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      const [first, hint, ...trace] = r.stderr.split('\n');
      expect(first).toMatch(new RegExp(`^error\\[${k.code}\\]: `));
      expect(first).toMatch(k.message);
      expect(hint).toMatch(/^hint: \S/);
      // The trace that reached the step: vCPU 0 enters, exits on gfn 0, and its exit step runs.
      expect(trace[0]).toBe('reached in kvm-userfault x86 guest_memfd 2v×2p after 2 steps:');
      expect(r.stderr).toMatch(/^ +2\. vcpu0 +run: KVM_RUN → -EFAULT, KVM_EXIT_MEMORY_FAULT gpa 0x0/m);
      expect(r.stderr).toMatch(/^ {2}path 0\/0\/0$/m);
      expect(hasStackTrace(r.stderr)).toBe(false);
    });
  }

  it('under --json the usage error is also data on stdout', () => {
    const k = cases[0];
    u.write('json-case.ts', exitStepsHandler('json-case', k?.steps ?? ''));
    const r = u.run([...GMEM, '--handler', 'json-case.ts', '--json']);
    expect(r.status).toBe(2);
    const out = JSON.parse(r.stdout) as { exitStatus: number; error: { code: string; message: string; detail: string } };
    expect(out.exitStatus).toBe(2);
    expect(out.error.code).toBe('KVMUF210');
    expect(out.error.detail).toMatch(/path 0\/0\/0/);
  });

  it('--no-determinism-check turns the double run off (the module counter then goes unnoticed)', () => {
    const k = cases.find((x) => x.name === 'module-counter');
    u.write('module-counter.ts', exitStepsHandler('module-counter', k?.steps ?? '', k?.extra));
    const r = u.run([...GMEM, '--handler', 'module-counter.ts', '--no-determinism-check']);
    expect(r.status).not.toBe(2);
    expect(r.stderr).not.toMatch(/KVMUF211/);
  });
});

describe('threads(env) that throws or returns a bad shape is a usage error (exit 2)', () => {
  const u = userDir();
  const handler = (threads: string) => `import { defineHandler } from 'kvmuf';
export default defineHandler({ name: 'h', description: 'x', designs: ['uffd'], vcpuExit: [], threads: ${threads} });
`;
  const cases: [string, string, RegExp][] = [
    ['throws', `() => { throw new Error('no env'); }`, /threads\(env\) threw Error: no env/],
    ['not-array', `() => 42`, /threads\(env\) returned number, not an array/],
    ['no-steps', `() => [{ name: 'reader', steps: [] }]`, /threads\(env\)\[0\] \('reader'\) has no steps/],
    ['bad-step', `() => [{ name: 'reader', steps: [{ label: 'read' }] }]`, /step 0 is not \{ label: string, run\(c\) \}/],
    ['same-name', `() => [{ name: 'r', steps: [{ label: 'a', run() {} }] }, { name: 'r', steps: [{ label: 'a', run() {} }] }]`, /two threads are named 'r'/],
    ['same-label', `() => [{ name: 'r', steps: [{ label: 'a', run() {} }, { label: 'a', run() {} }] }]`, /two steps are labelled 'a'/],
  ];
  for (const [name, threads, message] of cases) {
    it(name, () => {
      u.write(`${name}.ts`, handler(threads));
      const r = u.run(['check', '--design', 'uffd', '--handler', `${name}.ts`]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^error\[KVMUF213\]: /);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/\nhint: \S/);
      expect(hasStackTrace(r.stderr)).toBe(false);
    });
  }
});

describe('never hang', () => {
  const u = userDir();
  u.write('loops.ts', exitStepsHandler('loops', `    { label: 'populate', run(c) { if (c.reg(REG_GFN) === 1) for (;;) {} c.populate(c.reg(REG_GFN), { wake: false }); } },\n${CLEAR}`));

  it('a step that does not return within --step-timeout is a handler fault with the trace that reached it (exit 1)', () => {
    const r = u.run([...GMEM, '--handler', 'loops.ts', '--step-timeout', '800']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('FAIL kvm-userfault x86 guest_memfd 2v×2p (handler loops)');
    expect(r.stdout).toMatch(/handler fault: vcpu\d, step 'populate' did not return within 800 ms/);
    // The shortest way to a step on gfn 1: a vCPU enters and exits on gfn 1 (the guest reads gfn 1 first, or vCPU 1 runs).
    expect(r.stdout).toMatch(/KVM_EXIT_MEMORY_FAULT gpa 0x1000/);
    expect(r.stdout).toMatch(/^ {2}path [\d/]+$/m);
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
  });

  it('simulate reports a step that does not return as its own command, with the seed it used', () => {
    const r = u.run(['simulate', ...GMEM.slice(1), '--vcpus', '2', '--pages', '2', '--handler', 'loops.ts', '--step-timeout', '800', '--runs', '5', '--seed', '7']);
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe('kvmuf simulate (seed 7)');
    expect(r.stdout).toMatch(/handler fault: vcpu\d, step 'populate' did not return within 800 ms/);
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
  });

  it('--json reports it as data', () => {
    const r = u.run([...GMEM, '--handler', 'loops.ts', '--step-timeout', '800', '--json']);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { exitStatus: number; handlerFault: { kind: string; step: string; path: string } };
    expect(out.exitStatus).toBe(1);
    expect(out.handlerFault.kind).toBe('step-timeout');
    expect(out.handlerFault.step).toBe('populate');
  });

  it('replay runs supervised too: a trace whose handler step now loops ends as a handler fault (exit 1)', () => {
    // A path recorded with a handler that has since been edited: vCPU 0 enters and exits, and
    // the state after that runs the (now looping) exit step to find the enabled steps.
    const v = userDir();
    v.write('h.ts', exitStepsHandler('h', `    { label: 'populate', run(c) { for (;;) {} } },\n${CLEAR}`));
    const started = Date.now();
    const r = v.run(['replay', ...GMEM.slice(1), '--vcpus', '2', '--pages', '2', '--handler', 'h.ts', '--path', '0/0/0/0']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("handler fault: vcpu0, step 'populate' did not return within 5000 ms");
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
  });

  it('--timeout ends the run within a couple of seconds even while a step is stuck (exit 3, partial summary)', async () => {
    const r = await u.runAsync([...GMEM, '--handler', 'loops.ts', '--step-timeout', '600000', '--timeout', '1'], 0, () => undefined);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/^INCOMPLETE: stopped at the time limit of 1 s; a handler step did not return/m);
    expect(r.ms).toBeLessThan(1000 + 4000);
  }, 15_000);

  it('Ctrl-C ends the run within a couple of seconds even while a step is stuck (exit 3)', async () => {
    // The looping step leaves a marker first, so that the signal comes while it is stuck.
    const marker = join(u.dir, 'stuck');
    u.write(
      'loops-marked.ts',
      exitStepsHandler('loops-marked', `    { label: 'populate', run(c) { if (c.reg(REG_GFN) === 1) { writeFileSync(${JSON.stringify(marker)}, 'x'); for (;;) {} } c.populate(c.reg(REG_GFN), { wake: false }); } },\n${CLEAR}`, "import { writeFileSync } from 'node:fs';"),
    );
    let sentAt = 0;
    const r = await u.runAsync(
      [...GMEM, '--handler', 'loops-marked.ts', '--step-timeout', '600000'],
      0,
      (pid) => {
        sentAt = Date.now();
        process.kill(pid, 'SIGINT');
      },
      () => existsSync(marker),
    );
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/^INCOMPLETE: interrupted \(Ctrl-C\); a handler step did not return/m);
    expect(sentAt).toBeGreaterThan(0);
    // Ended within a grace of about one second after the signal (3 s allows for a loaded machine).
    expect(r.endedAt - sentAt).toBeLessThan(3000);
  }, 15_000);
});

describe('memory and internal errors', () => {
  const u = userDir();
  it('--max-memory ends the run as incomplete with its summary (exit 3)', () => {
    const r = u.run(['check', '--design', 'kvm-userfault', '--vcpus', '3', '--max-memory', '1']);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/INCOMPLETE kvm-userfault x86 anon 3v×2p: stopped at the memory limit: [\d.]+ MiB in use, limit 1\.0 MiB; explored \d+ states/);
  });

  it('a worker that still dies of memory is reported as incomplete, not as a crash (exit 3)', () => {
    // A heap this small cannot hold a search of 216,084 states even with compact states (typed arrays live outside the heap).
    const r = u.run(['check', '--design', 'kvm-userfault', '--vcpus', '4', '--pages', '3'], { KVMUF_WORKER_HEAP_MB: '8' });
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/^INCOMPLETE: the search ran out of memory \(heap limit 8 MiB\); lower --max-memory/m);
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
  }, 60_000);

  it('an internal error is one line and exit 4; --debug adds the stack', () => {
    const r = u.run(['check', '--design', 'kvm-userfault'], { KVMUF_INJECT_INTERNAL_ERROR: '1' });
    expect(r.status).toBe(4);
    expect(r.stderr).toBe('error[KVMUF400]: internal error: Error: injected internal error (KVMUF_INJECT_INTERNAL_ERROR)\nhint: this is a bug in kvmuf; run again with --debug for the stack trace, and report it\n');
    const d = u.run(['check', '--design', 'kvm-userfault', '--debug'], { KVMUF_INJECT_INTERNAL_ERROR: '1' });
    expect(d.status).toBe(4);
    expect(hasStackTrace(d.stderr)).toBe(true);
  });
});
