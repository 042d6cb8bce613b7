import { parseArgs as parseTokens } from 'node:util';
import { DeependError } from '../util/deepend-error';

/** A usage error: printed as one line with exit code 2 (code `usage`). */
export class UsageError extends DeependError {
  constructor(message: string, hint?: string) {
    super('usage', message, hint === undefined ? {} : { hint });
    this.name = 'UsageError';
  }
}

/** One flag of a command, as its help shows it. */
export interface FlagDoc {
  /** Without the dashes: 'to-depth'. */
  name: string;
  /** What the value looks like ('N', 'DIR'); absent for a switch, which takes no value. */
  value?: string;
  /** One line: what the flag does. */
  description: string;
  /** true: parsing fails without it; a condition ('unless --resume'): shown as required, checked by the command. */
  required?: true | string;
  /** Another flag that stands in for this required one (`--waves` for `--canary`): the usage line shows `(--a A | --b B)`. */
  or?: string;
}

/** A command (or a subcommand): what parses its flags and what its help prints, in one place. */
export interface CommandSpec {
  /** The words after `deepend`: 'grow', 'fleet rollout'. */
  command: string;
  /** The operands in the usage line ('FILE...', '[VERSION]'); the command reads them itself. */
  operands?: string;
  /** One line: what the command does. */
  summary: string;
  flags: readonly FlagDoc[];
}

/** A command whose first operand names a subcommand (`deepend fleet rollout`), each with its own spec. */
export interface CommandGroup {
  command: string;
  summary: string;
  subcommands: readonly CommandSpec[];
  /** One more line for the group's help (flags every subcommand takes, say). */
  note?: string;
}

export interface ParsedArgs {
  values: Map<string, string>;
  switches: Set<string>;
  /** The words that are not flags or their values (`deepend fleet deepen DEVICE`), wherever they stand. */
  operands: string[];
}

/**
 * Parses `--name value`, `--name=value` and `--switch` against the spec (node:util's parseArgs
 * reads the words); up to `maxOperands` other words are operands, before, between or after the
 * flags; any further word, a missing value or a missing required flag is a UsageError.
 */
export function parseArgs(spec: CommandSpec, argv: string[], maxOperands = 0): ParsedArgs {
  const known = new Map(spec.flags.map((f) => [f.name, f]));
  const { tokens } = parseTokens({
    args: argv,
    options: Object.fromEntries(
      spec.flags.map((f) => [f.name, { type: f.value === undefined ? ('boolean' as const) : ('string' as const) }]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const operands: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      if (operands.length >= maxOperands) throw new UsageError(`unexpected argument '${token.value}'`);
      operands.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') throw new UsageError("unexpected argument '--'");
    const flag = known.get(token.name);
    if (!flag || !token.rawName.startsWith('--')) throw new UsageError(`unknown option ${token.rawName}`);
    if (flag.value === undefined) {
      if (token.value !== undefined) throw new UsageError(`--${flag.name} takes no value`);
      switches.add(flag.name);
    } else {
      if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--')))
        throw new UsageError(`--${flag.name} needs a value`);
      values.set(flag.name, token.value);
    }
  }
  for (const flag of spec.flags) {
    if (flag.required === true && !values.has(flag.name)) throw new UsageError(`--${flag.name} is required`);
  }
  return { values, switches, operands };
}

function describeFlag(f: FlagDoc): string {
  return typeof f.required === 'string' ? `${f.description} (required ${f.required})` : f.description;
}

function flagWords(f: FlagDoc): string {
  return f.value === undefined ? `--${f.name}` : `--${f.name} ${f.value}`;
}

/** `deepend fleet rollout --to-depth N ... [--json]`: operands, required flags, then the optional ones in brackets. */
export function usageLine(spec: CommandSpec): string {
  const byName = new Map(spec.flags.map((f) => [f.name, f]));
  const standIns = new Set(spec.flags.flatMap((f) => (f.required && f.or ? [f.or] : [])));
  const required = spec.flags
    .filter((f) => f.required)
    .map((f) => {
      const other = f.or === undefined ? undefined : byName.get(f.or);
      return other ? `(${flagWords(f)} | ${flagWords(other)})` : flagWords(f);
    });
  const optional = spec.flags.filter((f) => !f.required && !standIns.has(f.name)).map((f) => `[${flagWords(f)}]`);
  return ['deepend', spec.command, spec.operands, ...required, ...optional].filter(Boolean).join(' ');
}

/** What `deepend COMMAND --help` prints: the usage line, the summary, and each flag with its one line. */
export function helpText(spec: CommandSpec): string {
  const width = Math.max(0, ...spec.flags.map((f) => flagWords(f).length));
  return [
    `usage: ${usageLine(spec)}`,
    '',
    spec.summary,
    ...(spec.flags.length > 0
      ? ['', ...spec.flags.map((f) => `  ${flagWords(f).padEnd(width)}  ${describeFlag(f)}`)]
      : []),
  ].join('\n');
}

/** What `deepend GROUP --help` prints: each subcommand's usage line and summary. */
export function groupHelp(group: CommandGroup): string {
  return [
    `deepend ${group.command}: ${group.summary}`,
    '',
    ...group.subcommands.flatMap((spec) => [`  ${usageLine(spec)}`, `      ${spec.summary}`]),
    '',
    ...(group.note ? [group.note] : []),
    `deepend ${group.command} SUBCOMMAND --help: that subcommand's flags, one line each`,
  ].join('\n');
}

/** The subcommand spec `words` name in a group ('rollout' in `fleet rollout`), or undefined. */
export function subcommandSpec(group: CommandGroup, word: string | undefined): CommandSpec | undefined {
  return group.subcommands.find((spec) => spec.command === `${group.command} ${word}`);
}

export function numberFlag(
  args: ParsedArgs,
  name: string,
  opts: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  const raw = args.values.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const kind = opts.integer ? 'a whole number' : 'a number';
  if (raw.trim() === '' || !Number.isFinite(value) || (opts.integer && !Number.isInteger(value)))
    throw new UsageError(`--${name} must be ${kind}, got '${raw}'`);
  if (opts.min !== undefined && value < opts.min)
    throw new UsageError(`--${name} must be at least ${opts.min}, got ${raw}`);
  if (opts.max !== undefined && value > opts.max)
    throw new UsageError(`--${name} must be at most ${opts.max}, got ${raw}`);
  return value;
}
