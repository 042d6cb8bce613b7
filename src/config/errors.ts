import { DeependError } from '../util/deepend-error';
import { ConfigProblem } from './types';

/** "file:line: field: message", or "DEEPEND_X=value: field: message". */
export function formatConfigProblem(p: ConfigProblem): string {
  return `${p.source}${p.line === null ? '' : `:${p.line}`}: ${p.field}: ${p.message}`;
}

/** Config that cannot be used: one line (the first problem and how many more); `problems` has them all. */
export class ConfigError extends DeependError {
  constructor(readonly problems: ConfigProblem[]) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super('config', `${problems.length > 0 ? formatConfigProblem(problems[0]) : 'invalid config'}${more}`);
    this.name = 'ConfigError';
  }

  override get lines(): string[] {
    return this.problems.length > 0 ? this.problems.map(formatConfigProblem) : [this.message];
  }
}
