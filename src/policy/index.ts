/** Policies: the contract of docs/design/daemon.md (`src/policy/`). */
export { checkPolicy } from './check';
export { DEFAULT_POLICY_FILE } from './default-file';
export { formatProblem, PolicyError } from './errors';
export { loadPolicy } from './load';
export { checkConditions, matchRule } from './match';
export type { ConditionResult, RuleMatch } from './match';
export { POLICY_BACKENDS, POLICY_METHODS } from './names';
export type { Policy, PolicyMatch, PolicyProblem, PolicyRule } from './types';
export { describeDecision } from './describe';
