#!/usr/bin/env node
// The `kvmuf` command. The sources are TypeScript; tsx loads them (and users' handler
// files) without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
