/**
 * State diagrams generated from an XState machine's own definition (never drawn by
 * hand): Mermaid `stateDiagram-v2` (renders on GitHub) and Graphviz DOT. A transition
 * defined on the machine's root applies in every state and is drawn from each of them;
 * guards are shown as `(if guard)`.
 */
import type { AnyStateMachine } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import { takenKey, violatedKey, type SpecEdgeMarks } from './spec-coverage.ts';

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly event: string;
  readonly label: string;
}

export interface Diagram {
  readonly id: string;
  readonly initial: string;
  readonly states: readonly string[];
  readonly finals: readonly string[];
  readonly edges: readonly DiagramEdge[];
}

function shortName(machineId: string, nodeId: string): string {
  return nodeId.startsWith(`${machineId}.`) ? nodeId.slice(machineId.length + 1) : nodeId;
}

function guardName(guard: unknown): string | undefined {
  if (typeof guard === 'string') return guard;
  if (guard && typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  return guard === undefined ? undefined : 'guard';
}

export function diagramOf(machine: AnyStateMachine): Diagram {
  const root = toDirectedGraph(machine);
  const id = machine.id;
  const states = root.children.map((c) => shortName(id, c.id));
  const finals = root.children.filter((c) => c.stateNode.type === 'final').map((c) => shortName(id, c.id));
  const edges: DiagramEdge[] = [];
  const add = (node: DirectedGraphNode, fromAll: boolean) => {
    for (const e of node.edges) {
      const guard = guardName((e.transition as { guard?: unknown }).guard);
      const label = `${e.label.text}${guard ? ` (if ${guard})` : ''}`;
      const to = shortName(id, e.target.id);
      const sources = fromAll ? states.filter((s) => !finals.includes(s)) : [shortName(id, e.source.id)];
      for (const from of sources) edges.push({ from, to: to === id ? from : to, event: e.label.text, label });
    }
  };
  add(root, true);
  for (const c of root.children) add(c, false);
  return { id, initial: String(machine.config.initial), states, finals, edges };
}

export function toMermaid(machine: AnyStateMachine): string {
  const d = diagramOf(machine);
  const lines = ['stateDiagram-v2', '  direction LR', `  [*] --> ${d.initial}`];
  for (const e of d.edges) lines.push(`  ${e.from} --> ${e.to} : ${e.label}`);
  for (const f of d.finals) lines.push(`  ${f} --> [*]`);
  return `${lines.join('\n')}\n`;
}

const quote = (s: string) => `"${s.replace(/"/g, '\\"')}"`;

const COVERED = '#15803d';
const UNCOVERED = '#9ca3af';
const VIOLATED = '#dc2626';

/** An edge's colour attributes: covered (green), never taken (grey, dashed), or broken (red). */
function edgeStyle(labels: readonly DiagramEdge[], marks: SpecEdgeMarks | undefined): string {
  if (!marks) return '';
  const from = labels[0]?.from ?? '';
  const to = labels[0]?.to ?? '';
  if (marks.violated.has(violatedKey(from, to))) return `, color="${VIOLATED}", fontcolor="${VIOLATED}", penwidth=2.5, class="violated"`;
  const taken = labels.some((e) => marks.taken.has(takenKey(e.from, e.event, e.to)));
  return taken ? `, color="${COVERED}", fontcolor="${COVERED}", penwidth=2, class="covered"` : `, color="${UNCOVERED}", fontcolor="#6b7280", style=dashed, class="uncovered"`;
}

const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The HTML-like label of a state that lists its own transitions (one line each, coloured like edges). */
function selfLoopLabel(state: string, own: readonly DiagramEdge[], marks: SpecEdgeMarks | undefined): string {
  const colour = (e: DiagramEdge) => {
    if (!marks) return '#111111';
    if (marks.violated.has(violatedKey(e.from, e.to))) return VIOLATED;
    return marks.taken.has(takenKey(e.from, e.event, e.to)) ? COVERED : '#6b7280';
  };
  const rows = own.map((e) => `<tr><td align="left"><font point-size="9" color="${colour(e)}">↻ ${html(e.label)}</font></td></tr>`);
  return `<<table border="0" cellborder="0" cellspacing="0" cellpadding="1"><tr><td><b>${html(state)}</b></td></tr>${rows.join('')}</table>>`;
}

/**
 * The machine in DOT. With `marks` (a run's spec coverage), transitions are coloured:
 * taken green, never taken grey and dashed, and a step that broke the spec is drawn red
 * (an extra red edge when the spec has no edge there at all).
 */
export function toDot(machine: AnyStateMachine, marks?: SpecEdgeMarks): string {
  const d = diagramOf(machine);
  const lines = [
    `digraph ${quote(d.id)} {`,
    '  rankdir=LR;',
    // Room between ranks and nodes, and labels placed beside their edges as outside labels
    // that Graphviz keeps apart, so multi-line labels of neighbouring edges do not overlap.
    '  graph [nodesep=0.6, ranksep=1.1, forcelabels=true, splines=true];',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
    '  __start [shape=point, label=""];',
    `  __start -> ${quote(d.initial)};`,
  ];
  // A state's transitions to itself are listed inside its box (UML's internal transitions,
  // marked ↻): as self-loops their stacked labels collided with the edges around the state.
  for (const s of d.states) {
    const own = d.edges.filter((e) => e.from === s && e.to === s);
    const label = own.length === 0 ? '' : `label=${selfLoopLabel(s, own, marks)}`;
    const attrs = [d.finals.includes(s) ? 'peripheries=2' : '', label].filter((a) => a !== '').join(', ');
    lines.push(`  ${quote(s)}${attrs ? ` [${attrs}]` : ''};`);
  }
  // Parallel transitions between the same two states share one edge (one label per line).
  const grouped = new Map<string, DiagramEdge[]>();
  for (const e of d.edges.filter((x) => x.from !== x.to)) {
    const k = `${e.from}\u0000${e.to}`;
    grouped.set(k, [...(grouped.get(k) ?? []), e]);
  }
  for (const g of grouped.values()) {
    const first = g[0] as DiagramEdge;
    lines.push(`  ${quote(first.from)} -> ${quote(first.to)} [label=${quote(g.map((e) => e.label).join('\\n'))}${edgeStyle(g, marks)}];`);
  }
  for (const v of marks?.violated ?? []) {
    const [from = '', to = ''] = v.split('\u0000');
    if (!grouped.has(`${from}\u0000${to}`) && d.states.includes(from) && d.states.includes(to)) {
      lines.push(`  ${quote(from)} -> ${quote(to)} [label="not in the spec: taken by the counterexample", color="${VIOLATED}", fontcolor="${VIOLATED}", penwidth=2.5, style=bold, class="violated"];`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
