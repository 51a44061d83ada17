/**
 * A counterexample as a sequence diagram of the threads, in SVG: one lane per thread,
 * one row per step with a numbered dot in the lane of the thread that moved and the
 * step's text beside the lanes; a dashed line marks where a liveness cycle starts.
 */
import type { Counterexample } from './counterexample.ts';

const LANE = 92;
const ROW = 22;
const TOP = 40;

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function sequenceSvg(threads: readonly string[], cx: Counterexample): string {
  const laneOf = (label: string) => Math.max(0, threads.indexOf(label.slice(0, label.indexOf('.'))));
  const textX = threads.length * LANE + 16;
  const longest = Math.max(0, ...cx.steps.map((s) => s.label.length - s.label.indexOf('.') - 1));
  const width = textX + Math.min(1400, longest * 7 + 40);
  const height = TOP + cx.steps.length * ROW + 20;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  ];
  threads.forEach((t, i) => {
    const x = i * LANE + LANE / 2;
    parts.push(`<text x="${x}" y="18" text-anchor="middle" font-weight="bold">${escapeXml(t)}</text>`);
    parts.push(`<line x1="${x}" y1="26" x2="${x}" y2="${height - 10}" stroke="#bbb" stroke-dasharray="2,3"/>`);
  });
  cx.steps.forEach((step, i) => {
    const y = TOP + i * ROW;
    if (i === cx.cycleStart) {
      parts.push(`<line x1="0" y1="${y - ROW / 2}" x2="${width}" y2="${y - ROW / 2}" stroke="#c00" stroke-dasharray="6,4"/>`);
      parts.push(`<text x="${textX}" y="${y - ROW / 2 - 3}" fill="#c00" font-size="11">the cycle repeats forever from here</text>`);
    }
    const x = laneOf(step.label) * LANE + LANE / 2;
    parts.push(`<circle cx="${x}" cy="${y}" r="9" fill="#2563eb"/>`);
    parts.push(`<text x="${x}" y="${y + 4}" text-anchor="middle" fill="white" font-size="10">${i + 1}</text>`);
    parts.push(`<line x1="${x + 10}" y1="${y}" x2="${textX - 6}" y2="${y}" stroke="#dbeafe"/>`);
    parts.push(`<text x="${textX}" y="${y + 4}">${escapeXml(step.label.slice(step.label.indexOf('.') + 1))}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
