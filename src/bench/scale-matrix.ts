/**
 * `npm run bench:matrix`: the scale matrix (design × backing × arch × 1–3 vCPUs, 2 pages,
 * reference handlers), explored exhaustively with liveness; prints each configuration's
 * time and checks every state count against the pins in test/system/matrix-pins.ts.
 * Exits 1 if a count differs or a configuration does not pass.
 */
import { check } from '../checker/index.ts';
import { composeSystem, systemModel } from '../system/model.ts';
import { bundledHandlerFor } from '../vmm/index.ts';
import { MATRIX_VCPUS, matrixConfig, matrixEntries, matrixName } from '../../test/system/matrix.ts';
import { PINNED } from '../../test/system/matrix-pins.ts';

let bad = 0;
let total = 0;
const started = performance.now();
for (const vcpus of MATRIX_VCPUS) {
  for (const e of matrixEntries()) {
    const system = composeSystem(matrixConfig(e, vcpus), bundledHandlerFor(e.design));
    const t0 = performance.now();
    const r = check(systemModel(system));
    const ms = performance.now() - t0;
    const pinned = PINNED[`${e.design}/${e.backing}`]?.[vcpus - 1];
    const ok = r.status === 'pass' && r.stats.distinct === pinned;
    if (!ok) bad++;
    total += r.stats.distinct;
    process.stdout.write(
      `${`${matrixName(e)} ×${vcpus}`.padEnd(44)} ${r.status.padEnd(10)} ${String(r.stats.distinct).padStart(8)} states ${(ms / 1000).toFixed(2).padStart(7)} s${ok ? '' : `  MISMATCH (pinned ${pinned})`}\n`,
    );
  }
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`scale matrix: ${total} states in ${seconds.toFixed(1)} s, ${bad === 0 ? 'every count as pinned' : `${bad} mismatches`}\n`);
process.stdout.write(`${JSON.stringify({ matrixSeconds: Number(seconds.toFixed(1)), matrixStates: total, mismatches: bad })}\n`);
process.exitCode = bad === 0 ? 0 : 1;
