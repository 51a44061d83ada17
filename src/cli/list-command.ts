/** `kvmuf list`: what can be checked. */
import { PROPERTY } from '../../properties/core.ts';
import { ARCHES, BACKINGS, DESIGNS } from '../system/config.ts';
import { BUNDLED_HANDLERS } from '../vmm/index.ts';

export function listText(): string {
  return [
    `designs:    ${DESIGNS.join(', ')}`,
    `arches:     ${ARCHES.join(', ')}`,
    `backings:   ${BACKINGS.join(', ')}`,
    'properties:',
    ...Object.values(PROPERTY).map((p) => `  - ${p}`),
    'bundled handlers:',
    ...BUNDLED_HANDLERS.map((h) => `  ${h.name.padEnd(24)} [${h.designs.join(', ')}] ${h.description}`),
  ].join('\n');
}
