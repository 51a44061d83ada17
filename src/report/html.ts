/**
 * `kvmuf report`: one self-contained HTML file (inline CSS and SVG, no scripts, nothing
 * fetched): the results table, each counterexample as a sequence diagram of the threads
 * and a numbered trace with what changed, coverage, and the spec machines' diagrams.
 */
import type { CheckOutcome, CheckRun } from '../cli/check-command.ts';
import { replayCommand } from '../cli/output.ts';
import type { Failure } from '../checker/index.ts';
import { columnsOf, type ColumnsTable } from './columns.ts';
import { interactionsOf } from './interactions.ts';
import { escapeXml, sequenceSvg } from './sequence-svg.ts';

export interface DiagramSection {
  readonly name: string;
  readonly title: string;
  readonly svg: string;
}

const CSS = `
body { font-family: Helvetica, Arial, sans-serif; margin: 2em; color: #111; max-width: 1500px; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: left; }
.pass { color: #166534; font-weight: bold; } .fail { color: #b91c1c; font-weight: bold; } .incomplete { color: #a16207; font-weight: bold; }
.cx { border: 1px solid #fca5a5; border-radius: 6px; padding: 1em; margin: 1em 0; }
ol.trace li { font-family: monospace; margin: 2px 0; } .changes { color: #555; font-size: 90%; }
code, .cmd { font-family: monospace; background: #f4f4f5; padding: 2px 4px; }
.diagram { margin: 1em 0; overflow-x: auto; } .scroll { overflow-x: auto; }
ol.trace li.violating { background: #fee2e2; outline: 1px solid #dc2626; }
table.columns td, table.columns th { font-family: monospace; font-size: 90%; border: 1px solid #e5e7eb; vertical-align: top; max-width: 26em; }
table.columns tr.violating td { background: #fee2e2; } table.columns td.stuck { color: #b91c1c; font-weight: bold; }
table.columns tr.cycle-start td { color: #b45309; font-style: italic; }
.legend span { display: inline-block; margin-right: 1.5em; } .legend b { display: inline-block; width: 2em; height: 0; vertical-align: middle; margin-right: 0.4em; }
`;

function configName(r: CheckRun): string {
  const c = r.system.config;
  return `${c.design} ${c.arch} ${c.backing} ${c.vcpus}v×${c.pages}p${c.control.itsTables ? ' +ITS' : ''}`;
}

function title(f: Failure): string {
  return f.kind === 'deadlock' ? 'deadlock' : `${f.kind}: ${f.property}`;
}

