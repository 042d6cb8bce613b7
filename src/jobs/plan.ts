import { MAX_DEPTH } from '../limits';
import { METHOD_CHOICES, MethodChoice } from '../growth-methods';
import type { PolicyRule } from '../policy/types';
import { ruleTarget } from '../policy/target';
import { gateSettings, GateSettings } from '../policy/gate';
import type { ModelVersionRow } from '../store/types';
import type { UpgradeRequest } from './types';
import { HELD_OUT_FRACTION, MAX_HELD_OUT_FRACTION } from './held-out-share';
import type { ArchSpec } from '../model/arch';
import { ruleMethodFor } from './rule-method';
import type { ShadowSettings } from './shadow-run';
import type { WatchSettings } from './swap-watch';

/** What planning decides; recorded in the `growing` transition so later steps and resumes use the same figures. */
export interface UpgradePlan {
  fromVersion: number;
  fromDepth: number;
  toDepth: number;
  method: MethodChoice;
  /** Why `method` is not the rule's `method` (its denseMethod), when so. */
  methodReason?: string;
  budget: { seconds?: number; epochs?: number };
  gate: GateSettings;
  rule: string;
  /** The growth's random seed: another one on each retry of a rejected upgrade. */
  seed: number;
  /** 1 for the first try of an upgrade, 2 for its first retry, ... */
  attempt: number;
  /** The share of the local data held out for the gate (absent in plans recorded before it could change). */
  heldOutFraction?: number;
  /** The rule's shadow run between the gate and the swap, when it has one. */
  shadow?: ShadowSettings;
  /** The rule's watch after the swap, when it has one. */
  watch?: WatchSettings;
}

export type PlanOutcome = { plan: UpgradePlan } | { rejected: string };

/** Stage II epochs when a rule sets neither minutes nor epochs (as `deepend grow` does). */
const FALLBACK_EPOCHS = 3;

/**
 * At most this many Stage II epochs when a rule sets minutes but no epochs. On a small table minutes are
 * thousands of epochs, and they overfit: the 400- and 300-row Keras fixtures, grown 1 minute (6,700 to 9,000
 * epochs) on 3 splits each, lost 3.3 to 10 points on 4 of the 6 (mean -3.75); capped at 30 epochs, -1.67 to 0
 * (mean -0.90), in about a second each (docs/design/detect-and-policy.md).
 * The shipped digits get 1.0 to 2.2 epochs in the cpu rule's minute on 2 cores: the cap does not reach them.
 */
export const MINUTES_EPOCH_CAP = 30;

/** Why a request cannot even be queued, or null. */
export function requestProblem(req: UpgradeRequest): string | null {
  if (!['automatic', 'manual', 'fleet'].includes(req.trigger))
    return `trigger must be automatic, manual or fleet, got ${JSON.stringify(req.trigger)}`;
  if (req.toDepth !== undefined && !(Number.isInteger(req.toDepth) && req.toDepth >= 1 && req.toDepth <= MAX_DEPTH))
    return `toDepth must be a whole number from 1 to ${MAX_DEPTH}, got ${JSON.stringify(req.toDepth)}`;
  if (req.method !== undefined && !METHOD_CHOICES.includes(req.method))
    return `method must be one of ${METHOD_CHOICES.join(', ')}, got ${JSON.stringify(req.method)}`;
  if (req.attempt !== undefined && !(Number.isInteger(req.attempt) && req.attempt >= 1))
    return `attempt must be a whole number >= 1, got ${JSON.stringify(req.attempt)}`;
  const share = req.heldOutFraction;
  if (share !== undefined && !(typeof share === 'number' && share >= 0.05 && share <= MAX_HELD_OUT_FRACTION))
    return `heldOutFraction must be from 0.05 to ${MAX_HELD_OUT_FRACTION}, got ${JSON.stringify(share)}`;
  return null;
}

/** Attempt 1 keeps the seed growth always had (1); each retry starts 1000 further, clear of the seeds its stages derive. */
export function seedOfAttempt(attempt: number): number {
  return 1 + 1000 * (attempt - 1);
}

/**
 * Target depth = the request's, else the rule's, capped at `maxStep` blocks
 * above the committed model; a target at or below its depth is nothing to do.
 * Method = the request's, else the rule's for this model's sites (`arch`, see ruleMethodFor).
 */
export function planUpgrade(
  committed: ModelVersionRow,
  rule: PolicyRule | null,
  req: UpgradeRequest,
  baseDepth: number,
  arch?: ArchSpec,
): PlanOutcome {
  if (!rule) return { rejected: 'no policy rule matches this device' };
  const target = req.toDepth ?? ruleTarget(rule, baseDepth);
  if (target <= committed.depth) {
    return {
      rejected: `nothing to do: v${committed.version} already has depth ${committed.depth} (target ${target}, rule ${rule.name})`,
    };
  }
  const toDepth = Math.min(target, committed.depth + rule.maxStep);
  const seconds = rule.budget.minutes !== undefined ? rule.budget.minutes * 60 : undefined;
  const epochs = rule.budget.epochs ?? (seconds === undefined ? FALLBACK_EPOCHS : MINUTES_EPOCH_CAP);
  const chosen = req.method !== undefined ? { method: req.method } : ruleMethodFor(rule, arch);
  return {
    plan: {
      fromVersion: committed.version,
      fromDepth: committed.depth,
      toDepth,
      method: chosen.method,
      ...(chosen.reason ? { methodReason: chosen.reason } : {}),
      budget: { seconds, epochs },
      gate: gateSettings(rule.gate),
      rule: rule.name,
      seed: seedOfAttempt(req.attempt ?? 1),
      attempt: req.attempt ?? 1,
      heldOutFraction: req.heldOutFraction ?? HELD_OUT_FRACTION,
      ...(rule.shadow ? { shadow: { ...rule.shadow } } : {}),
      ...(rule.watch ? { watch: { ...rule.watch } } : {}),
    },
  };
}
