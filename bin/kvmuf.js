#!/usr/bin/env node
// The `kvmuf` command: runs the built JavaScript in dist/ (`npm run build`, which
// `prepare` runs on install). No TypeScript loader is needed; a user's .ts handler is
// compiled with esbuild when it is loaded.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('error[KVMUF400]: kvmuf is not built (dist/ is missing)\nhint: run `npm run build` in the kvmuf package folder\n');
  process.exit(4);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
