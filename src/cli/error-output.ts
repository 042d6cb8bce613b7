import { renderError } from '../util/error-render';

/**
 * What a failed command prints, one line each: every problem of a config or
 * policy file (each at file:line), else the error's first line; then its hint.
 */
export function errorLines(err: unknown): string[] {
  return renderError(err).lines;
}

/** By the error's code: 2 for a usage error, 130 when interrupted (as for SIGINT), else 1. */
export function errorExitCode(err: unknown): number {
  return renderError(err).exitCode;
}
