/** The spec machines, as the tools see them (properties/ is the bridge between model/ and src/). */
export { SPEC_MACHINES, type SpecMachine } from '../model/index.ts';
