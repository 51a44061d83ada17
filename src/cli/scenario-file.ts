/**
 * `--scenario FILE`: a configuration in a JSON file (the vCPUs with their guest programs, the memslots,
 * the pages, which are remote, the backing and huge page size, the control plan). It is
 * turned into the check flags it stands for and parsed like them, so a scenario is
 * validated exactly as the command line is (ranges, choices, impossible combinations);
 * flags given on the command line override it. Errors name the file and the key.
 *
 * ```json
 * { "design": "uffd", "arch": "x86", "backing": "anon", "pages": 4, "remote": [0, 2],
 *   "vcpus": ["r0 w1=101", "r2"], "control": { "balloon": [1], "controlFirst": true } }
 * ```
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../system/config-error.ts';
import { parseArgs, type FlagSpec, type ParsedFlags } from './args.ts';

const EXAMPLE = 'e.g. { "design": "uffd", "pages": 4, "remote": [0, 2], "vcpus": ["r0 w1=101", "r2"], "control": { "balloon": [1] } }';

type Kind = 'string' | 'int' | 'pages' | 'boolean' | 'memslots' | 'handler';

/** Scenario keys and the check flags they stand for. */
const TOP: Readonly<Record<string, readonly [string, Kind]>> = {
  design: ['design', 'string'],
  arch: ['arch', 'string'],
  backing: ['backing', 'string'],
  series: ['series', 'string'],
  uffd: ['uffd', 'string'],
  gmemUffd: ['gmem-uffd', 'string'],
  asyncPfScope: ['async-pf-scope', 'string'],
  pages: ['pages', 'int'],
  hugePages: ['huge-pages', 'int'],
  remote: ['remote', 'pages'],
  memslots: ['memslots', 'memslots'],
  // Kernel variants and memory options that are flags too.
  mmu: ['mmu', 'string'],
  thp: ['thp', 'boolean'],
  gmemWrite: ['gmem-write', 'string'],
  uffdEagainField: ['uffd-eagain-field', 'string'],
  arm64WpFault: ['arm64-wp-fault', 'string'],
  // A handler file, relative to the scenario file (or a bundled handler's name); --handler overrides it.
  handler: ['handler', 'handler'],
};

const CONTROL: Readonly<Record<string, readonly [string, Kind]>> = {
  its: ['its', 'pages'],
  kvmClock: ['kvm-clock', 'int'],
  kvmClockPage: ['kvm-clock-page', 'string'],
  stealTime: ['steal-time', 'int'],
  balloon: ['balloon', 'pages'],
  lateEnable: ['late-enable', 'boolean'],
  dirtyLogRound: ['dirty-log-round', 'boolean'],
  disableAtEnd: ['disable-at-end', 'boolean'],
  controlFirst: ['control-first', 'boolean'],
};

function bad(file: string, what: string): never {
  throw new ConfigError('KVMUF022', `${file}: ${what}`, EXAMPLE);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function words(file: string, key: string, flag: string, kind: Kind, value: unknown): string[] {
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') bad(file, `${key} must be a string`);
      return [`--${flag}`, value];
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) bad(file, `${key} must be a whole number`);
      return [`--${flag}`, String(value)];
    case 'pages':
      if (!Array.isArray(value) || !value.every((g) => typeof g === 'number' && Number.isInteger(g) && g >= 0)) bad(file, `${key} must be a list of page numbers, e.g. [0, 2]`);
      if (value.length === 0) return flag === 'remote' ? [`--${flag}`, 'none'] : [];
      return [`--${flag}`, value.join(',')];
    case 'boolean':
      if (typeof value !== 'boolean') bad(file, `${key} must be true or false`);
      return value ? [`--${flag}`] : [];
    case 'memslots':
      return [`--${flag}`, memslotsText(file, key, value)];
    case 'handler':
      if (typeof value !== 'string' || value === '') bad(file, `${key} must be a handler file like "./my-handler.ts" (relative to the scenario file) or a bundled handler's name`);
      return [`--${flag}`, handlerPath(file, value)];
  }
}

/** A path (absolute, starting with `.`, or naming a .ts/.js file) is taken relative to the scenario file; anything else is a bundled handler's name. */
function handlerPath(file: string, value: string): string {
  const isPath = isAbsolute(value) || value.startsWith('.') || /\.(m?[jt]s)$/.test(value);
  return isPath ? resolve(dirname(file), value) : value;
}

/** `"0:2,8:2"`, or `[{ "baseGfn": 0, "npages": 2 }, { "baseGfn": 8, "npages": 2 }]`, as the flag's text. */
function memslotsText(file: string, key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  const shape = (s: unknown) => isRecord(s) && Number.isInteger(s.baseGfn) && Number.isInteger(s.npages) && Object.keys(s).length === 2;
  if (!Array.isArray(value) || value.length === 0 || !value.every(shape)) {
    bad(file, `${key} must be a list of { "baseGfn": N, "npages": N } (or a string like "0:2,8:2")`);
  }
  return value.map((s: { baseGfn: number; npages: number }) => `${s.baseGfn}:${s.npages}`).join(',');
}

function vcpuWords(file: string, value: unknown): string[] {
  if (typeof value === 'number') return ['--vcpus', String(value)];
  if (!Array.isArray(value) || value.length === 0) bad(file, 'vcpus must be a number, or a list of guest programs (one string per vCPU, e.g. "r0 w1=101")');
  const programs = value.map((p: unknown, i) => {
    const program = isRecord(p) ? p.program : p;
    if (typeof program !== 'string' || program.includes(';')) bad(file, `vcpus[${i}] must be a guest program like "r0 w1=101" (or { "program": "..." })`);
    return program;
  });
  return ['--vcpus', String(programs.length), '--program', programs.join(';')];
}

function scenarioArgs(file: string, x: unknown): string[] {
  if (!isRecord(x)) bad(file, 'the scenario must be a JSON object');
  const out: string[] = [];
  for (const [key, value] of Object.entries(x)) {
    if (key === 'vcpus') out.push(...vcpuWords(file, value));
    else if (key === 'control') {
      if (!isRecord(value)) bad(file, 'control must be an object');
      for (const [k, v] of Object.entries(value)) {
        const known = CONTROL[k];
        if (!known) bad(file, `unknown key control.${k} (keys: ${Object.keys(CONTROL).join(', ')})`);
        out.push(...words(file, `control.${k}`, known[0], known[1], v));
      }
    } else {
      const known = TOP[key];
      if (!known) bad(file, `unknown key ${key} (keys: ${[...Object.keys(TOP), 'vcpus', 'control'].join(', ')})`);
      out.push(...words(file, key, known[0], known[1], value));
    }
  }
  return out;
}

/** The check flags a scenario file stands for, validated as the command line would be. */
export function scenarioFlags(file: string, specs: readonly FlagSpec[]): ParsedFlags {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError('KVMUF020', `--scenario ${file}: cannot read it (${e instanceof Error && 'code' in e ? String(e.code) : 'error'})`, 'give the path of a JSON scenario file');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('KVMUF021', `${file}: not JSON (${e instanceof Error ? e.message : String(e)})`, EXAMPLE);
  }
  try {
    return parseArgs('check', scenarioArgs(file, json), specs).flags;
  } catch (e) {
    if (e instanceof ConfigError && e.code !== 'KVMUF022') throw new ConfigError(e.code, `${file}: ${e.message}`, e.hint);
    throw e;
  }
}
