/** The README shows real code and real output: these tests keep it so. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StepContext } from '../../src/system/step-context.ts';
import { BitmapFacet } from '../../src/system/step-api/bitmap-facet.ts';
import { DevicesFacet } from '../../src/system/step-api/devices-facet.ts';
import { GmemFacet } from '../../src/system/step-api/gmem-facet.ts';
import { KvmFacet } from '../../src/system/step-api/kvm-facet.ts';
import { MemoryFacet } from '../../src/system/step-api/memory-facet.ts';
import { MemslotsFacet } from '../../src/system/step-api/memslots-facet.ts';
import { UffdFacet } from '../../src/system/step-api/uffd-facet.ts';
import { kvmuf } from './run-cli.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The body of every fenced block whose info string is `lang` ('' for plain fences). */
function blocks(lang: string): string[] {
  const out: string[] = [];
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of README.split('\n')) {
    if (line.startsWith('```')) {
      if (open) {
        if (open.lang === lang) out.push(`${open.lines.join('\n')}\n`);
        open = undefined;
      } else open = { lang: line.slice(3).trim(), lines: [] };
    } else open?.lines.push(line);
  }
  return out;
}

describe('README', () => {
  it('shows the two set-up commands', () => {
    const sh = blocks('sh').map((b) => b.trim());
    expect(sh).toContain('npm ci && npx kvmuf check');
    expect(sh).toContain('npm test');
  });

  it("shows the handler files exactly as they are (minus their leading comments)", () => {
    const ts = blocks('ts');
    for (const file of ['test/handlers/clear-first.ts', 'test/handlers/populate-first.ts', 'test/handlers/exits-after-one-fault.ts', 'test/handlers/ignores-remove-events.ts', 'test/handlers/eagain-waits-for-poll.ts', 'test/handlers/bit-by-gfn.ts']) {
      const code = read(file).replace(/^(\/\/.*\n)+/, '');
      expect(ts).toContain(code);
    }
  });

  it.each([
    [['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd', '--handler', 'test/handlers/clear-first.ts']],
    [['check', '--design', 'uffd', '--vcpus', '2', '--pages', '2', '--handler', 'test/handlers/exits-after-one-fault.ts']],
    [['check', '--design', 'uffd', '--vcpus', '1', '--pages', '2', '--program', 'r1', '--balloon', '1', '--handler', 'test/handlers/ignores-remove-events.ts']],
    [['check', '--design', 'uffd', '--vcpus', '1', '--pages', '2', '--program', 'r1', '--balloon', '1', '--handler', 'test/handlers/eagain-waits-for-poll.ts']],
    [['check', '--design', 'kvm-userfault', '--vcpus', '1', '--memslots', '0:1,4:1', '--program', 'r4', '--handler', 'test/handlers/bit-by-gfn.ts']],
  ])('shows the counterexample that kvmuf really prints: %j', (args) => {
    const r = kvmuf(args);
    expect(r.status).toBe(1);
    const printed = r.stdout.split('\n\n').find((p) => p.startsWith('FAIL')) ?? '';
    expect(printed.length).toBeGreaterThan(0);
    expect(blocks('').map((b) => b.trim())).toContain(printed.trim());
    expect(README).toContain(`\`kvmuf ${args.join(' ')}\``);
  });

  it('the REMOVE example also reports the EAGAIN livelock the README describes', () => {
    const r = kvmuf(['check', '--design', 'uffd', '--vcpus', '1', '--pages', '2', '--program', 'r1', '--balloon', '1', '--handler', 'test/handlers/ignores-remove-events.ts']);
    expect(r.stdout).toMatch(/liveness violated: every vCPU finishes its guest program .*not finished: vcpu0 at run \(sleeping in userfaultfd\)/);
    expect(r.stdout).toMatch(/copy: UFFDIO_COPY gfn 1 → EAGAIN/);
  });

  it('the handler that dies passes once it keeps serving (its exit step removed)', () => {
    const fixed = read('test/handlers/exits-after-one-fault.ts').replace(/\n {8}\{\n {10}label: 'exit',[\s\S]*?\n {8}\},/, '').replace('exits-after-one-fault', 'keeps-serving');
    expect(fixed).not.toContain("label: 'exit'");
    const dir = mkdtempSync(join(tmpdir(), 'kvmuf-readme-'));
    writeFileSync(join(dir, 'keeps-serving.ts'), fixed);
    const r = kvmuf(['check', '--design', 'uffd', '--vcpus', '2', '--pages', '2', '--handler', join(dir, 'keeps-serving.ts')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('the EAGAIN example passes with a poll timeout, and the multi-slot one with the bit index gfn - base_gfn (and on one slot as it is)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvmuf-readme-'));
    const polls = read('test/handlers/eagain-waits-for-poll.ts').replace("poll('infinite')", "poll('finite')").replace('eagain-waits-for-poll', 'polls-with-timeout');
    expect(polls).toContain("poll('finite')");
    writeFileSync(join(dir, 'polls-with-timeout.ts'), polls);
    const eagain = kvmuf(['check', '--design', 'uffd', '--vcpus', '1', '--pages', '2', '--program', 'r1', '--balloon', '1', '--handler', join(dir, 'polls-with-timeout.ts')]);
    expect(eagain.stderr).toBe('');
    expect(eagain.status).toBe(0);
    const byOffset = read('test/handlers/bit-by-gfn.ts').replace('c.bitmap.store(slot.id, gfn, false)', 'c.bitmap.store(slot.id, gfn - slot.baseGfn, false)').replace("'bit-by-gfn'", "'bit-by-offset'");
    expect(byOffset).toContain('gfn - slot.baseGfn, false)');
    writeFileSync(join(dir, 'bit-by-offset.ts'), byOffset);
    const fixed = kvmuf(['check', '--design', 'kvm-userfault', '--vcpus', '1', '--memslots', '0:1,4:1', '--program', 'r4', '--handler', join(dir, 'bit-by-offset.ts')]);
    expect(fixed.stderr).toBe('');
    expect(fixed.status).toBe(0);
    expect(kvmuf(['check', '--design', 'kvm-userfault', '--vcpus', '2', '--handler', 'test/handlers/bit-by-gfn.ts']).status).toBe(0);
  });

  it('shows the "steps that never ran" block that kvmuf really prints', () => {
    const r = kvmuf(['check', '--design', 'async-pf-user', '--backing', 'guest_memfd']);
    const block = r.stdout.split('\n\n').find((p) => p.startsWith('steps that never ran')) ?? '';
    expect(block.length).toBeGreaterThan(0);
    for (const line of block.split('\n')) expect(README).toContain(`  ${line}\n`);
  }, 30_000);

  it('shows convicting lines that kvmuf list really prints', () => {
    const list = kvmuf(['list']).stdout;
    const block = blocks('').find((b) => b.includes('convicted by:')) ?? '';
    expect(block.length).toBeGreaterThan(0);
    for (const line of block.trimEnd().split('\n')) expect(list).toContain(line);
  });

  it('points at nothing outside the repository', () => {
    expect(README).not.toMatch(/\.\.\//);
    expect(README).not.toMatch(/shared\/reference/);
  });

  it("documents every public member of the step API in the handler section's table", () => {
    const source = read('src/system/step-context.ts');
    const privates = new Set([...source.matchAll(/^ {2}private (?:get |readonly )?(\w+)/gm)].map((m) => m[1]));
    const members = Object.getOwnPropertyNames(StepContext.prototype).filter((n) => n !== 'constructor' && !privates.has(n));
    const fields = [...source.matchAll(/^ {2}(?:readonly |public )?(\w+)(?:\?)?: /gm), ...source.matchAll(/^ {4}(?:public |readonly )+(\w+):/gm)].map((m) => m[1] ?? '').filter((n) => !privates.has(n));
    const section = README.slice(README.indexOf('### The step API'), README.indexOf('### An example'));
    const table = section.split('\n').filter((l) => l.startsWith('| `'));
    const documented = new Set(table.flatMap((l) => [...(l.split(' | ')[0] ?? '').matchAll(/`?(\w+)[(`,.]/g)].map((m) => m[1])));
    const missing = [...new Set([...members, ...fields])].filter((n) => !documented.has(n));
    expect(members.length).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  });

  it('documents every member of each kernel-object part of the step API (c.uffd, c.mem, ...)', () => {
    const section = README.slice(README.indexOf('### The step API'), README.indexOf('### An example'));
    const firstCells = section.split('\n').filter((l) => l.startsWith('| `')).map((l) => l.split(' | ')[0] ?? '');
    const facets: [string, object][] = [
      ['uffd', UffdFacet.prototype],
      ['mem', MemoryFacet.prototype],
      ['gmem', GmemFacet.prototype],
      ['bitmap', BitmapFacet.prototype],
      ['memslots', MemslotsFacet.prototype],
      ['devices', DevicesFacet.prototype],
      ['kvm', KvmFacet.prototype],
    ];
    const missing: string[] = [];
    for (const [name, proto] of facets) {
      const source = read(`src/system/step-api/${name === 'mem' ? 'memory' : name}-facet.ts`);
      const privates = new Set([...source.matchAll(/^ {2}private (?:get |readonly )?(\w+)/gm)].map((m) => m[1]));
      for (const m of Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor' && !privates.has(n))) {
        if (!firstCells.some((cell) => cell.includes(`\`${name}.${m}`) || cell.includes(` ${name}.${m}`))) missing.push(`${name}.${m}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('states every exit status in the README and in kvmuf --help', () => {
    const help = kvmuf(['--help']).stdout;
    for (const status of [0, 1, 2, 3, 4]) {
      expect(README).toMatch(new RegExp(`^\\| ${status} \\| \\S`, 'm'));
      expect(help).toMatch(new RegExp(`^ +${status} +\\S`, 'm'));
    }
  });
});
