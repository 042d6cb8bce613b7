import type { MethodChoice } from '../growth-methods';
import { inexactIdentityReason } from '../grow/methods/identity-exact';
import { seedRefusal } from '../grow/seed';
import type { ArchSpec } from '../model/arch';
import type { PolicyRule } from '../policy/types';

export interface RuleMethod {
  method: MethodChoice;
  /** Why, when it is not the rule's `method`, or when `denseMethod` could not be used. */
  reason?: string;
}

/**
 * The method a rule grows this model with: `denseMethod` where every growth
 * site is a Dense layer (an MLP, the dense head after a frozen part, or a head
 * with no hidden layer, which first gets a Dense one: grow/seed.ts), else
 * `method`. Identity is used only where it is exact at every site; otherwise
 * the rule's `method` grows and the reason says why. The default policy sets
 * `denseMethod: identity` because DILS lost to identity on the MLP set in 5 of
 * 5 splits (docs/design/dils.md, fourth round).
 */
export function ruleMethodFor(rule: PolicyRule, arch: ArchSpec | undefined): RuleMethod {
  const dense = rule.denseMethod;
  if (!dense || dense === rule.method || !arch) return { method: rule.method };
  if (arch.blocks.length === 0) {
    if (seedRefusal(arch)) return { method: rule.method };
    return {
      method: dense,
      reason: `the one growth site is the Dense first hidden layer the head gets (rule ${rule.name}'s denseMethod)`,
    };
  }
  if (!arch.blocks.every((b) => b.kind === 'dense')) return { method: rule.method };
  if (dense === 'identity') {
    const inexact = arch.blocks.map(inexactIdentityReason).find((r) => r);
    if (inexact) return { method: rule.method, reason: `denseMethod identity not used: ${inexact}` };
  }
  return { method: dense, reason: `every growth site is a Dense layer (rule ${rule.name}'s denseMethod)` };
}
