import { ConfigError } from '../config/errors';
import { PolicyError } from '../policy/errors';
import { AbortedError } from '../train/progress';
import { UsageError } from '../cli-kit/args';

/**
 * What a failed command prints, one line each: every problem of a config or
 * policy file (each at file:line), else the error's first line.
 */
export function errorLines(err: unknown): string[] {
  if ((err instanceof ConfigError || err instanceof PolicyError) && err.problems.length > 0) return err.lines;
  return [err instanceof Error ? err.message.split('\n')[0] : String(err)];
}

/** 2 for a usage error, 130 when interrupted (as for SIGINT), else 1. */
export function errorExitCode(err: unknown): number {
  if (err instanceof UsageError) return 2;
  if (err instanceof AbortedError) return 130;
  return 1;
}
