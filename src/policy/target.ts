import { PolicyRule } from './types';

/**
 * The depth a rule asks for on a model whose lineage started at `baseDepth`
 * (the depth it was imported or shipped with): targetDepth, or baseDepth +
 * blocksMore, so that "2 blocks more" is reached once, not on every upgrade.
 */
export function ruleTarget(rule: PolicyRule, baseDepth: number): number {
  return rule.targetDepth ?? baseDepth + (rule.blocksMore ?? 0);
}

/** "depth 4" or "2 blocks more than the imported model (depth 5)". */
export function describeTarget(rule: PolicyRule, baseDepth?: number): string {
  if (rule.targetDepth !== undefined) return `depth ${rule.targetDepth}`;
  const more = `${rule.blocksMore} block${rule.blocksMore === 1 ? '' : 's'} more than the imported model`;
  return baseDepth === undefined ? more : `${more} (depth ${ruleTarget(rule, baseDepth)})`;
}
