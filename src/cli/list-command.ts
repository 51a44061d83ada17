/** `kvmuf list`: what can be checked. */
import { PROPERTY } from '../../properties/core.ts';
import { SPEC_MACHINES } from '../../properties/spec-machines.ts';
import { ARCHES, BACKINGS, DESIGNS } from '../system/config.ts';
import { ConfigError } from '../system/config-error.ts';
import { CONVICTING_CONFIGS } from '../vmm/convictions.ts';
import { BUNDLED_HANDLERS } from '../vmm/index.ts';
import { commandFor } from './check-command.ts';
import { parseArgs, type CommandSpec } from './args.ts';

export const LIST_COMMAND: CommandSpec = {
  name: 'list',
  summary: 'designs, arches, backings, properties, spec machines and bundled handlers',
  flags: [],
};

export function listText(argv: readonly string[]): string {
  const { positionals } = parseArgs('list', argv, LIST_COMMAND.flags);
  if (positionals.length > 0) throw new ConfigError('KVMUF004', `kvmuf list: unexpected argument '${positionals[0]}'`, 'kvmuf list takes no arguments');
  return [
    `designs:    ${DESIGNS.join(', ')}`,
    `arches:     ${ARCHES.join(', ')}`,
    `backings:   ${BACKINGS.join(', ')}`,
    'properties:',
    ...Object.values(PROPERTY).map((p) => `  - ${p}`),
    'spec machines:',
    ...SPEC_MACHINES.map((m) => `  ${m.name.padEnd(24)} ${m.title}`),
    'bundled handlers:',
    ...BUNDLED_HANDLERS.flatMap((h) => {
      const line = `  ${h.name.padEnd(24)} [${h.designs.join(', ')}] ${h.description}`;
      const convicting = CONVICTING_CONFIGS[h.name];
      return convicting ? [line, `  ${''.padEnd(24)} convicted by: ${commandFor(convicting, h.name)}`] : [line];
    }),
  ].join('\n');
}
