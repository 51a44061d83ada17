/**
 * The command-line conventions, as a user meets them: --version, --help on every
 * command (generated from the same declarations the parser checks), coded errors for
 * input that used to be accepted silently, and --out writing the file it names.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/system/config.ts';
import { kvmuf } from './run-cli.ts';

const COMMANDS = ['check', 'replay', 'report', 'diagram', 'list'];
const tmp = mkdtempSync(join(tmpdir(), 'kvmuf-conventions-'));

describe('kvmuf --version', () => {
  it("prints package.json's version and exits 0", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = kvmuf(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });
});

describe('--help and -h', () => {
  it.each(COMMANDS.flatMap((c) => [[c, '--help'], [c, '-h']]))('kvmuf %s %s prints its usage and exits 0', (command, flag) => {
    const r = kvmuf([command, flag]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^usage: kvmuf ${command}\\b`));
    expect(r.stdout).toMatch(/^ {2}-h, --help +show this help$/m);
  });

  it('kvmuf --help lists every command', () => {
    const r = kvmuf(['--help']);
    expect(r.status).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^ {2}${c} +\\S`, 'm'));
  });

  it('check --help states the ranges the validation uses and names values by what they are', () => {
    const help = kvmuf(['check', '--help']).stdout;
    expect(help).toMatch(new RegExp(`^ {2}--vcpus N +vCPUs \\(${LIMITS.vcpus.min} to ${LIMITS.vcpus.max}; default 2\\)$`, 'm'));
    expect(help).toMatch(new RegExp(`^ {2}--pages N +guest pages \\(${LIMITS.pages.min} to ${LIMITS.pages.max}; default 2\\)$`, 'm'));
    expect(help).toMatch(/^ {2}--handler FILE\|NAME +a handler file/m);
    expect(help).toMatch(/^ {2}--itf FILE +write the first counterexample/m);
    expect(help).toMatch(/^ {2}--timeout SECONDS +/m);
    // A long list of choices gets its own line instead of running into the description.
    expect(help).toMatch(/^ {2}--design DESIGN +the post-copy design \(default kvm-userfault\)\n +DESIGN: kvm-userfault, uffd, exit-on-missing, demand-paging, async-pf-user, gmem-minor$/m);
    expect(help).not.toMatch(/--seed/);
    // The stated bounds are the enforced ones.
    expect(kvmuf(['check', '--vcpus', String(LIMITS.vcpus.max + 1)]).stderr).toContain(`must be ${LIMITS.vcpus.min} to ${LIMITS.vcpus.max}`);
  });

  it('file flags of report and diagram show FILE', () => {
    expect(kvmuf(['report', '--help']).stdout).toMatch(/^ {2}--out FILE +the HTML file to write/m);
    expect(kvmuf(['diagram', '--help']).stdout).toMatch(/^ {2}--out FILE +write to this file/m);
  });
});

describe('input that used to be accepted silently: a coded error, a hint, exit 2', () => {
  const replayFile = join(tmp, 'any.json');
  writeFileSync(replayFile, '{}');
  const dir = join(tmp, 'a-directory');
  mkdirSync(dir, { recursive: true });
  it.each([
    ['--uffd missing on guest_memfd', ['check', '--backing', 'guest_memfd', '--uffd', 'missing'], 'KVMUF104'],
    ['--max-states 0', ['check', '--max-states', '0'], 'KVMUF103'],
    ['--timeout 0', ['check', '--timeout', '0'], 'KVMUF103'],
    ["--its ''", ['check', '--its', ''], 'KVMUF002'],
    ['--handler=', ['check', '--handler='], 'KVMUF002'],
    ['list --bogus', ['list', '--bogus'], 'KVMUF001'],
    ['list with an argument', ['list', 'designs'], 'KVMUF004'],
    ['replay FILE --path P', ['replay', replayFile, '--path', '0/0/1'], 'KVMUF307'],
    ['replay FILE --design D', ['replay', replayFile, '--design', 'uffd'], 'KVMUF307'],
    ['check --seed (removed: nothing is random)', ['check', '--seed', '3'], 'KVMUF001'],
    ['report --out naming a directory', ['report', '--vcpus', '1', '--pages', '1', '--out', dir], 'KVMUF401'],
    ['check --itf naming a directory', ['check', '--vcpus', '1', '--pages', '1', '--itf', dir], 'KVMUF401'],
  ])('%s', (_what, args, code) => {
    const r = kvmuf(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error\\[${code}\\]: .+\\nhint: .+\\n$`));
    expect(r.stdout).toBe('');
  });
});

describe('kvmuf report --out FILE', () => {
  const ARGS = ['report', '--design', 'kvm-userfault', '--vcpus', '1', '--pages', '1'];

  it('writes the file it names, creating its folder', () => {
    const file = join(tmp, 'new', 'x.html');
    const r = kvmuf([...ARGS, '--out', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`wrote ${file}\n`);
    expect(readFileSync(file, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('overwrites an existing file', () => {
    const file = join(tmp, 'old.html');
    writeFileSync(file, 'old content');
    const r = kvmuf([...ARGS, '--out', file]);
    expect(r.status).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^<!doctype html>/i);
  });
});
