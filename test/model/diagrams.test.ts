/** State diagrams are generated from the machine definitions, complete, and the README shows them as generated. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SPEC_MACHINES } from '../../properties/spec-machines.ts';
import { diagramOf, toDot, toMermaid } from '../../src/report/diagram.ts';
import { kvmuf } from '../cli/run-cli.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Every transition written in a machine's config, as `from EVENT to` (targetless: to itself; root: from every state). */
function configuredTransitions(machine: (typeof SPEC_MACHINES)[number]['machine']): string[] {
  const out: string[] = [];
  const states = Object.entries(machine.root.states);
  const finals = states.filter(([, n]) => n.type === 'final').map(([k]) => k);
  const walk = (from: string[], on: Record<string, unknown> | undefined) => {
    for (const [event, spec] of Object.entries(on ?? {})) {
      for (const t of Array.isArray(spec) ? spec : [spec]) {
        const target = typeof t === 'string' ? t : (t as { target?: string }).target;
        for (const f of from) out.push(`${f} ${event} ${target === undefined ? f : target.replace(/^\./, '')}`);
      }
    }
  };
  walk(states.map(([k]) => k).filter((k) => !finals.includes(k)), machine.config.on as Record<string, unknown> | undefined);
  for (const [name, node] of states) walk([name], node.config.on as Record<string, unknown> | undefined);
  return out.sort();
}

describe('state diagrams', () => {
  for (const m of SPEC_MACHINES) {
    it(`${m.name}: every configured transition is drawn, and nothing else`, () => {
      const d = diagramOf(m.machine);
      const drawn = d.edges.map((e) => `${e.from} ${e.label.split(' ')[0]} ${e.to}`).sort();
      expect(drawn).toEqual(configuredTransitions(m.machine));
      // DOT draws parallel transitions as one edge with one label line (\n) each, and a
      // state's transitions to itself inside its box, one ↻ line each.
      const dot = toDot(m.machine);
      const dotEdges = [...dot.matchAll(/^ {2}"([^"]+)" -> "([^"]+)" \[label="([^"]*)"\];$/gm)].flatMap((x) =>
        (x[3] ?? '').split('\\n').map((label) => `${x[1]} ${label} ${x[2]}`),
      );
      for (const x of dot.matchAll(/^ {2}"([^"]+)" \[(?:peripheries=2, )?label=<(.*)>\];$/gm)) {
        for (const own of (x[2] ?? '').matchAll(/↻ ([^<]*)</g)) dotEdges.push(`${x[1]} ${own[1]} ${x[1]}`);
      }
      expect(dotEdges.sort()).toEqual(d.edges.map((e) => `${e.from} ${e.label} ${e.to}`).sort());
    });

    it(`${m.name}: the README shows the generated Mermaid diagram`, () => {
      expect(README).toContain(`\`\`\`mermaid\n${toMermaid(m.machine)}\`\`\``);
    });
  }

  it('the README\'s diagram section is exactly `kvmuf diagram --format markdown`', () => {
    const md = kvmuf(['diagram', '--format', 'markdown']);
    expect(md.status).toBe(0);
    expect(README).toContain(md.stdout);
  });

  it('kvmuf diagram prints them; an unknown machine is a coded error', () => {
    const ok = kvmuf(['diagram', 'uffd-waiter', '--format', 'dot']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^digraph "uffd-waiter" \{/);
    const bad = kvmuf(['diagram', 'nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error\[KVMUF005\]/);
  });
});
