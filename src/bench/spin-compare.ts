/**
 * `npm run spin-compare`: kvmuf's packed engine against SPIN on the same post-copy model
 * (issue 14's third target: with reductions, kvmuf's time to a safety verdict below
 * SPIN's DFS with partial-order reduction). Needs `spin` and `gcc` on PATH; not part of
 * `npm test`. Writes bench/spin/postcopy.pml (the bench configuration's port, from
 * spin-model.ts), first checks on small configurations that SPIN without reduction stores
 * exactly kvmuf's distinct states, then times, median of SPIN_RUNS (default 3) runs:
 * SPIN -DSAFETY DFS with and without -DNOREDUCE and -DBFS (pan's own elapsed time, the
 * compile not counted), kvmuf check(model, {liveness: false}) without and with thread
 * symmetry (handlers and same-program vCPUs). Prints a table and a last JSON line.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check } from '../checker/index.ts';
import { postcopyConfig, postcopyModel, type PostcopyConfig } from '../examples/postcopy-packed.ts';
import { promelaModel } from './spin-model.ts';

const RUNS = Number(process.env.SPIN_RUNS ?? 3);
/** The bench's headline configuration (src/bench/main.ts). */
const BENCH: readonly [number, number, number, number] = [5, 4, 1, 14];
const SMALL: readonly (readonly [number, number, number, number])[] = [
  [2, 3, 2, 3],
  [3, 3, 2, 4],
  [4, 5, 2, 3],
  [3, 4, 3, 5],
];

interface SpinRun {
  readonly stored: number;
  readonly seconds: number;
  readonly errors: number;
}

