/**
 * A scenario file that names its handler: the path is relative to the scenario file (not
 * to where kvmuf runs), a bundled name stays a name, and --handler overrides it.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectRefused } from './refusal.ts';
import { userDir } from './user-dir.ts';

const handlerText = readFileSync(new URL('../handlers/bit-by-gfn.ts', import.meta.url), 'utf8');

describe('kvmuf check --scenario with a handler key', { timeout: 120_000 }, () => {
  const dir = userDir('kvmuf-scenario-handler-');
  mkdirSync(join(dir.dir, 'project'));
  dir.write('project/bit-by-gfn.ts', handlerText);
  const scenario = dir.write('project/scenario.json', JSON.stringify({ design: 'kvm-userfault', vcpus: ['r4'], memslots: '0:1,4:1', handler: './bit-by-gfn.ts' }));

  it('loads the handler relative to the scenario file, from another folder', () => {
    const r = dir.run(['check', '--scenario', scenario]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/kvm-userfault x86 anon 1v×2p slots 0:1,4:1 touches 4 +bit-by-gfn +FAIL/);
    expect(r.stdout).toContain(`--handler ${join(dir.dir, 'project', 'bit-by-gfn.ts')}`);
  });

  it('replay --scenario uses the scenario\'s handler too, so the printed lasso replays as a livelock', () => {
    const r = dir.run(['check', '--scenario', scenario]);
    const path = /^ {2}path (\S+)$/m.exec(r.stdout)?.[1] ?? '';
    expect(path).toContain('|');
    const replay = dir.run(['replay', '--scenario', scenario, '--path', path]);
    expect(replay.stderr).toBe('');
    expect(replay.stdout).toContain('the trace ends where these properties are violated: every vCPU finishes its guest program (never, on this cycle)');
    // With the reference handler (what replay used before it read the key) the same path is
    // no cycle: the vCPU finishes, so the steps after | do not come back to where they started.
    const reference = dir.run(['replay', '--scenario', scenario, '--handler', 'kvm-userfault', '--path', path]);
    expect(reference.status).toBe(2);
    expect(reference.stderr).toMatch(/^error\[KVMUF310\]: the path is out of range: the trace diverges at step 7: the cycle \(4 steps after \|\) does not come back to the state it started from/);
    expect(reference.stdout).not.toContain('never, on this cycle');
  });

  it('--handler on the command line overrides it; a bundled name stays a name', () => {
    const r = dir.run(['check', '--scenario', scenario, '--handler', 'kvm-userfault']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/slots 0:1,4:1 touches 4 +kvm-userfault +PASS/);
    const named = dir.write('project/named.json', JSON.stringify({ design: 'kvm-userfault', vcpus: ['r4'], memslots: '0:1,4:1', handler: 'bitmap-by-gfn' }));
    const bundled = dir.run(['check', '--scenario', named]);
    expect(bundled.status).toBe(1);
    expect(bundled.stdout).toMatch(/bitmap-by-gfn +FAIL/);
  });

  it.each([
    ['a handler that is not a string', '{"handler": 3}', 'KVMUF022', /handler must be a handler file like "\.\/my-handler\.ts"/],
    ['a handler file that is not there', '{"handler": "./nowhere.ts"}', 'KVMUF201', /cannot read handler file '.*\/project\/nowhere\.ts'/],
  ])('refuses %s with a coded error and exit 2', (name, text, code, what) => {
    const path = dir.write(`project/${name.replaceAll(' ', '-')}.json`, text);
    const r = dir.run(['check', '--scenario', path]);
    expectRefused(r, code, what);
  });
});
