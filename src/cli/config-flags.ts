/**
 * The check flags that shape one configuration beyond its size: which pages are remote,
 * what each vCPU's guest does, the control plan (balloon, ITS tables, the kvm-clock page, steal time,
 * late enable, a dirty-log round, whether the vCPUs wait for it) and the huge page size.
 * Parsing them into a SystemConfig, and the same flags back from a SystemConfig, so the
 * printed `reproduce:` and `replay:` lines run exactly the configuration checked.
 */
import type { ControlPlan, KvmClockPage, SystemConfig } from '../system/config.ts';
import { ConfigError } from '../system/config-error.ts';
import { formatMemslots, type MemslotShape } from '../system/guest-layout.ts';
import type { ParsedFlags } from './args.ts';
import { formatPrograms, parsePrograms } from './guest-program-text.ts';

/** Page lists: `1,2`; `--remote none` says no page is remote. */
function parsePageList(flag: string, text: string, allowNone: boolean): number[] {
  if (allowNone && text === 'none') return [];
  if (!/^\d+(,\d+)*$/.test(text)) throw new ConfigError('KVMUF003', `--${flag} ${text}: expected page numbers like 0,2${allowNone ? ' (or none)' : ''}`, `e.g. --${flag} 1`);
  return text.split(',').map(Number);
}

/** `--memslots 0:2,8:2`: each memslot as base gfn:npages. */
function parseMemslots(text: string): MemslotShape[] {
  if (!/^\d+:\d+(,\d+:\d+)*$/.test(text)) throw new ConfigError('KVMUF003', `--memslots ${text}: expected memslots as base gfn:npages, comma-separated`, 'e.g. --memslots 0:2,8:2 (gfns 0-1 and 8-9, a hole between)');
  return text.split(',').map((slot) => {
    const [base, npages] = slot.split(':').map(Number) as [number, number];
    return { baseGfn: base, npages };
  });
}

/** The guest address space a layout needs when --pages is not given: up to its last gfn. */
export function memslotSpan(slots: readonly MemslotShape[]): number {
  return Math.max(...slots.map((s) => s.baseGfn + s.npages));
}

function controlFromFlags(flags: ParsedFlags): ControlPlan | undefined {
  const plan: ControlPlan = {
    ...(typeof flags.its === 'string' ? { itsTables: parsePageList('its', flags.its, false) } : {}),
    ...(typeof flags['kvm-clock'] === 'number' ? { kvmClockGfn: flags['kvm-clock'] } : {}),
    ...(typeof flags['kvm-clock-page'] === 'string' ? { kvmClockPage: flags['kvm-clock-page'] as KvmClockPage } : {}),
    ...(typeof flags['steal-time'] === 'number' ? { stealTimeGfn: flags['steal-time'] } : {}),
    ...(typeof flags.balloon === 'string' ? { balloon: parsePageList('balloon', flags.balloon, false) } : {}),
    ...(flags['late-enable'] === true ? { enableUserfault: true } : {}),
    ...(flags['dirty-log-round'] === true ? { toggleDirtyLog: true } : {}),
    ...(flags['disable-at-end'] === true ? { disableUserfaultAtEnd: true } : {}),
    ...(flags['control-first'] === true ? { vcpusWait: true } : {}),
  };
  return Object.keys(plan).length > 0 ? plan : undefined;
}

/** The parts of a configuration these flags give (spread into the SystemConfig). */
export function shapeFromFlags(flags: ParsedFlags): Pick<SystemConfig, 'remote' | 'programs' | 'control' | 'hugePages' | 'memslots'> {
  const control = controlFromFlags(flags);
  return {
    ...(typeof flags.memslots === 'string' ? { memslots: parseMemslots(flags.memslots) } : {}),
    ...(typeof flags.remote === 'string' ? { remote: parsePageList('remote', flags.remote, true) } : {}),
    ...(typeof flags.program === 'string' ? { programs: parsePrograms('program', flags.program) } : {}),
    ...(typeof flags['huge-pages'] === 'number' ? { hugePages: flags['huge-pages'] } : {}),
    ...(control ? { control } : {}),
  };
}

/** The flags that give these parts of `cfg` (the inverse of shapeFromFlags). */
export function shapeWords(cfg: SystemConfig): string[] {
  const words: string[] = [];
  const c = cfg.control ?? {};
  if (cfg.memslots) words.push('--memslots', formatMemslots(cfg.memslots));
  if (cfg.remote) words.push('--remote', cfg.remote.length > 0 ? cfg.remote.join(',') : 'none');
  if (cfg.programs) words.push('--program', formatPrograms(cfg.programs));
  if (cfg.hugePages !== undefined) words.push('--huge-pages', String(cfg.hugePages));
  if (c.itsTables) words.push('--its', c.itsTables.join(','));
  if (c.kvmClockGfn !== undefined) words.push('--kvm-clock', String(c.kvmClockGfn));
  // The resolved default is left out, so a printed command stays the one the user gave.
  if (c.kvmClockPage === 'shared') words.push('--kvm-clock-page', c.kvmClockPage);
  if (c.stealTimeGfn !== undefined) words.push('--steal-time', String(c.stealTimeGfn));
  if (c.balloon) words.push('--balloon', c.balloon.join(','));
  if (c.enableUserfault) words.push('--late-enable');
  if (c.toggleDirtyLog) words.push('--dirty-log-round');
  if (c.disableUserfaultAtEnd) words.push('--disable-at-end');
  if (c.vcpusWait) words.push('--control-first');
  return words;
}
