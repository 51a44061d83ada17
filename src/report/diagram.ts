/**
 * State diagrams generated from an XState machine's own definition (never drawn by
 * hand): Mermaid `stateDiagram-v2` (renders on GitHub) and Graphviz DOT. A transition
 * defined on the machine's root applies in every state and is drawn from each of them;
 * guards are shown as `(if guard)`.
 */
import type { AnyStateMachine } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
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
      for (const from of sources) edges.push({ from, to: to === id ? from : to, label });
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

export function toDot(machine: AnyStateMachine): string {
  const d = diagramOf(machine);
  const lines = [
    `digraph ${quote(d.id)} {`,
    '  rankdir=LR;',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
    '  __start [shape=point, label=""];',
    `  __start -> ${quote(d.initial)};`,
  ];
  for (const s of d.states) lines.push(`  ${quote(s)}${d.finals.includes(s) ? ' [peripheries=2]' : ''};`);
  // Parallel transitions between the same two states share one edge (one label per line).
  const grouped = new Map<string, { from: string; to: string; labels: string[] }>();
  for (const e of d.edges) {
    const k = `${e.from}\u0000${e.to}`;
    const g = grouped.get(k) ?? { from: e.from, to: e.to, labels: [] };
    g.labels.push(e.label);
    grouped.set(k, g);
  }
  for (const g of grouped.values()) lines.push(`  ${quote(g.from)} -> ${quote(g.to)} [label=${quote(g.labels.join('\\n'))}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
