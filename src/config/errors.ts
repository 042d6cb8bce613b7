import { ConfigProblem } from './types';

/** "file:line: field: message", or "DEEPEND_X=value: field: message". */
export function formatConfigProblem(p: ConfigProblem): string {
  return `${p.source}${p.line === null ? '' : `:${p.line}`}: ${p.field}: ${p.message}`;
}

/** Config that cannot be used: one line (the first problem and how many more); `problems` has them all. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super(`${problems.length > 0 ? formatConfigProblem(problems[0]) : 'invalid config'}${more}`);
    this.name = 'ConfigError';
  }

  get lines(): string[] {
    return this.problems.map(formatConfigProblem);
  }
}
