/**
 * Replay files travel: `kvmuf check --json` saved in one folder, copied with its handler
 * to another (outside the repository), replays there; and when a replay diverges, the
 * error names the cause.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kvmuf, ROOT } from './run-cli.ts';

interface ReplayFile {
  kvmuf: string;
  runs: {
    configuration: { remote: number[] };
    configurationSha256: string;
    handlerFile?: { path: string; absolute: string; sha256: string };
    failures: { path: string; fingerprints?: string[] }[];
  }[];
}

const ARGS = ['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd', '--handler', 'handlers/mine.ts', '--json'];
/** The README's wrong handler, as a user keeps it in a folder of their own. */
const HANDLER = readFileSync(join(ROOT, 'test/handlers/clear-first.ts'), 'utf8');

let copied = ''; // the folder the replay file and its handler were copied to
let original: ReplayFile;

/** A copy of the saved replay file, changed by `edit`, in a folder of its own (with the handler beside it). */
function variant(name: string, edit: (data: ReplayFile) => void): string {
  const dir = mkdtempSync(join(tmpdir(), `kvmuf-${name}-`));
  cpSync(copied, dir, { recursive: true });
  const data = structuredClone(original);
  edit(data);
  writeFileSync(join(dir, 'run.json'), JSON.stringify(data));
  return dir;
}

beforeAll(() => {
  const made = mkdtempSync(join(tmpdir(), 'kvmuf-made-'));
  mkdirSync(join(made, 'handlers'));
  writeFileSync(join(made, 'handlers', 'mine.ts'), HANDLER);
  const r = kvmuf(ARGS, made); // run where the user keeps their handler
  expect(r.status).toBe(1);
  writeFileSync(join(made, 'run.json'), r.stdout);
  original = JSON.parse(r.stdout) as ReplayFile;
  copied = mkdtempSync(join(tmpdir(), 'kvmuf-copied-'));
  cpSync(made, copied, { recursive: true });
  rmSync(made, { recursive: true }); // the place it was made in is gone
}, 60_000);

describe('a replay file', () => {
  it('records the kvmuf version, the configuration with its sha256, and the handler file with its sha256', () => {
    expect(original.kvmuf).toMatch(/^\d+\.\d+\.\d+$/);
    const run = original.runs[0];
    expect(run?.configurationSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run?.handlerFile?.path).toBe('handlers/mine.ts');
    expect(run?.handlerFile?.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const f of run?.failures ?? []) expect(f.fingerprints?.length).toBe(f.path.split('/').length);
  });

  it('copied with its handler to a folder outside the repository, replays there (from any working directory)', () => {
    const r = kvmuf(['replay', join(copied, 'run.json')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout.match(/^replay kvm-userfault x86 guest_memfd/gm)?.length).toBe(3);
    expect(r.stdout).toMatch(/the trace ends where these properties are violated: no access observes a page without its content/);
  });

  it('with its handler edited in a way that does not matter, replays and says the handler changed', () => {
    const dir = variant('comment', () => {});
    writeFileSync(join(dir, 'handlers', 'mine.ts'), `${HANDLER}// a comment\n`);
    const r = kvmuf(['replay', join(dir, 'run.json')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^note: .*mine\.ts changed since the trace was recorded .*but the trace still replays$/m);
  });

  it('missing its handler, says where it looked', () => {
    const dir = variant('nohandler', () => {});
    rmSync(join(dir, 'handlers'), { recursive: true });
    const r = kvmuf(['replay', join(dir, 'run.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error\[KVMUF201\]: cannot find the handler file of .*run\.json: neither .*handlers\/mine\.ts nor /);
  });
});

describe('a divergence names its cause', () => {
  it('the handler changed: its sha256 differs from the recorded one (KVMUF309)', () => {
    const dir = variant('handler', () => {});
    writeFileSync(join(dir, 'handlers', 'mine.ts'), HANDLER.replace(/\s*\{ label: 'clear-bit'.*\n/, '\n'));
    const r = kvmuf(['replay', join(dir, 'run.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error\[KVMUF309\]: the handler changed: .*mine\.ts has sha256 [0-9a-f]{12}…, the trace was recorded with [0-9a-f]{12}…; the trace diverges at step \d+/);
  });

  it('the configuration changed: it is not the one recorded (KVMUF308)', () => {
    const dir = variant('config', (d) => {
      for (const run of d.runs) run.configuration.remote = [1]; // page 0 already local
    });
    const r = kvmuf(['replay', join(dir, 'run.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error\[KVMUF308\]: the configuration changed: .*the trace diverges at step 0/);
  });

  it('the path is out of range (KVMUF310)', () => {
    const dir = variant('path', (d) => {
      for (const run of d.runs) for (const f of run.failures) f.path = `${f.path}/9`;
    });
    const r = kvmuf(['replay', join(dir, 'run.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error\[KVMUF310\]: the path is out of range: the trace diverges at step \d+: action index 9 is out of range \(\d+ enabled\)/);
  });

  it('the kvmuf version changed (KVMUF311)', () => {
    const dir = variant('version', (d) => {
      d.kvmuf = '0.0.0-old';
      const fps = d.runs[0]?.failures[0]?.fingerprints ?? [];
      fps[3] = '0123456789abcdef';
    });
    const r = kvmuf(['replay', join(dir, 'run.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error\[KVMUF311\]: the kvmuf version changed: the trace was recorded by kvmuf 0\.0\.0-old, this is .*step 3/);
  });

  it('with all of those as recorded: nondeterminism (KVMUF305)', () => {
    const dir = variant('tampered', (d) => {
      const fps = d.runs[0]?.failures[0]?.fingerprints ?? [];
      fps[3] = '0123456789abcdef';
    });
    const r = kvmuf(['replay', join(dir, 'run.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error\[KVMUF305\]: nondeterminism: with the configuration, handler and kvmuf version as recorded, the trace diverges at step 3: reached a state with fingerprint [0-9a-f]+, the trace recorded 0123456789abcdef\nhint: .+\n$/);
  });
});
