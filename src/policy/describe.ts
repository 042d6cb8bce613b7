import { PolicyRule } from './types';
import { describeTarget } from './target';

function budget(b: PolicyRule['budget']): string {
  const parts = [
    b.epochs === undefined ? '' : `${b.epochs} epoch${b.epochs === 1 ? '' : 's'}`,
    b.minutes === undefined ? '' : `${b.minutes} min`,
  ].filter(Boolean);
  return parts.join(' or ');
}

/** What a rule decides, in one line: "depth 4 by dils, up to 2 blocks per job, budget 1 min, ...". */
export function describeDecision(rule: PolicyRule, baseDepth?: number): string {
  return [
    `${describeTarget(rule, baseDepth)} by ${rule.method}${rule.denseMethod && rule.denseMethod !== rule.method ? ` (${rule.denseMethod} on dense sites)` : ''}`,
    `up to ${rule.maxStep} block${rule.maxStep === 1 ? '' : 's'} per job`,
    `budget ${budget(rule.budget)}`,
    `gate: gain >= ${rule.gate.minGain}, accuracy >= ${rule.gate.minAccuracy}`,
    ...(rule.shadow
      ? [
          `shadow on ${rule.shadow.requests} live requests or ${rule.shadow.minutes} min, disagreement <= ${rule.shadow.maxDisagreement}${rule.shadow.maxLatencyRatio !== undefined ? `, p99 <= ${rule.shadow.maxLatencyRatio}x` : ''}`,
        ]
      : []),
    ...(rule.watch ? [`watch ${rule.watch.minutes} min after the swap, rolling back by itself past its limits`] : []),
    rule.automatic ? `automatic ${rule.window ? `in window '${rule.window}'` : 'at any time'}` : 'on request only',
  ].join(', ');
}
