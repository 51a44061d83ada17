/**
 * kvmuf as a user installs it: `npm pack`, then in a fresh project outside the
 * repository, `npm install` of the tarball; there `kvmuf check` runs a TypeScript and a
 * JavaScript handler, and a plain `tsc` compiles a file that imports the API, the
 * arbitraries and the bundled handlers (with the package's own .d.ts, library checks on).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/**
 * `kvmuf check --emit-test`: the counterexample becomes a vitest file in the user's
 * project, which imports only from 'kvmuf' and names the handler relative to itself. It
 * fails while the handler still reaches the violation, and passes once it is fixed.
 */
describe('an emitted regression test, run by vitest in the fresh project', () => {
  const WRONG = HANDLER.replace(/vcpuExit: \[\n(.*)\n(.*)\n/, 'vcpuExit: [\n$2\n$1\n');
  /** Vitest in the project, without this vitest run's own environment. */
  const vitest = () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST'));
    const r = spawnSync(process.execPath, [join(project, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', project], { cwd: project, encoding: 'utf8', timeout: 120_000, env });
    return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  };

  beforeAll(() => {
    execFileSync(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--silent', '--save-dev', 'vitest@~4.1.12'], { cwd: project, stdio: ['ignore', 'ignore', 'inherit'] });
    mkdirSync(join(project, 'handlers'), { recursive: true });
    writeFileSync(join(project, 'handlers', 'vmm.ts'), WRONG);
  }, 300_000);

  it('kvmuf check --emit-test writes a readable test that imports only kvmuf and vitest', () => {
    const r = run(kvmufBin, ['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd', '--handler', 'handlers/vmm.ts', '--emit-test', 'test/vmm.regression.test.ts'], project);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('wrote a regression test for the counterexample to test/vmm.regression.test.ts (it fails until the handler no longer reaches the violation)\n');
    const text = readFileSync(join(project, 'test', 'vmm.regression.test.ts'), 'utf8');
    expect([...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1])).toEqual(['vitest', 'kvmuf']);
    expect(text).toContain("const handler = new URL('../handlers/vmm.ts', import.meta.url);");
    expect(text).toContain('It FAILS while the handler still reaches the violation');
    expect(text).toMatch(/const path = '0(\/\d+)+';/);
  });

  it('fails on the wrong handler, naming the violation and the trace', () => {
    const r = vitest();
    expect(r.out).toMatch(/the trace still reaches the violation/);
    expect(r.out).toMatch(/no access observes a page without its content/);
    expect(r.out).toMatch(/guest reads gfn 1 = 0/);
    expect(r.status).toBe(1);
  }, 180_000);

  it('passes once the handler is fixed (install, EEXIST is done, then clear)', () => {
    writeFileSync(join(project, 'handlers', 'vmm.ts'), HANDLER);
    const r = vitest();
    expect(r.out).toMatch(/1 passed/);
    expect(r.status).toBe(0);
  }, 180_000);
});
