import { DeependError } from '../util/deepend-error';
import { PolicyProblem } from './types';

/** "file:line: field: message" (no line when the problem is the file itself). */
export function formatProblem(p: PolicyProblem): string {
  return `${p.file}${p.line === null ? '' : `:${p.line}`}: ${p.field}: ${p.message}`;
}

/** A policy that cannot be used: the message is one line (first problem and the count), `problems` has them all. */
export class PolicyError extends DeependError {
  readonly problems: PolicyProblem[];

  constructor(problems: PolicyProblem[]) {
    const more =
      problems.length > 1
        ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''}: run deepend policy check)`
        : '';
    super('policy', `${problems.length > 0 ? formatProblem(problems[0]) : 'invalid policy'}${more}`);
    this.name = 'PolicyError';
    this.problems = problems;
  }

  /** Every problem, one "file:line: field: message" per entry. */
  override get lines(): string[] {
    return this.problems.length > 0 ? this.problems.map(formatProblem) : [this.message];
  }
}
