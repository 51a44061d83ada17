/**
 * A counterexample as an interleaving table in Lincheck's layout: one column per thread,
 * one row per step, the step written in the column of the thread that took it. The rows
 * read top to bottom as time; a column reads as one thread's own program.
 */
import type { InteractionDiagram } from './interactions.ts';

export interface ColumnsRow {
  /** 1-based step number. */
  readonly n: number;
  readonly column: number;
  readonly text: string;
  readonly violating: boolean;
  /** The first step of a liveness cycle. */
  readonly cycleStart: boolean;
}

export interface ColumnsTable {
  readonly columns: readonly string[];
  readonly rows: readonly ColumnsRow[];
  /** Per column, where its thread is stuck at a deadlock ('' when it is not). */
  readonly stuck: readonly string[];
}

/** The columns: the threads that take a step or are stuck, in thread order. */
export function columnsOf(d: InteractionDiagram): ColumnsTable {
  const shown = new Set([...d.steps.map((s) => s.thread), ...d.stuck.map((s) => s.thread)]);
  const columns = d.threads.filter((t) => shown.has(t));
  const rows = d.steps.map((s, i) => ({ n: i + 1, column: columns.indexOf(s.thread), text: s.text, violating: i === d.violating, cycleStart: i === d.cycleStart }));
  const stuck = columns.map((t) => d.stuck.find((s) => s.thread === t)?.at ?? '');
  return { columns, rows, stuck };
}

const MAX = 38;

/** Words wrapped to lines of at most `width` characters (a longer word is cut). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    let w = word;
    while (w.length > width) {
      if (line) lines.push(line);
      line = '';
      lines.push(w.slice(0, width));
      w = w.slice(width);
    }
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** The table as text: `|`-separated columns, long steps wrapped, the violating row marked. */
export function columnsText(t: ColumnsTable): string[] {
  const widths = t.columns.map((c, i) => Math.min(MAX, Math.max(c.length, ...t.rows.filter((r) => r.column === i).map((r) => r.text.length), (t.stuck[i] ?? '').length + 9)));
  const line = (num: string, cells: readonly string[], mark = '') => `  ${num.padStart(3)} | ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |${mark}`;
  const rule = `  ----+-${widths.map((w) => '-'.repeat(w)).join('-+-')}-+`;
  const out = [line('#', t.columns), rule];
  const block = (num: string, column: number, text: string, mark: string) => {
    const wrapped = wrap(text, widths[column] ?? MAX);
    wrapped.forEach((w, k) => out.push(line(k === 0 ? num : '', t.columns.map((_, i) => (i === column ? w : '')), k === 0 ? mark : '')));
  };
  for (const r of t.rows) {
    if (r.cycleStart) out.push('  --- the cycle starts here and repeats forever ---');
    block(`${r.n}.`, r.column, r.text, r.violating ? ' <- violation' : '');
  }
  if (t.stuck.some((s) => s !== '')) {
    out.push(rule);
    const wrapped = t.stuck.map((s, i) => (s ? wrap(`STUCK at ${s}`, widths[i] ?? MAX) : []));
    const height = Math.max(...wrapped.map((w) => w.length));
    for (let k = 0; k < height; k++) out.push(line(k === 0 ? 'end' : '', wrapped.map((w) => w[k] ?? '')));
  }
  return out;
}
