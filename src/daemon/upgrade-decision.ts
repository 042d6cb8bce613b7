import type { PolicyRule } from '../policy';
import { describeTarget, ruleTarget } from '../policy/target';
import { insideWindow } from './maintenance-window';

export interface DecisionInput {
  /** The compute fingerprint now. */
  fingerprint: string;
  /** The fingerprint whose automatic upgrade is done with (reached, refused by policy, or ended without success). */
  handled: string | undefined;
  rule: PolicyRule | null;
  committedDepth: number;
  /** The depth the committed model's lineage was imported (or shipped) with: a rule's blocksMore counts from it. */
  baseDepth: number;
  now: Date;
}

export type Decision =
  /** Ask the runner for an automatic upgrade. */
  | { action: 'upgrade'; reason: string }
  /** Nothing to do for this fingerprint: remember it as handled. */
  | { action: 'none'; reason: string }
  /** Due, but not now (outside the window): ask again at the next detection. */
  | { action: 'wait'; reason: string };

/**
 * Whether an automatic upgrade is due. It is due when compute changed since
 * the last handled fingerprint (or on first start, when none is), the rule
 * allows automatic upgrades and asks for more depth than the committed model
 * has, and the window (when the rule sets one) contains the current minute.
 */
export function decideUpgrade(d: DecisionInput): Decision {
  if (d.handled === d.fingerprint)
    return { action: 'none', reason: 'compute unchanged since the last automatic upgrade decision' };
  if (!d.rule) return { action: 'none', reason: 'no policy rule matches this device' };
  const asks = describeTarget(d.rule, d.baseDepth);
  if (ruleTarget(d.rule, d.baseDepth) <= d.committedDepth)
    return {
      action: 'none',
      reason: `rule '${d.rule.name}' asks for ${asks}; the committed model has ${d.committedDepth}`,
    };
  if (!d.rule.automatic)
    return { action: 'none', reason: `rule '${d.rule.name}' asks for ${asks} on request only (automatic: false)` };
  if (d.rule.window && !insideWindow(d.rule.window, d.now))
    return { action: 'wait', reason: `outside the maintenance window '${d.rule.window}'` };
  return {
    action: 'upgrade',
    reason: `rule '${d.rule.name}' asks for ${asks}; the committed model has ${d.committedDepth}`,
  };
}
