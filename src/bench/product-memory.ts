/**
 * Bytes per state of `kvmuf check` on a composed system, measured as the operating
 * system sees it: the growth of the peak resident set between a small and a large run of
 * the same design, divided by the growth in distinct states. Everything the run holds is
 * in it — fingerprint table, parents, frontier, liveness graph, intern tables, JS objects
 * and the garbage collector's slack — and the fixed cost of the process (code, JIT,
 * young generation) cancels out. Each run is its own process, with the young generation
 * `kvmuf check` gives its search worker (SEARCH_YOUNG_GENERATION_MB).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SEARCH_SEMI_SPACE_FLAG } from '../checker/memory-budget.ts';
import type { SystemConfig } from '../system/config.ts';
import { MATRIX_PROGRAMS } from '../../test/system/matrix.ts';

interface RssRun {
  readonly distinct: number;
  readonly status: string;
  readonly maxRssBytes: number;
}

/**
 * async-pf-user x86 guest_memfd, matrix programs, 2 pages: 2 vCPUs = 8,659 states, 3 vCPUs
 * = 328,368 (matrix-pins.ts). guest_memfd, because the RFC goes asynchronous only on
 * KVM_X86_SW_PROTECTED_VM (review M5): on anon the exits are synchronous and the graph is
 * 335 / 6,049 states, too small to measure. The counts are those anon had under
 * --async-pf-scope any, so the bytes-per-state figure below keeps its meaning.
 */
function memoryConfig(vcpus: 2 | 3): SystemConfig {
  return { design: 'async-pf-user', arch: 'x86', backing: 'guest_memfd', vcpus, pages: 2, programs: MATRIX_PROGRAMS.slice(0, vcpus) };
}

export const MEMORY_CONFIGS: readonly [SystemConfig, SystemConfig] = [memoryConfig(2), memoryConfig(3)];

/** The loader flags of this process (`--import tsx`), and nothing else: an `-e` script must not re-run in the child. */
function loaderArgs(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--import' || a === '--loader') out.push(a, argv[++i] ?? '');
    else if (a.startsWith('--import=') || a.startsWith('--loader=')) out.push(a);
  }
  return out;
}

function rssRun(cfg: SystemConfig, liveness: boolean): RssRun {
  const child = fileURLToPath(new URL('./product-rss.ts', import.meta.url));
  // The child's young generation is the one `kvmuf check` gives its search worker.
  const r = spawnSync(process.execPath, [...loaderArgs(), SEARCH_SEMI_SPACE_FLAG, child, JSON.stringify(cfg), liveness ? 'liveness' : 'safety'], { encoding: 'utf8', maxBuffer: 1 << 20, timeout: 30 * 60_000 });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`product memory run failed (exit ${r.status}): ${r.stderr.trim().split('\n').at(-1)}`);
  return JSON.parse(line) as RssRun;
}

/** Peak-RSS growth per distinct state between the two configurations, with liveness (the default run) or safety only. */
export function productBytesPerState(liveness = true): { bytesPerState: number; small: RssRun; large: RssRun } {
  const small = rssRun(MEMORY_CONFIGS[0], liveness);
  const large = rssRun(MEMORY_CONFIGS[1], liveness);
  for (const r of [small, large]) if (r.status !== 'pass') throw new Error(`product memory run: expected pass, got ${r.status}`);
  return { bytesPerState: (large.maxRssBytes - small.maxRssBytes) / (large.distinct - small.distinct), small, large };
}
