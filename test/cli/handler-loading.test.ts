/**
 * `--handler PATH` loads a handler file from anywhere: a lone file in a folder with no
 * package.json, TypeScript or JavaScript, importing `kvmuf`, its own modules and Node's
 * built-ins. Files that do not load say where and how to fix them (exit 2).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLEAR, exitStepsHandler, hasStackTrace, POPULATE, userDir } from './user-dir.ts';

const GMEM = ['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd'];
const FIXED = exitStepsHandler('fixed', `${POPULATE}\n${CLEAR}`);

describe('a lone handler file outside the repository', () => {
  const u = userDir();
  for (const name of ['h.ts', 'h.mts', 'h.mjs']) {
    it(`${name} loads and passes`, () => {
      u.write(name, FIXED);
      const r = u.run([...GMEM, '--handler', name]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/kvm-userfault x86 guest_memfd 2v×2p +fixed +PASS +288 /);
    });
  }

  it('a .js file in plain JavaScript loads, by absolute path from another folder', () => {
    const file = u.write('plain.js', FIXED);
    const other = userDir();
    const r = other.run([...GMEM, '--handler', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/fixed +PASS/);
  });

  it("imports the handler's own modules and Node's built-ins", () => {
    u.write('steps.ts', `import { Errno, REG_GFN, type Step } from 'kvmuf';
import { basename } from 'node:path';
export const populate: Step = { label: basename('/x/populate'), run(c) { const e = c.populate(c.reg(REG_GFN), { wake: false }); if (e !== 0 && e !== Errno.EEXIST) c.panic('errno ' + e); } };
`);
    u.write('main.ts', `import { defineHandler, REG_GFN } from 'kvmuf';
import { populate } from './steps.ts';
export default defineHandler({ name: 'split', description: 'two files', designs: ['kvm-userfault'], vcpuExit: [populate, { label: 'clear-bit', run: (c) => c.setUserfaultBit(c.reg(REG_GFN), false) }] });
`);
    const r = u.run([...GMEM, '--handler', 'main.ts']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/split +PASS +288 /);
  });
});

describe('handlers on the per-object step API, run from their own folder', () => {
  const u = userDir();
  const read = (f: string) => readFileSync(new URL(`../handlers/${f}`, import.meta.url), 'utf8');

  it('c.uffd poll/read/copy/close: the reader that dies is convicted, with its operations in the trace', () => {
    u.write('dies.ts', read('exits-after-one-fault.ts'));
    const r = u.run(['check', '--design', 'uffd', '--vcpus', '2', '--pages', '2', '--handler', 'dies.ts']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/reader +copy: UFFDIO_COPY gfn 0 → 0 \(4096 bytes\)/);
    expect(r.stdout).toMatch(/reader +exit: close\(uffd\) → 0/);
    expect(r.stdout).toContain('invariant violated: no access observes a page without its content');
  });

  it('a REMOVE-dropping reader on a kernel before the EAGAIN-field fix is convicted, and its EAGAIN leaves the field untouched', () => {
    u.write('remove.ts', read('ignores-remove-events.ts'));
    const r = u.run(['check', '--design', 'uffd', '--vcpus', '1', '--pages', '2', '--program', 'r1', '--balloon', '1', '--uffd-eagain-field', 'untouched', '--handler', 'remove.ts']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('invariant violated: no content served stale after a REMOVE');
    expect(r.stdout).toMatch(/→ EAGAIN \(0 bytes, field untouched\)/);
  });
});

describe('a handler file that does not load: a code, where, and how to fix it (exit 2)', () => {
  const u = userDir();
  const cases: [string, string, RegExp, RegExp][] = [
    ['syntax.ts', `import { defineHandler } from 'kvmuf';\nexport default defineHandler({ name: 'x',, });\n`, /^error\[KVMUF203\]: syntax\.ts failed to compile: .*syntax\.ts:2:\d+: /, /hint: fix the syntax error/],
    ['missing-dep.ts', `import { thing } from 'not-installed-anywhere';\nexport default thing;\n`, /^error\[KVMUF203\]: missing-dep\.ts failed to compile: .*Could not resolve "not-installed-anywhere"/, /hint: install the missing package in the handler's project/],
    ['bad-entry.ts', `import { x } from 'kvmuf/internals';\nexport default x;\n`, /^error\[KVMUF203\]: .*'kvmuf\/internals' is not an entry point of kvmuf/, /hint: import from 'kvmuf'/],
    ['top-level-throw.ts', `throw new Error('boom');\n`, /^error\[KVMUF203\]: top-level-throw\.ts failed to load: its top-level code threw Error: boom/, /hint: fix the module/],
    ['no-export.ts', `export const other = 1;\n`, /^error\[KVMUF202\]: no-export\.ts: no handler exported/, /hint: export a handler/],
    ['unknown-design.ts', exitStepsHandler('u', CLEAR).replace("['kvm-userfault']", "['kvm-userfalt']"), /^error\[KVMUF202\]: .*unknown design 'kvm-userfalt'/, /hint: designs: /],
  ];
  for (const [name, text, what, hint] of cases) {
    it(name, () => {
      u.write(name, text);
      const r = u.run([...GMEM, '--handler', name]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(what);
      expect(r.stderr).toMatch(hint);
      expect(r.stderr.trim().split('\n')).toHaveLength(2);
      expect(hasStackTrace(r.stderr)).toBe(false);
    });
  }
});
