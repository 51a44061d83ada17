/** `kvmuf diagram [MACHINE] [--format mermaid|dot] [--out FILE]`: the spec machines' state diagrams. */
import { SPEC_MACHINES } from '../../properties/spec-machines.ts';
import { toDot, toMermaid } from '../report/diagram.ts';
import { dotToSvg } from '../report/svg.ts';
import { ConfigError } from '../system/config-error.ts';
import { parseArgs, type CommandSpec, type FlagSpec } from './args.ts';
import { writeOutFile } from './out-file.ts';

export const DIAGRAM_FLAGS: readonly FlagSpec[] = [
  { name: 'format', kind: 'string', choices: ['mermaid', 'dot', 'svg', 'markdown'], help: 'output format (default mermaid; markdown: a heading and a Mermaid block per machine)' },
  { name: 'out', kind: 'string', value: 'FILE', help: 'write to this file instead of standard output', example: 'diagrams.mmd' },
];

export const DIAGRAM_COMMAND: CommandSpec = {
  name: 'diagram',
  summary: "the spec machines' state diagrams (MACHINE: one of them, see kvmuf list; default all)",
  operands: '[MACHINE]',
  flags: DIAGRAM_FLAGS,
};

export async function diagramText(argv: readonly string[]): Promise<{ text: string; out?: string }> {
  const { flags, positionals } = parseArgs('diagram', argv, DIAGRAM_FLAGS);
  const names = SPEC_MACHINES.map((m) => m.name);
  const [wanted, extra] = positionals;
  if (extra !== undefined) throw new ConfigError('KVMUF004', `kvmuf diagram: unexpected argument '${extra}'`, 'give at most one machine name');
  if (wanted !== undefined && !names.includes(wanted)) {
    throw new ConfigError('KVMUF005', `kvmuf diagram: no spec machine '${wanted}'`, `machines: ${names.join(', ')}`);
  }
  const format = (flags.format as string | undefined) ?? 'mermaid';
  const chosen = SPEC_MACHINES.filter((m) => wanted === undefined || m.name === wanted);
  let text: string;
  if (format === 'svg') {
    if (chosen.length > 1) throw new ConfigError('KVMUF006', 'kvmuf diagram --format svg: name one machine (an SVG file holds one diagram)', `e.g. kvmuf diagram ${names[0]} --format svg --out ${names[0]}.svg`);
    text = (await Promise.all(chosen.map((m) => dotToSvg(toDot(m.machine))))).join('\n');
  } else if (format === 'markdown') {
    text = chosen.map((m) => `### ${m.title} (\`${m.name}\`)\n\n\`\`\`mermaid\n${toMermaid(m.machine)}\`\`\`\n`).join('\n');
  } else {
    const render = format === 'dot' ? toDot : toMermaid;
    text = chosen.map((m) => (chosen.length > 1 && format === 'mermaid' ? `%% ${m.name}: ${m.title}\n` : '') + render(m.machine)).join('\n');
  }
  const out = flags.out as string | undefined;
  if (out) writeOutFile('out', out, text);
  return out ? { text, out } : { text };
}
