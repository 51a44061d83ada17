/** The README's dirty-logging-hole subsection shows what kvmuf really prints. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kvmuf } from './run-cli.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const COMMAND = 'kvmuf check --design kvm-userfault --arch x86 --backing anon --uffd none --thp --dirty-log-round';

describe('README: x86 huge-page recovery and the v3 dirty-logging hole', () => {
  it('shows the command and the first counterexample exactly as kvmuf prints them', () => {
    expect(README).toContain(`\`\`\`\n${COMMAND}\n\`\`\``);
    const r = kvmuf(COMMAND.split(' ').slice(1));
    expect(r.status).toBe(1);
    const first = r.stdout.split('\n\n').find((p) => p.startsWith('FAIL')) ?? '';
    expect(first).toContain('no access observes a page without its content');
    expect(README).toContain(`\`\`\`\n${first.trim()}\n\`\`\``);
  }, 60_000);

  it('each configuration the README says is safe passes', () => {
    const base = COMMAND.split(' ').slice(1);
    const without = (flag: string) => base.filter((w) => w !== flag);
    const swap = (flag: string, value: string) => base.map((w, i) => (base[i - 1] === flag ? value : w));
    const hugetlb = swap('--backing', 'hugetlb').filter((w) => w !== '--thp');
    for (const args of [without('--dirty-log-round'), without('--thp'), swap('--uffd', 'missing'), swap('--arch', 'arm64'), hugetlb.map((w, i) => (hugetlb[i - 1] === '--uffd' ? 'minor' : w))]) {
      expect(kvmuf(args).status, args.join(' ')).toBe(0);
    }
    // Filled 4K at a time with no userfaultfd, hugetlbfs has the hole too.
    expect(kvmuf(hugetlb).status).toBe(1);
  }, 120_000);
});
