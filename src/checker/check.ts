/**
 * `check(model, options)`: BFS over the model, then traces for what was found, liveness
 * on the stored graph when requested, coverage and statistics.
 */
import { explore, type SearchOutput } from './bfs.ts';
import { collisionProbability, formatFingerprint } from './fingerprint.ts';
import { findLasso, LivenessWork } from './liveness.ts';
import { livenessRefusal } from './memory-budget.ts';
import { makeSpace } from './make-space.ts';
import type { Model, PackedModel } from './model.ts';
import { resolveOptions, type CheckOptions, type ResolvedOptions } from './options.ts';
import type { CheckResult, Coverage, Failure, Stats } from './result.ts';
import type { Space } from './space.ts';
import { buildTrace, chainTo, type Trace } from './trace.ts';

export function check<S, A>(model: Model<S, A> | PackedModel, options: CheckOptions = {}): CheckResult {
  const space = makeSpace<S, A>(model);
  const hasEventually = space.properties.some((p) => p.kind === 'eventually');
  const o = resolveOptions(options, { hasSymmetry: space.hasSymmetry, hasEventually, hasAmple: space.hasAmple });
  const notes: string[] = [];
  if (space.hasSymmetry && !o.symmetry) {
    notes.push(
      o.liveness
        ? 'symmetry reduction disabled: it is only sound for safety, and liveness was checked'
        : 'symmetry reduction disabled by option',
    );
  }
  if (space.hasAmple && !o.partialOrder) {
    notes.push(o.liveness ? 'partial-order reduction disabled: it is only sound for safety here, and liveness was checked' : 'partial-order reduction disabled by option');
  }
  if (hasEventually && !o.liveness) notes.push('eventually properties not checked (liveness: false)');
  const out = explore(space, o);
  const failures: Failure[] = [];
  const props = space.properties;
  const always = props.filter((p) => p.kind === 'always');
  const sometimes = props.filter((p) => p.kind === 'sometimes');
  const eventually = props.filter((p) => p.kind === 'eventually');

  always.forEach((p, i) => {
    const at = out.violations[i]!;
    if (at >= 0) failures.push({ kind: 'invariant', property: p.name, trace: traceTo(space, out, o, at) });
  });
  if (out.deadlock >= 0) failures.push({ kind: 'deadlock', trace: traceTo(space, out, o, out.deadlock) });

  const complete = out.limit === undefined && !stoppedEarly(out, failures);
  const witnesses: { property: string; trace: Trace }[] = [];
  sometimes.forEach((p, i) => {
    const at = out.witnesses[i]!;
    if (at >= 0) witnesses.push({ property: p.name, trace: traceTo(space, out, o, at) });
    else if (complete) failures.push({ kind: 'unwitnessed', property: p.name });
    else notes.push(`sometimes '${p.name}' not witnessed in the explored part (run incomplete)`);
  });

  let liveness: CheckResult['liveness'] = o.liveness && eventually.length > 0 ? 'checked' : 'not requested';
  let incomplete: CheckResult['incomplete'] =
    out.limit === undefined ? undefined : { limit: out.limit.kind, message: out.limit.message };
  if (liveness === 'checked') {
    const refusal = !complete
      ? undefined
      : (out.graphDropped ?? livenessRefusal(out.distinct, out.graph?.bytes ?? 0, o.maxLivenessStates, o.memoryAvailable()));
    if (!complete) {
      liveness = 'skipped';
      notes.push('liveness not checked: the state graph was not fully explored');
    } else if (refusal !== undefined) {
      liveness = 'skipped';
      const safety = failures.length === 0 ? `every invariant holds in all ${out.distinct} reachable states` : `all ${out.distinct} reachable states explored`;
      incomplete = { limit: refusal.limit, message: `safety: complete (${safety}); liveness: not checked (${refusal.reason})` };
    } else {
      const work = eventually.length > 0 ? new LivenessWork(out.distinct) : undefined;
      eventually.forEach((p, i) => {
        const lasso = findLasso(space, out, i, p.trigger === undefined, work);
        if (lasso !== undefined) failures.push({ kind: 'liveness', property: p.name, lasso });
      });
    }
  }
  if (!space.hasFairness && liveness === 'checked') {
    notes.push('model declares no fairness classes: liveness assumed no fairness (any cycle counts)');
  }
  const status = failures.length > 0 ? 'fail' : incomplete !== undefined ? 'incomplete' : 'pass';
  return {
    status,
    failures,
    witnesses,
    ...(incomplete !== undefined ? { incomplete } : {}),
    stats: statsOf(out),
    coverage: coverageOf(space, out),
    symmetry: o.symmetry,
    ...(o.partialOrder ? { partialOrder: out.partialOrder } : {}),
    safety: complete ? 'complete' : 'incomplete',
    liveness,
    notes,
  };
}

function stoppedEarly(out: SearchOutput, failures: readonly Failure[]): boolean {
  return out.queueLeft > 0 && failures.length > 0;
}

function traceTo<S>(space: Space<S>, out: SearchOutput, o: ResolvedOptions, at: number): Trace {
  const rec = out.recordedFp.get(at);
  const recorded = rec === undefined ? undefined : formatFingerprint(rec[0], rec[1]);
  return buildTrace(space, chainTo(out, at), o.symmetry, o.fingerprintBits, recorded).trace;
}

function statsOf(out: SearchOutput): Stats {
  const seconds = out.elapsedMs / 1000;
  const b = out.bytes;
  const counted = b.table + b.parents + b.frontierPeak + b.graph + b.encoding + b.other;
  return {
    generated: out.generated,
    distinct: out.distinct,
    queueLeft: out.queueLeft,
    depth: out.maxDepth,
    depthFullyExplored: out.depthFullyExplored,
    elapsedMs: out.elapsedMs,
    statesPerSecond: seconds > 0 ? out.distinct / seconds : 0,
    bytesPerState: out.distinct > 0 ? counted / out.distinct : 0,
    bytes: out.bytes,
    collisionProbability: collisionProbability(out.distinct, out.generated),
    fingerprintMatchesRejected: out.fingerprintMatchesRejected,
  };
}

function coverageOf<S>(space: Space<S>, out: SearchOutput): Coverage {
  const names = space.kindNames();
  const fired: Record<string, number> = {};
  // Declared kinds are interned up front (KindTable), so a name with no count never fired.
  names.forEach((name, i) => {
    const n = out.coverage[i] ?? 0;
    if (n > 0) fired[name] = n;
  });
  const neverFired = space.declaredKinds.filter((k) => (fired[k] ?? 0) === 0);
  return { fired, neverFired };
}