/** The interleaving table: one column per thread, one row per step (Lincheck's layout). */
function columnsHtml(t: ColumnsTable): string {
  const head = `<tr><th>#</th>${t.columns.map((c) => `<th>${escapeXml(c)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((r) => {
    const cycle = r.cycleStart ? `<tr class="cycle-start"><td colspan="${t.columns.length + 1}">the cycle starts here and repeats forever</td></tr>` : '';
    const cells = t.columns.map((_, i) => (i === r.column ? `<td class="op">${escapeXml(r.text)}</td>` : '<td></td>')).join('');
    return `${cycle}<tr${r.violating ? ' class="violating"' : ''} data-step="${r.n}"><td>${r.n}</td>${cells}</tr>`;
  });
  const stuck = t.stuck.some((x) => x !== '') ? `<tr class="stuck-row"><td>end</td>${t.stuck.map((x) => (x ? `<td class="stuck">STUCK at ${escapeXml(x)}</td>` : '<td></td>')).join('')}</tr>` : '';
  return `<table class="columns"><thead>${head}</thead><tbody>${rows.join('')}${stuck}</tbody></table>`;
}

function counterexampleHtml(r: CheckRun, f: Failure, i: number): string {
  const cx = r.counterexamples[i];
  if (!cx) return `<div class="cx"><h3>${escapeXml(configName(r))}: ${escapeXml(title(f))}</h3></div>`;
  const diagram = interactionsOf(r.system, cx);
  const steps = cx.steps
    .map((s, k) => {
      const cycle = k === cx.cycleStart ? '<li class="changes" style="list-style:none">— the cycle starts here and repeats forever —</li>' : '';
      const changes = s.changes.length > 0 ? `<div class="changes">${escapeXml(s.changes.join('; '))}</div>` : '';
      return `${cycle}<li${k === diagram.violating ? ' class="violating"' : ''}>${escapeXml(s.label)}${changes}</li>`;
    })
    .join('');
  return `<div class="cx">
<h3>${escapeXml(configName(r))} — handler ${escapeXml(r.system.strategy.name)}: ${escapeXml(title(f))}</h3>
${cx.specMessage ? `<p>${escapeXml(cx.specMessage)}</p>` : ''}
<h4>Sequence diagram: the threads and the kernel objects they talk to</h4>
<div class="scroll">${sequenceSvg(diagram)}</div>
<details><summary>The interleaving, one column per thread</summary><div class="scroll">${columnsHtml(columnsOf(diagram))}</div></details>
<details open><summary>The trace, with what changed after each step</summary><ol class="trace">${steps}</ol></details>
<p>path <code>${escapeXml(cx.path)}</code><br>reproduce: <span class="cmd">${escapeXml(r.command)}</span><br>replay: <span class="cmd">${escapeXml(replayCommand(r, cx.path))}</span></p>
</div>`;
}

export function reportHtml(outcome: CheckOutcome, diagrams: readonly DiagramSection[]): string {
  const rows = outcome.runs
    .map((r) => {
      const fired = Object.keys(r.result.coverage.fired).length;
      const kinds = fired + r.result.coverage.neverFired.length;
      return `<tr><td>${escapeXml(configName(r))}</td><td>${escapeXml(r.system.strategy.name)}</td><td class="${r.result.status}">${r.result.status.toUpperCase()}</td><td>${r.result.stats.distinct}</td><td>${r.result.stats.depth}</td><td>${(r.elapsedMs / 1000).toFixed(2)} s</td><td>${fired}/${kinds} step kinds</td><td>${r.spec.taken}/${r.spec.taken + r.spec.uncovered.length} spec transitions</td></tr>`;
    })
    .join('\n');
  const failures = outcome.runs.flatMap((r) => r.result.failures.map((f, i) => counterexampleHtml(r, f, i)));
  const coverage = outcome.runs
    .map((r) => {
      const fired = Object.entries(r.result.coverage.fired).map(([k, n]) => `${escapeXml(k)} ×${n}`).join(', ');
      const never = r.result.coverage.neverFired.join(', ') || 'none';
      const spec = r.spec.uncovered.map(escapeXml).join('<br>') || 'none';
      return `<h3>${escapeXml(configName(r))}</h3><p>steps taken: ${fired}<br>steps never taken: ${escapeXml(never)}</p><details><summary>spec transitions never taken (${r.spec.uncovered.length})</summary><p>${spec}</p></details>`;
    })
    .join('\n');
  const specs = diagrams.map((d) => `<h3>${escapeXml(d.title)} (<code>${escapeXml(d.name)}</code>)</h3><div class="diagram">${d.svg}</div>`).join('\n');
  const failed = outcome.runs.filter((r) => r.result.status === 'fail').length;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>kvmuf report</title><style>${CSS}</style></head>
<body>
<h1>kvmuf report</h1>
<p>${outcome.runs.length} configurations, ${failed} failed.</p>
<h2>Results</h2>
<table><thead><tr><th>configuration</th><th>handler</th><th>verdict</th><th>states</th><th>depth</th><th>time</th><th>coverage</th><th>spec</th></tr></thead>
<tbody>${rows}</tbody></table>
<h2>Counterexamples</h2>
${failures.length > 0 ? failures.join('\n') : '<p>None: every property holds on every configuration.</p>'}
<h2>Coverage</h2>
${coverage}
<h2>The spec: state diagrams</h2>
<p class="legend"><span><b style="border-top:3px solid #15803d"></b>taken by this run</span><span><b style="border-top:2px dashed #9ca3af"></b>never taken</span><span><b style="border-top:3px solid #dc2626"></b>broken by a counterexample (a step the spec does not allow)</span> A machine drawn in black does not apply to these configurations.</p>
${specs}
</body></html>
`;
}
