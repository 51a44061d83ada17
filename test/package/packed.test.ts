/**
 * kvmuf as a user installs it: `npm pack`, then in a fresh project outside the
 * repository, `npm install` of the tarball; there `kvmuf check` runs a TypeScript and a
 * JavaScript handler, and a plain `tsc` compiles a file that imports the API, the
 * arbitraries and the bundled handlers (with the package's own .d.ts, library checks on).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const HANDLER = `import { defineHandler, Errno, REG_GFN } from 'kvmuf';
export default defineHandler({
  name: 'my-vmm',
  description: 'install, then clear',
  designs: ['kvm-userfault'],
  vcpuExit: [
    { label: 'populate', run(c) { const e = c.populate(c.reg(REG_GFN), { wake: false }); if (e !== 0 && e !== Errno.EEXIST) c.panic('errno ' + e); } },
    { label: 'clear-bit', run: (c) => c.setUserfaultBit(c.reg(REG_GFN), false) },
  ],
});
`;

const API_USER = `import { check, composeSystem, defineHandler, Errno, REG_GFN, systemModel, type HandlerStrategy, type StepContext } from 'kvmuf';
import { guestProgram } from 'kvmuf/arbitraries';
import { BUNDLED_HANDLERS } from 'kvmuf/handlers';
import fc from 'fast-check';

const mine: HandlerStrategy = defineHandler({
  name: 'api-user',
  description: 'from code',
  designs: ['kvm-userfault'],
  vcpuExit: [
    { label: 'populate', run: (c: StepContext) => { const e = c.populate(c.reg(REG_GFN), { wake: false }); if (e !== 0 && e !== Errno.EEXIST) c.panic('errno ' + e); } },
    { label: 'clear-bit', run: (c: StepContext) => c.setUserfaultBit(c.reg(REG_GFN), false) },
  ],
});
const result = check(systemModel(composeSystem({ design: 'kvm-userfault', arch: 'x86', backing: 'guest_memfd', vcpus: 2, pages: 2 }, mine)));
const program = fc.sample(guestProgram(2, { min: 1, max: 3 }), { numRuns: 1, seed: 1 })[0];
console.log(JSON.stringify({ status: result.status, distinct: result.stats.distinct, bundled: BUNDLED_HANDLERS.length, program: program !== undefined }));
`;

let project = '';
let kvmufBin = '';

function run(cmd: string, args: readonly string[], cwd: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const packs = mkdtempSync(join(tmpdir(), 'kvmuf-pack-'));
  // --ignore-scripts: dist/ is already built (test/global-setup.ts); rebuilding it here would race the other CLI tests.
  execFileSync(NPM, ['pack', '--silent', '--ignore-scripts', '--pack-destination', packs], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(packs).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');
  project = mkdtempSync(join(tmpdir(), 'kvmuf-user-project-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-vmm', version: '1.0.0', private: true, type: 'module' }));
  execFileSync(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--silent', join(packs, tarball)], { cwd: project, stdio: ['ignore', 'ignore', 'inherit'] });
  kvmufBin = join(project, 'node_modules', '.bin', 'kvmuf');
}, 300_000);

describe('the packed tarball, installed in a fresh project', () => {
  it('ships the build, the types and the licence, and no sources or tests', () => {
    const pkg = join(project, 'node_modules', 'kvmuf');
    const top = readdirSync(pkg).sort();
    expect(top).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'package.json']);
    expect(readdirSync(join(pkg, 'dist', 'src'))).toContain('index.d.ts');
  });

  it('kvmuf check runs a TypeScript handler of the project (exit 0)', () => {
    writeFileSync(join(project, 'my-vmm.ts'), HANDLER);
    const r = run(kvmufBin, ['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd', '--handler', 'my-vmm.ts'], project);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/my-vmm +PASS +288 /);
  });

  it('kvmuf check runs a JavaScript handler, and convicts a wrong one (exit 1)', () => {
    writeFileSync(join(project, 'clear-first.js'), HANDLER.replace("name: 'my-vmm'", "name: 'clear-first'").replace(/vcpuExit: \[\n(.*)\n(.*)\n/, 'vcpuExit: [\n$2\n$1\n'));
    const r = run(kvmufBin, ['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd', '--handler', 'clear-first.js'], project);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('FAIL kvm-userfault x86 guest_memfd 2v×2p (handler clear-first)');
  });

  it('the installed kvmuf loads a lone handler file from a folder with no package.json', () => {
    const lone = mkdtempSync(join(tmpdir(), 'kvmuf-lone-'));
    writeFileSync(join(lone, 'h.ts'), HANDLER);
    const r = run(kvmufBin, ['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd', '--handler', join(lone, 'h.ts')], lone);
    expect(r.status).toBe(0);
  });

  it('a plain tsc compiles a file that uses the API, the arbitraries and the bundled handlers, and it runs', () => {
    writeFileSync(join(project, 'api-user.ts'), API_USER);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', skipLibCheck: false, types: [] }, files: ['api-user.ts'] }),
    );
    const tsc = run(process.execPath, [TSC, '-p', '.'], project);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const r = run(process.execPath, [join('out', 'api-user.js')], project);
    expect(r.status).toBe(0);
    // The README's fixed handler on its configuration: 288 states (pinned in test/cli/check.test.ts).
    expect(JSON.parse(r.stdout)).toEqual({ status: 'pass', distinct: 288, bundled: expect.any(Number), program: true });
  });
});
