/**
 * Command-line parsing into typed options. Unknown flags and bad values are ConfigErrors
 * (exit 2) with a stable code and a hint.
 */
import { ConfigError } from '../system/config-error.ts';

export interface FlagSpec {
  readonly name: string;
  readonly kind: 'string' | 'int' | 'boolean';
  readonly help: string;
  /** Allowed values for a string flag. */
  readonly choices?: readonly string[];
}

export type ParsedFlags = Record<string, string | number | boolean | undefined>;

export interface Parsed {
  readonly flags: ParsedFlags;
  readonly positionals: readonly string[];
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
      throw new ConfigError('KVMUF001', `kvmuf ${command}: unknown flag --${rawName}`, `flags: ${specs.map((s) => `--${s.name}`).join(' ')}`);
    }
    if (spec.kind === 'boolean') {
      flags[name] = !negated;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError('KVMUF002', `kvmuf ${command}: --${name} needs a value`, `e.g. --${name} ${spec.choices?.[0] ?? '2'}`);
    if (spec.kind === 'int') {
      if (!/^\d+$/.test(value)) throw new ConfigError('KVMUF003', `kvmuf ${command}: --${name} ${value} is not a whole number`, `e.g. --${name} 2`);
      flags[name] = Number(value);
    } else {
      if (spec.choices && !spec.choices.includes(value)) {
        throw new ConfigError('KVMUF003', `kvmuf ${command}: --${name} ${value} is not one of ${spec.choices.join(', ')}`, `e.g. --${name} ${spec.choices[0]}`);
      }
      flags[name] = value;
    }
  }
  return { flags, positionals };
}

export function usageOf(command: string, specs: readonly FlagSpec[]): string {
  const lines = specs.map((s) => `  --${s.name}${s.kind === 'boolean' ? '' : s.choices ? ` ${s.choices.join('|')}` : ' N'}`.padEnd(52) + s.help);
  return `usage: kvmuf ${command} [options]\n${lines.join('\n')}`;
}