function log(line: string): void {
  process.stdout.write(line + '\n');
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

let lastCompileSeconds = 0;

function compilePan(dir: string, pml: string, flags: readonly string[]): string {
  const t0 = performance.now();
  writeFileSync(join(dir, 'model.pml'), pml);
  execFileSync('spin', ['-a', 'model.pml'], { cwd: dir, stdio: 'pipe' });
  const exe = join(dir, `pan${flags.join('')}`.replace(/[^A-Za-z0-9_]/g, '_'));
  execFileSync('gcc', ['-O2', '-DMEMLIM=4096', ...flags, '-o', exe, 'pan.c'], { cwd: dir, stdio: 'pipe' });
  lastCompileSeconds = (performance.now() - t0) / 1000;
  return exe;
}

function runPan(exe: string, dir: string): SpinRun {
  const out = execFileSync(exe, ['-m1000000', '-w26'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 24 });
  const stored = Number(/([\d.e+]+) states, stored/.exec(out)?.[1] ?? NaN);
  const seconds = Number(/elapsed time ([\d.e+-]+) seconds/.exec(out)?.[1] ?? NaN);
  const errors = Number(/errors: (\d+)/.exec(out)?.[1] ?? NaN);
  return { stored, seconds, errors };
}

function spinMedian(dir: string, pml: string, flags: readonly string[]): SpinRun {
  const exe = compilePan(dir, pml, flags);
  const runs = Array.from({ length: RUNS }, () => runPan(exe, dir));
  return { stored: runs[0]!.stored, seconds: median(runs.map((r) => r.seconds)), errors: runs[0]!.errors };
}

function kvmufMedian(cfg: PostcopyConfig, symmetry: boolean): { states: number; seconds: number; status: string; coldSeconds: number } {
  const model = postcopyModel(cfg, { symmetry });
  const tCold = performance.now();
  check(model, { liveness: false }); // warm-up (JIT), not counted in the median; reported as coldSeconds
  const coldSeconds = (performance.now() - tCold) / 1000;
  const runs = Array.from({ length: RUNS }, () => {
    const t0 = performance.now();
    const r = check(model, { liveness: false });
    return { states: r.stats.distinct, seconds: (performance.now() - t0) / 1000, status: r.status };
  });
  return { states: runs[0]!.states, seconds: median(runs.map((r) => r.seconds)), status: runs[0]!.status, coldSeconds };
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'kvmuf-spin-'));
  try {
    log(`kvmuf vs SPIN on the packed post-copy model — ${RUNS} runs per row, medians; ${execFileSync('spin', ['-V'], { encoding: 'utf8' }).trim()}`);
    for (const c of SMALL) {
      const cfg = postcopyConfig(...c);
      const spin = runPan(compilePan(dir, promelaModel(cfg), ['-DSAFETY', '-DNOREDUCE']), dir);
      const kv = check(postcopyModel(cfg), { liveness: false }).stats.distinct;
      log(`   ${c.join('×')}: SPIN stored ${spin.stored}, kvmuf distinct ${kv} ${spin.stored === kv ? 'equal' : 'DIFFER'}`);
      if (spin.stored !== kv) throw new Error(`state counts differ on ${c.join('×')}`);
    }
    const cfg = postcopyConfig(...BENCH);
    const pml = promelaModel(cfg);
    mkdirSync('bench/spin', { recursive: true });
    writeFileSync('bench/spin/postcopy.pml', pml);
    const rows: [string, number, number][] = [];
    const dfs = spinMedian(dir, pml, ['-DSAFETY', '-DNOREDUCE']);
    rows.push(['SPIN DFS (-DSAFETY -DNOREDUCE)', dfs.stored, dfs.seconds]);
    const por = spinMedian(dir, pml, ['-DSAFETY']);
    const porCompile = lastCompileSeconds;
    rows.push(['SPIN DFS + POR (-DSAFETY)', por.stored, por.seconds]);
    const bfs = spinMedian(dir, pml, ['-DSAFETY', '-DBFS', '-DNOREDUCE']);
    rows.push(['SPIN BFS (-DSAFETY -DBFS -DNOREDUCE)', bfs.stored, bfs.seconds]);
    const bfsPor = spinMedian(dir, pml, ['-DSAFETY', '-DBFS']);
    rows.push(['SPIN BFS + POR (-DSAFETY -DBFS)', bfsPor.stored, bfsPor.seconds]);
    const full = kvmufMedian(cfg, false);
    rows.push(['kvmuf packed, full', full.states, full.seconds]);
    const sym = kvmufMedian(cfg, true);
    rows.push(['kvmuf packed, thread symmetry', sym.states, sym.seconds]);
    if (dfs.stored !== full.states) throw new Error(`bench configuration: SPIN stored ${dfs.stored}, kvmuf ${full.states}`);
    if ([dfs, por, bfs, bfsPor].some((r) => r.errors !== 0) || full.status !== 'pass' || sym.status !== 'pass') {
      throw new Error('expected every run to pass');
    }
    log(`== postcopy ${BENCH.join('×')} (vCPUs × pages × handlers × accesses), safety only (invariant + deadlock)`);
    log('| run | states stored | seconds |');
    log('|---|---:|---:|');
    for (const [name, states, s] of rows) log(`| ${name} | ${states.toLocaleString('en-US')} | ${s.toFixed(2)} |`);
    const multi = postcopyConfig(5, 4, 3, 14);
    const multiPor = spinMedian(dir, promelaModel(multi), ['-DSAFETY']);
    const multiFull = kvmufMedian(multi, false);
    const multiSym = kvmufMedian(multi, true);
    log(`== postcopy 5×4×3×14 (three handlers)`);
    log(`| SPIN DFS + POR (-DSAFETY) | ${multiPor.stored.toLocaleString('en-US')} | ${multiPor.seconds.toFixed(2)} |`);
    log(`| kvmuf packed, full | ${multiFull.states.toLocaleString('en-US')} | ${multiFull.seconds.toFixed(2)} |`);
    log(`| kvmuf packed, thread symmetry | ${multiSym.states.toLocaleString('en-US')} | ${multiSym.seconds.toFixed(2)} |`);
    log(`(SPIN: pan's search time, spin -a + gcc not counted: ${porCompile.toFixed(2)} s for the POR build; kvmuf: after a warm-up run in the same process, the cold first run took ${full.coldSeconds.toFixed(2)} s)`);
    const best = Math.min(full.seconds, sym.seconds);
    const ratio = por.seconds / best;
    log(`target (kvmuf with reductions below SPIN DFS+POR): ${ratio > 1 ? 'met' : 'missed'}, SPIN DFS+POR / kvmuf best = ${ratio.toFixed(2)}`);
    log(
      JSON.stringify({
        config: BENCH,
        spinDfs: { states: dfs.stored, seconds: dfs.seconds },
        spinDfsPor: { states: por.stored, seconds: por.seconds },
        spinBfs: { states: bfs.stored, seconds: bfs.seconds },
        spinBfsPor: { states: bfsPor.stored, seconds: bfsPor.seconds },
        kvmufFull: { states: full.states, seconds: Number(full.seconds.toFixed(3)) },
        kvmufSymmetry: { states: sym.states, seconds: Number(sym.seconds.toFixed(3)) },
        spinPorOverKvmuf: Number(ratio.toFixed(2)),
        spinPorCompileSeconds: Number(porCompile.toFixed(2)),
        kvmufFullColdSeconds: Number(full.coldSeconds.toFixed(3)),
        threeHandlers: {
          spinDfsPor: { states: multiPor.stored, seconds: multiPor.seconds },
          kvmufFull: { states: multiFull.states, seconds: Number(multiFull.seconds.toFixed(3)) },
          kvmufSymmetry: { states: multiSym.states, seconds: Number(multiSym.seconds.toFixed(3)) },
        },
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
