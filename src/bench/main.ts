/**
 * `npm run bench`: explorer throughput and memory on the packed post-copy reference
 * model, and a comparison with `xstate/graph` on a configuration small enough for it.
 * Each measurement runs several times after a warm-up run (JIT) and prints the median
 * with min–max (the machine is shared, so the spread is the noise). The last line is one
 * JSON object: {"statesPerSecond", "bytesPerState", "xstateGraphSpeedup",
 * "productStatesPerSecond", "productBytesPerState", "productSafetyBytesPerState", "symmetryReduction",
 * "porReduction"};
 * `symmetryReduction` is symmetry.ts's ratio, `porReduction` partial-order.ts's (full
 * states / reduced states, kvm-userfault x86 anon 4 vCPUs × 2 pages); the product figures are `kvmuf check`'s
 * composed-system path (product.ts), over PRODUCT_RUNS runs (default 3: each is ~200k
 * states), and its memory as peak-RSS growth per state between two runs of one design
 * (product-memory.ts).
 */
import { getAdjacencyMap } from 'xstate/graph';
import { check, formatSummary, xstateModel, type CheckResult, type PackedModel } from '../checker/index.ts';
import { postcopyConfig, postcopyModel } from '../examples/postcopy-packed.ts';
import { formatSpread, spread, type Spread } from './measure.ts';
import { PRODUCT_CONFIG, productRuns } from './product.ts';
import { MEMORY_CONFIGS, productBytesPerState } from './product-memory.ts';
import { symmetryReduction } from './symmetry.ts';
import { POR_CONFIG, porReduction } from './partial-order.ts';
import { postcopyEvents, postcopyMachine } from './postcopy-machine.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PRODUCT_RUNS = Number(process.env.BENCH_PRODUCT_RUNS ?? 3);

function log(line: string): void {
  process.stdout.write(line + '\n');
}

function repeat<T>(runs: number, f: () => T): T[] {
  f(); // warm-up, not counted
  const out: T[] = [];
  for (let i = 0; i < runs; i++) out.push(f());
  return out;
}

function explorerRuns(name: string, model: PackedModel): { rate: Spread; bytes: Spread; last: CheckResult } {
  const results = repeat(RUNS, () => check(model));
  const last = results[results.length - 1]!;
  if (last.status !== 'pass') throw new Error(`${name}: expected pass, got ${last.status}`);
  const rate = spread(results.map((r) => r.stats.statesPerSecond));
  const bytes = spread(results.map((r) => r.stats.bytesPerState));
  const s = last.stats;
  log(`== ${name}: ${s.distinct} distinct states, ${s.generated} generated (${(s.generated / s.distinct).toFixed(2)} per state), state ${model.width} words`);
  log(`   distinct states/s: ${formatSpread(rate, 'M/s', 1e6, 3)}`);
  log(`   generated states/s: median ${((rate.median * s.generated) / s.distinct / 1e6).toFixed(2)} M/s`);
  log(`   bytes per stored state: ${formatSpread(bytes, 'B', 1, 1)}`);
  return { rate, bytes, last };
}

