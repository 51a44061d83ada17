/**
 * Several memslots from the command line and from scenario files, as a user runs them:
 * the real binary, from a folder outside the repository, on files that live there.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inShell } from './run-cli.ts';
import { expectRefused } from './refusal.ts';
import { userDir } from './user-dir.ts';

const repoFile = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

interface JsonRun {
  readonly command: string;
  readonly configuration: { readonly pages: number; readonly memslots?: readonly { baseGfn: number; npages: number }[]; readonly mmu: string; readonly thp: boolean; readonly gmemWrite: string; readonly uffdEagainField: string };
}

describe('kvmuf check --memslots', { timeout: 120_000 }, () => {
  const dir = userDir('kvmuf-memslots-');

  it('checks a layout with a hole, names its slots, and reproduces it from the printed line', () => {
    const r = dir.run(['check', '--design', 'kvm-userfault', '--vcpus', '2', '--memslots', '0:2,8:2', '--program', 'r8 w1=101;r0 w9=102']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^kvm-userfault x86 anon 2v×4p slots 0:2,8:2 +kvm-userfault +PASS/m);
    const json = JSON.parse(dir.run(['check', '--design', 'kvm-userfault', '--vcpus', '2', '--memslots', '0:2,8:2', '--program', 'r8 w1=101;r0 w9=102', '--json']).stdout) as { runs: JsonRun[] };
    const run = json.runs[0];
    // --pages defaults to the last slot's end.
    expect(run?.configuration.pages).toBe(10);
    expect(run?.command).toBe("kvmuf check --design kvm-userfault --arch x86 --backing anon --vcpus 2 --pages 10 --memslots 0:2,8:2 --program 'r8 w1=101;r0 w9=102'");
    const again = inShell(run?.command ?? '', dir.dir);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('2v×4p slots 0:2,8:2');
  });

  it("a user's userfaultfd reader that maps fault and REMOVE addresses with c.gfnOf passes above a hole", () => {
    const handler = dir.write('polls-with-timeout.ts', repoFile('test/handlers/eagain-waits-for-poll.ts').replace("poll('infinite')", "poll('finite')").replace('eagain-waits-for-poll', 'polls-with-timeout'));
    const r = dir.run(['check', '--design', 'uffd', '--vcpus', '1', '--memslots', '0:1,4:2', '--program', 'r5 w4=7', '--balloon', '5', '--handler', handler]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/uffd x86 anon 1v×3p slots 0:1,4:2 touches 4,5 \+balloon 5 +polls-with-timeout +PASS/);
    expect(r.status).toBe(0);
  });

  it.each([
    ['overlapping slots', ['--memslots', '0:3,2:2'], 'KVMUF115', /memslot 2:2 overlaps another memslot \(KVM_SET_USER_MEMORY_REGION2 would fail with EEXIST\)/],
    ['a slot past --pages', ['--memslots', '0:2,8:2', '--pages', '9'], 'KVMUF115', /memslot 8:2 ends past the 9 pages/],
    ['a guest page in the hole', ['--memslots', '0:2,8:2', '--program', 'r3;r0'], 'KVMUF102', /page 3, in a hole between the memslots 0:2,8:2/],
    ['a slot off a huge page', ['--backing', 'hugetlb', '--memslots', '0:2,5:2'], 'KVMUF115', /2-page boundary/],
    ['not a layout', ['--memslots', '0-2'], 'KVMUF003', /--memslots 0-2: expected memslots as base gfn:npages/],
  ])('refuses %s with a coded error, a hint and exit 2', (_name, flags, code, what) => {
    const r = dir.run(['check', '--design', 'kvm-userfault', '--vcpus', '2', ...flags]);
    expectRefused(r, code, what);
  });
});

describe('scenario keys for memslots and kernel variants', { timeout: 120_000 }, () => {
  const dir = userDir('kvmuf-scenario-keys-');

  it.each([
    ['memslots as a string', { memslots: '0:1,4:1' }],
    ['memslots as a list', { memslots: [{ baseGfn: 0, npages: 1 }, { baseGfn: 4, npages: 1 }] }],
  ])('reads %s', (name, keys) => {
    const file = dir.write(`${name.replaceAll(' ', '-')}.json`, JSON.stringify({ design: 'kvm-userfault', vcpus: ['r4 w0=101'], ...keys }));
    const r = dir.run(['check', '--scenario', file, '--json']);
    expect(r.status).toBe(0);
    const run = (JSON.parse(r.stdout) as { runs: JsonRun[] }).runs[0];
    expect(run?.configuration.memslots).toEqual([{ baseGfn: 0, npages: 1 }, { baseGfn: 4, npages: 1 }]);
    expect(run?.command).toContain('--pages 5 --memslots 0:1,4:1');
  });

  it('reads mmu, thp, gmemWrite and uffdEagainField as their flags', () => {
    const file = dir.write('variants.json', JSON.stringify({ design: 'kvm-userfault', mmu: 'shadow', thp: true, gmemWrite: 'overwrite', uffdEagainField: 'untouched' }));
    const r = dir.run(['check', '--scenario', file, '--json']);
    expect(r.stderr).toBe('');
    const run = (JSON.parse(r.stdout) as { runs: JsonRun[] }).runs[0];
    expect(run?.command).toContain('--mmu shadow --gmem-write overwrite --uffd-eagain-field untouched --thp');
    const table = dir.run(['check', '--scenario', file]);
    expect(table.stdout).toMatch(/kvm-userfault x86 anon 2v×2p THP shadow-MMU gmem-write overwrite eagain-field untouched/);
  });

  it('reads arm64WpFault as --arm64-wp-fault: in the table and the reproduce line', () => {
    const file = dir.write('wp-fault.json', JSON.stringify({ design: 'kvm-userfault', arch: 'arm64', arm64WpFault: 'no-check', control: { dirtyLogRound: true } }));
    const r = dir.run(['check', '--scenario', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/kvm-userfault arm64 anon 2v×2p .*wp-fault no-check/);
    expect(dir.run(['check', '--scenario', file, '--json']).stdout).toContain('--arm64-wp-fault no-check');
  });

  it.each([
    ['an arm64WpFault that is not one', '{"arch": "arm64", "arm64WpFault": "maybe"}', 'KVMUF003', /--arm64-wp-fault maybe is not one of checks-bitmap, no-check/],
    ['arm64WpFault no-check on x86', '{"arm64WpFault": "no-check"}', 'KVMUF105', /--arm64-wp-fault no-check is an arm64 choice/],
    ['memslots of the wrong type', '{"memslots": 2}', 'KVMUF022', /memslots must be a list of \{ "baseGfn": N, "npages": N \}/],
    ['memslots with a wrong field', '{"memslots": [{"base": 0, "npages": 2}]}', 'KVMUF022', /memslots must be a list/],
    ['memslots that are not a layout', '{"memslots": "0-2"}', 'KVMUF003', /--memslots 0-2: expected memslots/],
    ['overlapping memslots', '{"memslots": "0:2,1:2"}', 'KVMUF115', /overlaps another memslot/],
    ['an mmu that is not one', '{"mmu": "fast"}', 'KVMUF003', /--mmu fast is not one of tdp, shadow/],
    ['an mmu of the wrong type', '{"mmu": 1}', 'KVMUF022', /mmu must be a string/],
    ['thp that is not a boolean', '{"thp": "yes"}', 'KVMUF022', /thp must be true or false/],
    ['thp on shmem', '{"thp": true, "backing": "shmem"}', 'KVMUF105', /transparent huge pages/],
    ['a gmemWrite that is not one', '{"gmemWrite": "append"}', 'KVMUF003', /--gmem-write append is not one of enospc, overwrite/],
    ['a uffdEagainField that is not one', '{"uffdEagainField": "sometimes"}', 'KVMUF003', /--uffd-eagain-field sometimes is not one of written, untouched/],
  ])('refuses a scenario with %s: coded error, hint, exit 2', (name, text, code, what) => {
    const path = dir.write(`${name.replaceAll(' ', '-')}.json`, text);
    const r = dir.run(['check', '--scenario', path]);
    expectRefused(r, code, what);
  });
});
