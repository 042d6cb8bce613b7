import type { PolicyRule } from './types';

/** Automatic upgrades the gate rejected are tried again this many times (another seed) unless the rule says otherwise. */
export const DEFAULT_RETRIES = 2;

export function retriesOf(rule: PolicyRule): number {
  return rule.retries ?? DEFAULT_RETRIES;
}