function main(): void {
  log(`kvmuf checker bench — node ${process.version}, ${RUNS} runs + 1 warm-up per measurement`);

  // Headline: ~2.4M states, 15-word (60-byte) states.
  const bigCfg = postcopyConfig(5, 4, 1, 14);
  const big = explorerRuns('postcopy 5 vCPUs × 4 pages × 1 handler, 14 accesses each', postcopyModel(bigCfg));
  log(formatSummary(big.last).replace(/^/gm, '   | '));
  // A smaller table (mostly cache-resident) for comparison.
  explorerRuns('postcopy 5 vCPUs × 4 pages × 1 handler, 10 accesses each', postcopyModel(postcopyConfig(5, 4, 1, 10)));

  // xstate/graph vs the explorer on the same transition system.
  const small = postcopyModel(postcopyConfig(4, 5, 2, 3));
  const machine = postcopyMachine(small);
  const events = postcopyEvents(small);
  const graphRuns = repeat(RUNS, () => {
    const t0 = performance.now();
    const adj = getAdjacencyMap(machine, { events });
    const ms = performance.now() - t0;
    return { n: Object.keys(adj).length, perSecond: (Object.keys(adj).length / ms) * 1000 };
  });
  const graph = spread(graphRuns.map((r) => r.perSecond));
  const packedRuns = repeat(RUNS, () => check(small));
  const packed = spread(packedRuns.map((r) => r.stats.statesPerSecond));
  const adapterRuns = repeat(RUNS, () => check(xstateModel(machine, { events })));
  const adapter = spread(adapterRuns.map((r) => r.stats.statesPerSecond));
  const n = graphRuns[0]!.n;
  const agree = packedRuns[0]!.stats.distinct === n && adapterRuns[0]!.stats.distinct === n;
  log(`== xstate/graph comparison: postcopy 4 vCPUs × 5 pages × 2 handlers, 3 accesses (${n} states; all three agree: ${agree})`);
  log(`   xstate/graph getAdjacencyMap: ${formatSpread(graph, 'states/s')}`);
  log(`   explorer, packed model:       ${formatSpread(packed, 'states/s')}`);
  log(`   explorer, XState adapter:     ${formatSpread(adapter, 'states/s')} (steps XState's transition())`);
  const speedup = packed.median / graph.median;
  log(`   speedup packed explorer / xstate/graph: ${speedup.toFixed(1)}x (medians); adapter / xstate/graph: ${(adapter.median / graph.median).toFixed(2)}x`);
  if (!agree) throw new Error('state counts disagree between xstate/graph and the explorer');

  const product = productRuns(PRODUCT_RUNS);
  const c = PRODUCT_CONFIG;
  log(`== kvmuf check, composed system with refinement and liveness: ${c.design} ${c.arch} ${c.backing} ${c.vcpus} vCPUs × ${c.pages} pages (${product.last.stats.distinct} states)`);
  log(`   distinct states/s: ${formatSpread(product.rate, 'states/s')} (after a warm-up run on a smaller configuration)`);
  log(`   / packed engine (headline above): ${(product.rate.median / big.rate.median).toFixed(3)}`);
  const mem = productBytesPerState();
  const [m0, m1] = MEMORY_CONFIGS;
  log(`== kvmuf check memory: peak RSS growth per state, ${m0.design} ${m0.arch} ${m0.vcpus}→${m1.vcpus} vCPUs × ${m1.pages} pages`);
  log(`   ${mem.small.distinct} states: ${(mem.small.maxRssBytes / 2 ** 20).toFixed(1)} MiB; ${mem.large.distinct} states: ${(mem.large.maxRssBytes / 2 ** 20).toFixed(1)} MiB; ${mem.bytesPerState.toFixed(1)} B/state (everything the run holds, liveness pass included)`);
  const safety = productBytesPerState(false);
  log(`   safety only (no liveness graph or pass): ${(safety.small.maxRssBytes / 2 ** 20).toFixed(1)} → ${(safety.large.maxRssBytes / 2 ** 20).toFixed(1)} MiB; ${safety.bytesPerState.toFixed(1)} B/state`);

  const sym = symmetryReduction();
  log(`== symmetry (--symmetry): kvm-userfault x86 anon 4 vCPUs with one program × 2 pages, safety only: ${sym.full} → ${sym.reduced} states (${sym.ratio.toFixed(1)}× fewer)`);
  const por = porReduction();
  const pc = POR_CONFIG;
  log(`== partial-order reduction (--por): ${pc.design} ${pc.arch} ${pc.backing} ${pc.vcpus} vCPUs × ${pc.pages} pages, safety only: ${por.full} → ${por.reduced} states (${por.ratio.toFixed(2)}× fewer), ${(por.fullMs / 1000).toFixed(1)} s → ${(por.reducedMs / 1000).toFixed(1)} s`);
  log(
    JSON.stringify({
      statesPerSecond: Math.round(big.rate.median),
      bytesPerState: Number(big.bytes.median.toFixed(1)),
      xstateGraphSpeedup: Number(speedup.toFixed(1)),
      productStatesPerSecond: Math.round(product.rate.median),
      productBytesPerState: Number(mem.bytesPerState.toFixed(1)),
      productSafetyBytesPerState: Number(safety.bytesPerState.toFixed(1)),
      symmetryReduction: Number(sym.ratio.toFixed(1)),
      porReduction: Number(por.ratio.toFixed(2)),
    }),
  );
}

main();
