/**
 * A counterexample as a sequence diagram, in SVG: one lane per thread and one per kernel
 * object the threads talk to (KVM, the userfaultfd, the userfault bitmap, guest memory),
 * each step a numbered dot in its thread's lane with its messages as arrows (a call, the
 * exit or result coming back, a store, a thread put to sleep, a wake-up), the step's text
 * to the right. The violating step is highlighted, a liveness cycle is boxed with a loop
 * arrow, and at a deadlock each thread that cannot move is marked where it is stuck.
 */
import type { InteractionDiagram, Message, MessageKind } from './interactions.ts';

const LANE = 130;
const ROW = 22;
const TOP = 52;
const LEFT = 34;

const COLOUR: Record<MessageKind, string> = { call: '#1d4ed8', return: '#1d4ed8', wake: '#15803d', store: '#7c3aed', sleep: '#c2410c' };

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function arrow(x1: number, x2: number, y: number, m: Message): string {
  const c = COLOUR[m.kind];
  const dir = x2 >= x1 ? 1 : -1;
  const tip = x2 - dir * 3;
  const dash = m.kind === 'return' || m.kind === 'sleep' ? ' stroke-dasharray="5,3"' : '';
  // A label wider than its arrow starts beside the caller's dot instead of over it.
  const fits = m.text.length * 5.6 < Math.abs(x2 - x1) - 24;
  const at = fits ? `x="${(x1 + x2) / 2}" text-anchor="middle"` : `x="${Math.min(x1, x2) + 14}" text-anchor="start"`;
  return (
    `<g class="message ${m.kind}" data-from="${escapeXml(m.from)}" data-to="${escapeXml(m.to)}">` +
    `<line x1="${x1 + dir * 10}" y1="${y}" x2="${tip}" y2="${y}" stroke="${c}" stroke-width="1.5"${dash}/>` +
    `<path d="M${tip} ${y} l${-dir * 8} -4 v8 z" fill="${c}"/>` +
    `<text ${at} y="${y - 4}" font-size="10" fill="${c}" stroke="white" stroke-width="3" paint-order="stroke">${escapeXml(m.text)}</text></g>`
  );
}

export function sequenceSvg(d: InteractionDiagram): string {
  const lanes = [...d.threads, ...d.objects];
  const laneX = (name: string) => LEFT + Math.max(0, lanes.indexOf(name)) * LANE + LANE / 2;
  const textX = LEFT + lanes.length * LANE + 12;
  const rowsOf = d.steps.map((s) => Math.max(1, s.messages.length));
  const starts: number[] = [];
  rowsOf.reduce((y, n) => (starts.push(y), y + n * ROW + 6), TOP);
  const bottom = TOP + rowsOf.reduce((a, n) => a + n * ROW + 6, 0) + (d.stuck.length > 0 ? 40 : 10);
  const longest = Math.max(0, ...d.steps.map((s) => s.text.length));
  const width = textX + Math.min(1000, longest * 7.2 + 40);
  const height = bottom + 12;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  ];
  // Bands first, so lanes and arrows are drawn over them.
  const band = (i: number) => ({ y: (starts[i] ?? TOP) - ROW / 2 - 2, h: (rowsOf[i] ?? 1) * ROW + 4 });
  if (d.violating !== undefined) {
    const b = band(d.violating);
    parts.push(`<rect class="violating" data-step="${d.violating + 1}" x="2" y="${b.y}" width="${width - 4}" height="${b.h}" fill="#fee2e2" stroke="#dc2626" stroke-width="1.5" rx="4"/>`);
  }
  if (d.cycleStart !== undefined && d.cycleStart < d.steps.length) {
    const top = band(d.cycleStart).y;
    const last = band(d.steps.length - 1);
    const end = last.y + last.h;
    parts.push(`<g class="cycle"><rect x="2" y="${top}" width="${width - 4}" height="${end - top}" fill="#fef3c7" fill-opacity="0.6" stroke="#d97706" stroke-dasharray="6,4" rx="4"/>`);
    parts.push(`<path d="M14 ${end - 6} C 2 ${end - 6}, 2 ${top + 6}, 14 ${top + 6}" fill="none" stroke="#d97706" stroke-width="2"/><path d="M14 ${top + 6} l-7 -4 v8 z" fill="#d97706"/>`);
    parts.push(`<text x="${textX}" y="${top - 3}" fill="#b45309" font-size="11" font-weight="bold">the cycle: these steps repeat forever</text></g>`);
  }
  lanes.forEach((name, i) => {
    const x = laneX(name);
    const object = i >= d.threads.length;
    parts.push(`<g class="lane ${object ? 'object' : 'thread'}" data-lane="${escapeXml(name)}">`);
    parts.push(`<rect x="${x - LANE / 2 + 6}" y="6" width="${LANE - 12}" height="24" rx="${object ? 2 : 10}" fill="${object ? '#e5e7eb' : '#dbeafe'}" stroke="${object ? '#6b7280' : '#2563eb'}"/>`);
    parts.push(`<text x="${x}" y="22" text-anchor="middle" font-weight="bold">${escapeXml(name)}</text>`);
    parts.push(`<line x1="${x}" y1="30" x2="${x}" y2="${bottom - (d.stuck.length > 0 ? 36 : 4)}" stroke="${object ? '#9ca3af' : '#93c5fd'}" stroke-dasharray="${object ? '1,3' : '3,3'}"/></g>`);
  });
  d.steps.forEach((step, i) => {
    const y0 = starts[i] ?? TOP;
    const x = laneX(step.thread);
    parts.push(`<g class="step${i === d.violating ? ' violating-step' : ''}" data-step="${i + 1}" data-thread="${escapeXml(step.thread)}">`);
    step.messages.forEach((m, k) => parts.push(arrow(laneX(m.from), laneX(m.to), y0 + k * ROW, m)));
    parts.push(`<circle cx="${x}" cy="${y0}" r="9" fill="${i === d.violating ? '#dc2626' : '#2563eb'}"/>`);
    parts.push(`<text x="${x}" y="${y0 + 4}" text-anchor="middle" fill="white" font-size="10">${i + 1}</text>`);
    parts.push(`<text x="${textX}" y="${y0 + 4}"${i === d.violating ? ' fill="#b91c1c" font-weight="bold"' : ''}>${escapeXml(`${step.thread}: ${step.text}`)}</text></g>`);
  });
  for (const s of d.stuck) {
    const x = laneX(s.thread);
    const y = bottom - 30;
    parts.push(
      `<g class="stuck" data-thread="${escapeXml(s.thread)}"><rect x="${x - LANE / 2 + 4}" y="${y}" width="${LANE - 8}" height="24" rx="3" fill="#fee2e2" stroke="#dc2626" stroke-width="1.5"/>` +
        `<text x="${x}" y="${y + 10}" text-anchor="middle" font-size="9" fill="#b91c1c" font-weight="bold">STUCK at ${escapeXml(s.at.replace(/ \(.*$/, ''))}</text>` +
        `<text x="${x}" y="${y + 20}" text-anchor="middle" font-size="9" fill="#b91c1c">${escapeXml(/\((.*)\)$/.exec(s.at)?.[1] ?? 'cannot move')}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
