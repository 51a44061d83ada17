/** A TLC-style end-of-run summary, and a one-line progress report. */
import type { Progress } from './options.ts';
import type { CheckResult, Failure } from './result.ts';
import { formatPath } from './trace.ts';

export function formatSummary(r: CheckResult): string {
  const s = r.stats;
  const lines: string[] = [];
  lines.push(`status: ${r.status}${incompleteText(r)}`);
  lines.push(
    `${s.generated} states generated, ${s.distinct} distinct states found, ${s.queueLeft} states left on queue.`,
  );
  lines.push(`The depth of the complete state graph search is ${s.depth} (fully explored to depth ${s.depthFullyExplored}).`);
  lines.push(
    `${Math.round(s.statesPerSecond)} distinct states/s over ${(s.elapsedMs / 1000).toFixed(2)} s; ` +
      `${s.bytesPerState.toFixed(1)} bytes per stored state ` +
      `(table ${s.bytes.table} + parents ${s.bytes.parents} + frontier peak ${s.bytes.frontierPeak} + ` +
      `liveness graph ${s.bytes.graph} + encoding ${s.bytes.encoding} + other ${s.bytes.other} bytes, / distinct).`,
  );
  lines.push(
    `Fingerprint collision probability: ${s.collisionProbability.birthday.toExponential(2)} ` +
      `(birthday bound n^2/2^65), ${s.collisionProbability.optimistic.toExponential(2)} (TLC optimistic n(g-n)/2^64).`,
  );
  if (r.symmetry) lines.push('Symmetry reduction: on.');
  lines.push(`Liveness: ${r.liveness}.`);
  const fired = Object.entries(r.coverage.fired);
  if (fired.length > 0) {
    lines.push('Coverage (times fired): ' + fired.map(([k, n]) => `${k}=${n}`).join(', '));
  }
  if (r.coverage.neverFired.length > 0) lines.push(`Never fired: ${r.coverage.neverFired.join(', ')}`);
  for (const f of r.failures) lines.push(formatFailure(f));
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/** A liveness limit's message already reads "safety: complete (…); liveness: not checked (…)". */
function incompleteText(r: CheckResult): string {
  const i = r.incomplete;
  if (i === undefined) return '';
  return i.limit === 'liveness-size' || i.limit === 'liveness-memory' ? `: ${i.message}` : ` (${i.limit} limit: ${i.message})`;
}

export function formatFailure(f: Failure): string {
  switch (f.kind) {
    case 'invariant':
      return `invariant '${f.property}' violated, path ${formatPath(f.trace)}:\n  ${f.trace.labels.join('\n  ')}`;
    case 'deadlock':
      return `deadlock, path ${formatPath(f.trace)}:\n  ${f.trace.labels.join('\n  ')}`;
    case 'unwitnessed':
      return `sometimes '${f.property}' was never witnessed (vacuous?)`;
    case 'liveness':
      return (
        `liveness '${f.property}' violated: prefix ${formatPath(f.lasso.prefix)}, cycle ` +
        `${f.lasso.cycle.length === 0 ? '(stutters in a terminal state)' : f.lasso.cycle.join('/')}:\n  ` +
        [...f.lasso.prefix.labels, '-- cycle --', ...f.lasso.cycleLabels].join('\n  ')
      );
  }
}

export function formatProgress(p: Progress): string {
  return (
    `progress: ${p.distinct} distinct, ${p.generated} generated, ${Math.round(p.statesPerSecond)} states/s, ` +
    `queue ${p.queue}, depth ${p.depth}, ${(p.elapsedMs / 1000).toFixed(1)} s`
  );
}
