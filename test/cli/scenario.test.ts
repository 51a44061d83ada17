/**
 * `--scenario FILE`: a configuration in JSON, validated like the flags it stands for;
 * flags given with it override it; the printed command line spells the scenario out as
 * flags, so it reproduces the run without the file.
 */
import { describe, expect, it } from 'vitest';
import { inShell } from './run-cli.ts';
import { expectRefused } from './refusal.ts';
import { userDir } from './user-dir.ts';

const SCENARIO = { design: 'uffd', pages: 4, remote: [0, 2], vcpus: ['r0 w1=101', 'r2'], control: { balloon: [1] } };

describe('kvmuf check --scenario', { timeout: 60_000 }, () => {
  const dir = userDir('kvmuf-scenario-');
  const file = dir.write('scenario.json', JSON.stringify(SCENARIO));

  it('checks the configuration the file describes and prints it as flags that reproduce it', () => {
    const r = dir.run(['check', '--scenario', file, '--handler', 'ignores-remove']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^uffd x86 anon 2v×4p touches 0,1,2 remote 0,2 \+balloon 1 +ignores-remove +FAIL/m);
    const reproduce = /reproduce: (kvmuf .*)$/m.exec(r.stdout)?.[1] ?? '';
    expect(reproduce).toBe("kvmuf check --design uffd --arch x86 --backing anon --vcpus 2 --pages 4 --remote 0,2 --program 'r0 w1=101;r2' --balloon 1 --handler ignores-remove");
    const again = inShell(reproduce, dir.dir);
    expect(again.stdout.split('\n').slice(1, 4).map((l) => l.replace(/\d+\.\d+ s/, ''))).toEqual(r.stdout.split('\n').slice(1, 4).map((l) => l.replace(/\d+\.\d+ s/, '')));
    const reference = dir.run(['check', '--scenario', file]);
    expect(reference.status).toBe(0);
  });

  it('flags given with it override it', () => {
    const r = dir.run(['check', '--scenario', file, '--remote', 'none', '--json']);
    const run = (JSON.parse(r.stdout) as { runs: { configuration: { remote: number[]; pages: number } }[] }).runs[0];
    expect(run?.configuration.remote).toEqual([]);
    expect(run?.configuration.pages).toBe(4);
  });

  it.each([
    ['missing', undefined, 'KVMUF020', /cannot read it \(ENOENT\)/],
    ['not JSON', '{', 'KVMUF021', /not JSON/],
    ['an unknown key', '{"pagez": 2}', 'KVMUF022', /unknown key pagez/],
    ['an unknown control key', '{"control": {"baloon": [1]}}', 'KVMUF022', /unknown key control\.baloon/],
    ['a list that is not pages', '{"remote": ["a"]}', 'KVMUF022', /remote must be a list of page numbers/],
    ['a program that is not one', '{"vcpus": ["x"]}', 'KVMUF003', /'x' is not an access/],
    ['a number out of range', '{"pages": 0}', 'KVMUF103', /must be 1 to 4096/],
    ['an impossible combination', '{"backing": "shmem", "control": {"balloon": [1]}}', 'KVMUF105', /anonymous memory/],
  ])('refuses a scenario file %s with a coded error naming it, a hint and exit 2', (name, text, code, what) => {
    const path = text === undefined ? `${dir.dir}/none.json` : dir.write(`${name.replaceAll(' ', '-')}.json`, text);
    const r = dir.run(['check', '--scenario', path]);
    expectRefused(r, code, what);
  });
});
