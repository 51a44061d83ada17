/**
 * `kvmuf simulate` and `kvmuf merge` as text, from the results alone (so sub-shards run in
 * other processes print exactly as one run does). Deterministic: no timings.
 */
import { stepLine } from './output.ts';
import { isWhole } from './simulate-merge.ts';
import type { SimResults } from './simulate-results.ts';
import { formatShard } from './shard.ts';
import { KVMUF_VERSION } from './version.ts';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function simulateText(r: SimResults, command: 'simulate' | 'merge'): string {
  const run = r.runs[0];
  const s = r.simulate;
  const id = s.identity;
  const fired = Object.keys(s.coverage.fired);
  const kinds = new Set([...s.coverage.declared, ...fired]).size;
  const schedule = id.schedule === 'pct' ? `pct (depth ${id.depth}: ${plural(id.depth - 1, 'priority change point')} per run)` : 'random walk';
  const shard = isWhole(s) ? '' : `; ${s.parts.length === 1 ? 'shard' : 'shards'} ${s.parts.map(formatShard).join(', ')}`;
  const e = s.endings;
  const out = [
    `kvmuf ${command} (version ${KVMUF_VERSION})`,
    `configuration: ${run.configurationName} (handler ${run.handler})`,
    `schedule: ${schedule}, at most ${id.maxSteps} steps per run, seed ${id.seed}${shard}`,
    `runs: ${s.runsDone} of ${id.runs}${shard ? ` (${s.runsInShard} in ${s.parts.length === 1 ? 'this shard' : 'these shards'})` : ''}: ${e.end ?? 0} reached an end state, ${e.deadlock ?? 0} deadlocked, ${e.violation ?? 0} violated an invariant, ${e['max-steps'] ?? 0} reached --max-steps`,
    `coverage: ${fired.length}/${kinds} step kinds, ${s.coverage.transitions.length}/${s.coverage.specTransitions} spec transitions, ${s.coverage.states.length} distinct states`,
    'liveness: not decided (a finite run cannot show that something never happens; kvmuf check decides it)',
  ];
  for (const f of run.failures) {
    out.push('', `FAIL ${run.configurationName} (handler ${run.handler})`, `  ${f.title}`, `  found by run ${f.run} (seed ${f.seed}) after ${f.originalSteps} steps, shrunk to ${f.steps.length}${f.shrinkReplays !== undefined ? ` (shrinking stopped after ${f.shrinkReplays} replays: it may shrink further)` : ''}`);
    if (f.spec) out.push(`  ${f.spec}`);
    f.steps.forEach((step, i) => {
      out.push(stepLine(i + 1, step.label));
      if (step.changes.length > 0) out.push(`${' '.repeat(20)}${step.changes.join('; ')}`);
    });
    out.push(`  path ${f.path}`, `  reproduce: ${run.command}`, `  replay:    ${f.replay}`);
  }
  out.push('', verdict(r, command));
  return `${out.join('\n')}\n`;
}

function verdict(r: SimResults, command: 'simulate' | 'merge'): string {
  const s = r.simulate;
  const n = r.runs[0].failures.length;
  if (n > 0) return `FAIL: ${plural(n, 'failure')} in ${plural(s.runsDone, 'run')}`;
  if (command === 'merge' && !isWhole(s)) return `INCOMPLETE: ${s.parts.length} of ${s.parts[0]?.count ?? 1} shards merged; no failure in their ${plural(s.runsDone, 'run')}`;
  if (s.interrupted) return `INCOMPLETE: interrupted after ${plural(s.runsDone, 'run')} of ${s.runsInShard}; no failure in those (sampling is not a proof)`;
  if (!isWhole(s)) return `PASS (this part): no failure in ${plural(s.runsDone, 'run')}; merge the other shards for the whole verdict (sampling is not a proof)`;
  return `PASS: no failure in ${plural(s.runsDone, 'run')} (sampling is not a proof: kvmuf check explores every schedule)`;
}
