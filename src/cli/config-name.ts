/**
 * The name of a checked configuration, as the table and the counterexamples show it:
 * design, arch, backing, vCPUs × pages, then whatever differs from the defaults, so the
 * name says what was really checked: the pages the guests touch (when not all), the
 * remote pages (when not all), the huge page size, and the control plan.
 */
import type { ResolvedConfig } from '../system/config.ts';
import { formatMemslots, isSingleSlot } from '../system/guest-layout.ts';

function list(gfns: readonly number[]): string {
  return gfns.join(',');
}

function touchedPages(cfg: ResolvedConfig): number[] {
  return [...new Set(cfg.programs.flatMap((p) => p.map((op) => op.gfn)))].sort((a, b) => a - b);
}

export function configName(c: ResolvedConfig): string {
  const single = isSingleSlot(c.memslots, c.pages);
  // With several memslots (or a hole), the pages are the guest pages, and the slots follow.
  const parts = [`${c.design} ${c.arch} ${c.backing} ${c.vcpus}v×${c.gfns.length}p${single ? '' : ` slots ${formatMemslots(c.memslots)}`}`];
  if (c.series !== 'v3' && c.series !== 'none') parts.push(c.series);
  if (c.thp) parts.push('THP');
  if (c.mmu === 'shadow') parts.push('shadow-MMU');
  if (c.gmemWrite !== 'enospc') parts.push(`gmem-write ${c.gmemWrite}`);
  if (c.gmemUffd !== (c.design === 'gmem-minor' ? 'vm-uffd-ops' : 'einval')) parts.push(`gmem-uffd ${c.gmemUffd}`);
  if (c.asyncPfScope !== 'sw-protected') parts.push(`async-pf ${c.asyncPfScope}`);
  if (c.design === 'gmem-minor' && c.uffdMode !== 'missing-minor') parts.push(`uffd ${c.uffdMode}`);
  if (c.uffdEagainField !== 'written') parts.push(`eagain-field ${c.uffdEagainField}`);
  if (c.arm64WpFault !== 'checks-bitmap') parts.push(`wp-fault ${c.arm64WpFault}`);
  const touched = touchedPages(c);
  if (touched.length < c.gfns.length) parts.push(`touches ${list(touched)}`);
  if (c.remote.length < c.gfns.length) parts.push(`remote ${c.remote.length > 0 ? list(c.remote) : 'none'}`);
  if (c.hugePages !== 2) parts.push(`huge ${c.hugePages}`);
  const plan = c.control;
  if (plan.itsTables) parts.push(plan.itsTables.length === 1 && plan.itsTables[0] === 1 ? '+ITS' : `+ITS ${list(plan.itsTables)}`);
  if (plan.kvmClockGfn !== undefined) parts.push(`+kvm-clock ${plan.kvmClockGfn}${plan.kvmClockPage === 'shared' ? ' shared' : ''}`);
  if (plan.stealTimeGfn !== undefined) parts.push(`+steal-time ${plan.stealTimeGfn}`);
  if (plan.balloon && plan.balloon.length > 0) parts.push(`+balloon ${list(plan.balloon)}`);
  if (plan.enableUserfault) parts.push('+late-enable');
  if (plan.toggleDirtyLog) parts.push('+dirty-log-round');
  if (plan.disableUserfaultAtEnd) parts.push('+disable-at-end');
  if (plan.vcpusWait) parts.push('control first');
  return parts.join(' ');
}
