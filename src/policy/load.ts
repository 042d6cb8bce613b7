import { readPolicy } from './check';
import { PolicyError } from './errors';
import { Policy } from './types';

/** Loads and validates a policy file; throws one PolicyError listing every problem. */
export function loadPolicy(file: string): Policy {
  const analysis = readPolicy(file);
  if (analysis.problems.length > 0 || !analysis.rules) throw new PolicyError(analysis.problems);
  return { name: analysis.name!, hash: analysis.hash!, rules: analysis.rules, file };
}
