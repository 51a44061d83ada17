/**
 * Child process of the product memory measurement (product-memory.ts): runs one
 * `kvmuf check` of the configuration given as JSON in argv[2] (reference handler,
 * refinement, and liveness unless argv[3] is `safety`) and prints {distinct, status, maxRssBytes} as JSON. Its own
 * process, so the peak resident set is this run's alone.
 */
import type { SystemConfig } from '../system/config.ts';
import { productCheck } from './product.ts';

const cfg = JSON.parse(process.argv[2] ?? '{}') as SystemConfig;
const r = productCheck(cfg, { liveness: process.argv[3] !== 'safety' });
process.stdout.write(`${JSON.stringify({ distinct: r.stats.distinct, status: r.status, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
