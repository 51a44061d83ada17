/**
 * Turn a user's handler file (.ts, .mts, .cts, .js, .mjs, .cjs) into one ES module that
 * Node loads without a TypeScript loader: esbuild bundles the file with its own local
 * imports and dependencies, and links `kvmuf` (and `kvmuf/...`) to the running kvmuf, so
 * a lone file in a folder without package.json works as well as one in a project that
 * depends on kvmuf. Node's built-in modules stay imports.
 */
import { build, type Message, type Plugin } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../system/config-error.ts';
import { PACKAGE_SPECIFIERS, packageEntryUrl } from './package-entries.ts';

const linkKvmuf: Plugin = {
  name: 'kvmuf-link',
  setup(b) {
    b.onResolve({ filter: /^kvmuf(\/.*)?$/ }, (args) => {
      const url = packageEntryUrl(args.path);
      if (url === undefined) {
        return { errors: [{ text: `'${args.path}' is not an entry point of kvmuf (entry points: ${PACKAGE_SPECIFIERS.join(', ')})` }] };
      }
      return { path: url, external: true };
    });
  },
};

function describe(m: Message): string {
  const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : '';
  return `${where}${m.text}`;
}

function hintFor(text: string): string {
  if (/Could not resolve/.test(text)) {
    return "install the missing package in the handler's project (npm install NAME), or fix the import path; `kvmuf` itself is always provided";
  }
  if (/is not an entry point of kvmuf/.test(text)) return "import from 'kvmuf' (the API), 'kvmuf/arbitraries' or 'kvmuf/handlers'";
  return 'fix the syntax error at that position (the file is compiled as TypeScript or JavaScript by its extension)';
}

/** Compile `file` and return the compiled module's text (an ES module). */
export async function compileHandler(file: string, shown: string): Promise<string> {
  try {
    const r = await build({
      entryPoints: [file],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
      sourcemap: false,
      plugins: [linkKvmuf],
    });
    const out = r.outputFiles[0];
    if (!out) throw new ConfigError('KVMUF203', `${shown} failed to compile: esbuild produced no output`, 'check that the file is a module');
    return out.text;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const errors = (e as { errors?: Message[] }).errors;
    const first = errors?.[0];
    const text = first ? describe(first) : e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e);
    throw new ConfigError('KVMUF203', `${shown} failed to compile: ${text}`, hintFor(text));
  }
}

/** Import compiled module text through a private temporary file (removed afterwards). */
export async function importCompiled(text: string): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'kvmuf-handler-'));
  const file = join(dir, 'handler.mjs');
  try {
    writeFileSync(file, text);
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
