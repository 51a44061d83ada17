/**
 * `kvmuf check --emit-test FILE`: the first counterexample of the run as a vitest file, so
 * a VMM developer can keep the bug fixed in their own CI. The test replays the trace
 * against the simulation and FAILS while the handler still reaches the violation there;
 * it PASSES once the handler no longer does. It imports only from `'kvmuf'` and names
 * the handler file relative to itself.
 */
import { dirname, relative, resolve, sep } from 'node:path';
import type { Failure } from '../checker/index.ts';
import type { CheckOutcome, CheckRun } from './check-command.ts';
import { firstCounterexample } from './first-counterexample.ts';
import { writeOutFile } from './out-file.ts';
import { KVMUF_VERSION } from './version.ts';

function what(f: Failure): string {
  return f.kind === 'deadlock' ? 'deadlock: no thread can move, and the vCPUs have not finished' : `${f.kind === 'invariant' ? 'invariant violated' : f.kind === 'liveness' ? 'liveness violated' : 'never witnessed'}: ${f.property}`;
}

/** The handler as the test names it: a bundled name, or a file URL relative to the test. */
function handlerExpression(run: CheckRun, testFile: string): string {
  const flag = run.handlerFile;
  if (flag === undefined || !/[/\\]|\.[cm]?[jt]s$/.test(flag)) return q(flag ?? run.system.strategy.name);
  let rel = relative(dirname(resolve(testFile)), resolve(flag)).split(sep).join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return `new URL(${q(rel)}, import.meta.url)`;
}

/** A string as a single-quoted TypeScript literal. */
const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;

/** A value as a TypeScript literal: unquoted keys, on one line when it fits in `room`. */
function literal(v: unknown, indent: string, room = 90): string {
  const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : q(k));
  if (Array.isArray(v)) {
    const one = `[${v.map((x) => literal(x, '', Number.POSITIVE_INFINITY)).join(', ')}]`;
    if (one.length <= room) return one;
    return `[\n${v.map((x) => `${indent}  ${literal(x, `${indent}  `, room - 2)},`).join('\n')}\n${indent}]`;
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    if (entries.length === 0) return '{}';
    const one = `{ ${entries.map(([k, x]) => `${key(k)}: ${literal(x, '', Number.POSITIVE_INFINITY)}`).join(', ')} }`;
    if (one.length <= room) return one;
    return `{\n${entries.map(([k, x]) => `${indent}  ${key(k)}: ${literal(x, `${indent}  `, room - 4 - k.length)},`).join('\n')}\n${indent}}`;
  }
  return typeof v === 'string' ? q(v) : String(v);
}

/** The configuration, its everyday fields first. */
function configLiteral(c: CheckRun['system']['config']): string {
  const first = ['design', 'arch', 'backing', 'vcpus', 'pages'] as const;
  const ordered: Record<string, unknown> = {};
  for (const k of first) ordered[k] = c[k];
  // gfns is derived from the memslots (not a SystemConfig field).
  for (const [k, v] of Object.entries(c)) if (!(k in ordered) && k !== 'gfns') ordered[k] = v;
  return literal(ordered, '');
}

export function emittedTest(run: CheckRun, f: Failure, path: string, testFile: string): string {
  const c = run.system.config;
  const name = `${c.design} ${c.arch} ${c.backing} ${c.vcpus}v×${c.pages}p, handler ${run.system.strategy.name}`;
  return `/**
 * A regression test written by \`kvmuf check --emit-test\` (kvmuf ${KVMUF_VERSION}).
 *
 * kvmuf found this counterexample for ${name}:
 *   ${what(f)}
 * found by:  ${run.command}
 *
 * The test replays that trace (the path below) against kvmuf's simulation of the kernel.
 * It FAILS while the handler still reaches the violation along the trace, and PASSES
 * once the handler no longer does: every property then holds along it, or the trace no
 * longer replays because the handler takes another way. It checks this one trace; run
 * \`kvmuf check\` (the command above) to explore every other interleaving too.
 */
import { describe, expect, it } from 'vitest';
import { replayCounterexample, type SystemConfig } from 'kvmuf';

/** The configuration, as kvmuf resolved it (the same as a replay file records). */
const config: SystemConfig = ${configLiteral(c)};

/** The handler under test (a file named relative to this test, or a bundled handler). */
const handler = ${handlerExpression(run, testFile)};

describe(${q(`kvmuf counterexample: ${name}`)}, () => {
  it(${q(`no longer reaches: ${what(f)}`)}, async () => {
    const path = ${q(path)};
    const verdict = await replayCounterexample(config, handler, path);
    expect(verdict.violated, \`the trace still reaches the violation:\\n\${verdict.trace}\`).toEqual([]);
  });
});
`;
}

/** Write the run's first counterexample as a test (stderr says where, or that there was none). */
export function writeEmittedTest(outcome: CheckOutcome, file: string): void {
  const first = firstCounterexample(outcome);
  if (!first) {
    process.stderr.write(`no counterexample: ${file} not written\n`);
    return;
  }
  writeOutFile('emit-test', file, emittedTest(first.run, first.failure, first.cx.path, file));
  process.stderr.write(`wrote a regression test for the counterexample to ${file} (it fails until the handler no longer reaches the violation)\n`);
}
