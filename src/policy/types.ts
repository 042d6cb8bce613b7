import type { PolicyFile } from './generated-types';

/** One rule as the policy file gives it (types compiled from POLICY_SCHEMA: ./generated-types.ts). */
type RuleInFile = PolicyFile['rules'][number];

/** Conditions on compute facts; every one that is set must hold. No conditions: matches every device. */
export type PolicyMatch = NonNullable<RuleInFile['match']>;

/** A rule after loading: `match` is always there (empty when the file has none). */
export type PolicyRule = Omit<RuleInFile, 'match'> & { match: PolicyMatch };

export interface Policy {
  name: string;
  /** sha256 hex of the file's bytes. */
  hash: string;
  rules: PolicyRule[];
  file: string;
}

/** One problem in a policy file; `line` is 1-based, null when the problem is the file itself. */
export interface PolicyProblem {
  file: string;
  line: number | null;
  /** Dotted path to the field: rules[2].gate.minGain; "yaml" for syntax errors, "file" when unreadable. */
  field: string;
  message: string;
}
