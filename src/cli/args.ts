/**
 * Command-line parsing into typed options. Each command declares its flags once
 * (FlagSpec); the parser and the help text both read that declaration, so the ranges,
 * choices and value names that `--help` shows are the ones that are checked. Unknown
 * flags and bad values are ConfigErrors (exit 2) with a stable code and a hint.
 */
import { ConfigError } from '../system/config-error.ts';

export interface FlagSpec {
  readonly name: string;
  readonly kind: 'string' | 'int' | 'boolean';
  readonly help: string;
  /** The value's name in the help: FILE, DIR, PAGES… (default N for an int, VALUE for a string). */
  readonly value?: string;
  /** Allowed values for a string flag. */
  readonly choices?: readonly string[];
  /** Bounds of an int flag, checked here and shown in the help. */
  readonly range?: { readonly min: number; readonly max?: number };
  /** The default, as the help shows it. */
  readonly default?: string;
  /** A value for the hints of errors (default: the first choice, the default, or the minimum). */
  readonly example?: string;
}

/** One subcommand: its name, what it does, its operands (e.g. `[FILE]`) and its flags. */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly operands?: string;
  readonly flags: readonly FlagSpec[];
}

export type ParsedFlags = Record<string, string | number | boolean | undefined>;

export interface Parsed {
  readonly flags: ParsedFlags;
  readonly positionals: readonly string[];
}

/** `-h` or `--help` anywhere among the arguments. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

function rangeText(r: NonNullable<FlagSpec['range']>): string {
  return r.max === undefined ? `at least ${r.min}` : `${r.min} to ${r.max}`;
}

function parseIntFlag(command: string, spec: FlagSpec, value: string): number {
  if (!/^\d+$/.test(value)) throw new ConfigError('KVMUF003', `kvmuf ${command}: --${spec.name} ${value} is not a whole number`, `e.g. --${spec.name} ${spec.range?.min ?? 2}`);
  const n = Number(value);
  const r = spec.range;
  if (r && (n < r.min || (r.max !== undefined && n > r.max))) {
    throw new ConfigError('KVMUF103', `--${spec.name} ${value}: must be ${rangeText(r)}`, `e.g. --${spec.name} ${spec.default ?? r.min}`);
  }
  return n;
}

export function parseArgs(command: string, argv: readonly string[], specs: readonly FlagSpec[]): Parsed {
  const flags: ParsedFlags = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [rawName, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const negated = rawName.startsWith('no-') && specs.some((s) => s.name === rawName.slice(3) && s.kind === 'boolean');
    const name = negated ? rawName.slice(3) : rawName;
    const spec = specs.find((s) => s.name === name);
    if (!spec) {
      const known = specs.map((s) => `--${s.name}`).join(' ');
      throw new ConfigError('KVMUF001', `kvmuf ${command}: unknown flag --${rawName}`, known ? `flags: ${known} (kvmuf ${command} --help)` : `kvmuf ${command} takes no flags`);
    }
    if (spec.kind === 'boolean') {
      flags[name] = !negated;
      continue;
    }
    const value = inline ?? argv[++i];
    const example = `e.g. --${name} ${spec.example ?? spec.choices?.[0] ?? spec.default ?? spec.range?.min ?? 2}`;
    if (value === undefined) throw new ConfigError('KVMUF002', `kvmuf ${command}: --${name} needs a value`, example);
    if (value === '') throw new ConfigError('KVMUF002', `kvmuf ${command}: --${name} has an empty value`, example);
    if (spec.kind === 'int') {
      flags[name] = parseIntFlag(command, spec, value);
    } else {
      if (spec.choices && !spec.choices.includes(value)) {
        throw new ConfigError('KVMUF003', `kvmuf ${command}: --${name} ${value} is not one of ${spec.choices.join(', ')}`, `e.g. --${name} ${spec.choices[0]}`);
      }
      flags[name] = value;
    }
  }
  return { flags, positionals };
}

/** Choices short enough to stand in place of the value name (`--arch x86|arm64`). */
const INLINE_CHOICES = 24;

function flagColumn(s: FlagSpec): string {
  if (s.kind === 'boolean') return `--${s.name}`;
  const inline = s.choices?.join('|');
  if (inline !== undefined && inline.length <= INLINE_CHOICES) return `--${s.name} ${inline}`;
  return `--${s.name} ${s.value ?? (s.kind === 'int' ? 'N' : 'VALUE')}`;
}

function flagHelp(s: FlagSpec, indent: string): string {
  const notes = [s.range ? rangeText(s.range) : undefined, s.default !== undefined ? `default ${s.default}` : undefined].filter((x) => x !== undefined);
  const text = notes.length > 0 ? `${s.help} (${notes.join('; ')})` : s.help;
  const inline = s.choices?.join('|');
  if (s.choices && inline !== undefined && inline.length > INLINE_CHOICES) return `${text}\n${indent}${s.value ?? 'VALUE'}: ${s.choices.join(', ')}`;
  return text;
}

/** The help of one command, generated from its declaration. */
export function usageOf(cmd: CommandSpec): string {
  const rows: [string, FlagSpec | undefined][] = [...cmd.flags.map((s): [string, FlagSpec] => [flagColumn(s), s]), ['-h, --help', undefined]];
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const indent = ' '.repeat(width + 2);
  const lines = rows.map(([left, s]) => `  ${left.padEnd(width)}${s ? flagHelp(s, indent) : 'show this help'}`);
  const synopsis = ['kvmuf', cmd.name, ...(cmd.flags.length > 0 ? ['[options]'] : []), ...(cmd.operands ? [cmd.operands] : [])].join(' ');
  return `usage: ${synopsis}\n${cmd.summary}\n\noptions:\n${lines.join('\n')}`;
}
