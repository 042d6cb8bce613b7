import { MAX_DEPTH } from '../limits';
import { GROWTH_METHODS, GrowthMethodName } from '../grow/types';
import type { PolicyRule } from '../policy/types';
import type { ModelVersionRow } from '../store/types';
import type { UpgradeRequest } from './types';

/** What planning decides; recorded in the `growing` transition so later steps and resumes use the same figures. */
export interface UpgradePlan {
  fromVersion: number;
  fromDepth: number;
  toDepth: number;
  method: GrowthMethodName;
  budget: { seconds?: number; epochs?: number };
  gate: { minGain: number; minAccuracy: number };
  rule: string;
}

export type PlanOutcome = { plan: UpgradePlan } | { rejected: string };

/** Stage II epochs when a rule sets neither minutes nor epochs (as `deepend grow` does). */
const FALLBACK_EPOCHS = 3;

/** Why a request cannot even be queued, or null. */
export function requestProblem(req: UpgradeRequest): string | null {
  if (!['automatic', 'manual', 'fleet'].includes(req.trigger)) return `trigger must be automatic, manual or fleet, got ${JSON.stringify(req.trigger)}`;
  if (req.toDepth !== undefined && !(Number.isInteger(req.toDepth) && req.toDepth >= 1 && req.toDepth <= MAX_DEPTH)) return `toDepth must be a whole number from 1 to ${MAX_DEPTH}, got ${JSON.stringify(req.toDepth)}`;
  if (req.method !== undefined && !GROWTH_METHODS.includes(req.method)) return `method must be one of ${GROWTH_METHODS.join(', ')}, got ${JSON.stringify(req.method)}`;
  return null;
}

/**
 * Target depth = the request's, else the rule's, capped at `maxStep` blocks
 * above the committed model; a target at or below its depth is nothing to do.
 */
export function planUpgrade(committed: ModelVersionRow, rule: PolicyRule | null, req: UpgradeRequest): PlanOutcome {
  if (!rule) return { rejected: 'no policy rule matches this device' };
  const target = req.toDepth ?? rule.targetDepth;
  if (target <= committed.depth) {
    return { rejected: `nothing to do: v${committed.version} already has depth ${committed.depth} (target ${target}, rule ${rule.name})` };
  }
  const toDepth = Math.min(target, committed.depth + rule.maxStep);
  const seconds = rule.budget.minutes !== undefined ? rule.budget.minutes * 60 : undefined;
  const epochs = rule.budget.epochs ?? (seconds === undefined ? FALLBACK_EPOCHS : undefined);
  return {
    plan: {
      fromVersion: committed.version,
      fromDepth: committed.depth,
      toDepth,
      method: req.method ?? rule.method,
      budget: { seconds, epochs },
      gate: { minGain: rule.gate.minGain, minAccuracy: rule.gate.minAccuracy },
      rule: rule.name,
    },
  };
}
