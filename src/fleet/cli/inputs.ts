/* Flag checks the deepen and rollout subcommands share. */
import { FlagDoc, numberFlag, ParsedArgs, UsageError } from '../../cli-kit/args';
import { GROWTH_METHODS, type GrowthMethodName, isGrowthMethod } from '../../growth-methods';

/** The contract's depth range (schemas: depth 1..64). */
export const MAX_DEPTH = 64;

/** Required by the deepen and rollout subcommands, except when resuming a rollout, so not marked required here. */
export const TO_DEPTH_FLAG: FlagDoc = {
  name: 'to-depth',
  value: 'N',
  description: `the depth to grow to (1..${MAX_DEPTH})`,
};

export const METHOD_FLAG: FlagDoc = {
  name: 'method',
  value: 'M',
  description: `how new layers start: ${GROWTH_METHODS.join(', ')} (default: the device's policy rule)`,
};

export function toDepthFlag(args: ParsedArgs): number {
  if (!args.values.has('to-depth')) throw new UsageError('--to-depth is required');
  return numberFlag(args, 'to-depth', { integer: true, min: 1, max: MAX_DEPTH })!;
}

export function methodFlag(args: ParsedArgs): GrowthMethodName | null {
  const method = args.values.get('method');
  if (method === undefined) return null;
  if (!isGrowthMethod(method))
    throw new UsageError(`--method must be one of ${GROWTH_METHODS.join(', ')}, got '${method}'`);
  return method;
}

/** A percentage 0..100 (more than 0 when `positive`); required unless there is a fallback. */
export function percentFlag(
  args: ParsedArgs,
  name: string,
  opts: { fallback?: number; positive?: boolean } = {},
): number {
  if (!args.values.has(name)) {
    if (opts.fallback !== undefined) return opts.fallback;
    throw new UsageError(`--${name} PCT is required`);
  }
  const value = numberFlag(args, name, { min: 0, max: 100 })!;
  if (opts.positive && value === 0) throw new UsageError(`--${name} must be more than 0, got ${args.values.get(name)}`);
  return value;
}

export function secondsFlag(args: ParsedArgs, name: string, fallback: number): number {
  const value = numberFlag(args, name, { min: 0 }) ?? fallback;
  if (value <= 0) throw new UsageError(`--${name} must be more than 0 seconds, got ${args.values.get(name)}`);
  return value;
}
