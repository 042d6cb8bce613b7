/** A usage error: printed as one line with exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  /** Flags that take a value. */
  values: readonly string[];
  /** Flags that are on or off. */
  switches?: readonly string[];
  required?: readonly string[];
}

export interface ParsedArgs {
  values: Map<string, string>;
  switches: Set<string>;
}

/** Parses `--name value`, `--name=value` and `--switch`; any other word is an error naming it. */
export function parseArgs(command: string, argv: string[], spec: FlagSpec): ParsedArgs {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (!word.startsWith('--')) throw new UsageError(`${command}: unexpected argument '${word}'`);
    const eq = word.indexOf('=');
    const name = word.slice(2, eq === -1 ? undefined : eq);
    if (spec.switches?.includes(name)) {
      if (eq !== -1) throw new UsageError(`${command}: --${name} takes no value`);
      switches.add(name);
    } else if (spec.values.includes(name)) {
      const value = eq === -1 ? argv[++i] : word.slice(eq + 1);
      if (value === undefined || (eq === -1 && value.startsWith('--')))
        throw new UsageError(`${command}: --${name} needs a value`);
      values.set(name, value);
    } else {
      throw new UsageError(`${command}: unknown option --${name}`);
    }
  }
  for (const name of spec.required ?? []) {
    if (!values.has(name)) throw new UsageError(`${command}: --${name} is required`);
  }
  return { values, switches };
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
