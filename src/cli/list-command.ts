/** `kvmuf list`: what can be checked. */
import { PROPERTY } from '../../properties/core.ts';
import { SPEC_MACHINES } from '../../properties/spec-machines.ts';
import { ARCHES, BACKINGS, DESIGNS } from '../system/config.ts';
import { BUNDLED_HANDLERS } from '../vmm/index.ts';

export function listText(): string {
  return [
    `designs:    ${DESIGNS.join(', ')}`,
    `arches:     ${ARCHES.join(', ')}`,
    `backings:   ${BACKINGS.join(', ')}`,
    'properties:',
    ...Object.values(PROPERTY).map((p) => `  - ${p}`),
    'spec machines:',
    ...SPEC_MACHINES.map((m) => `  ${m.name.padEnd(24)} ${m.title}`),
    'bundled handlers:',
    ...BUNDLED_HANDLERS.map((h) => `  ${h.name.padEnd(24)} [${h.designs.join(', ')}] ${h.description}`),
  ].join('\n');
}
