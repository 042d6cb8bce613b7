/*
 * The arithmetic of a rollout (pure): which devices go in which batch, and
 * when failures have passed the threshold.
 */
import { randomBytes } from 'node:crypto';
import { compareCodeUnits } from '../../util/compare';

/** What a rollout was asked for; identical parameters find an unfinished rollout to resume. */
export interface RolloutParams {
  fleet: string;
  group: string | null;
  toDepth: number;
  method: string | null;
  canaryPct: number;
  batchPct: number;
  maxFailuresPct: number;
}

/** Batch 0 is the canary when canaryPct > 0. */
export interface RolloutPlan {
  devices: string[];
  batches: string[][];
  hasCanary: boolean;
}

function share(pct: number, n: number): number {
  // Percentages may be fractional; the tolerance keeps float error (0.07 * 100 = 7.000000000000001) from adding a device.
  return Math.ceil((pct * n) / 100 - 1e-9);
}

/** Canary: ceil(canaryPct% of n) devices (at least 1 when canaryPct > 0); then batches of ceil(batchPct% of n) (at least 1). */
export function planRollout(devices: readonly string[], canaryPct: number, batchPct: number): RolloutPlan {
  const sorted = [...new Set(devices)].sort(compareCodeUnits);
  const n = sorted.length;
  const canary = canaryPct > 0 ? Math.min(n, Math.max(1, share(canaryPct, n))) : 0;
  const size = Math.max(1, share(batchPct, n));
  const batches: string[][] = [];
  if (canary > 0) batches.push(sorted.slice(0, canary));
  for (let i = canary; i < n; i += size) batches.push(sorted.slice(i, i + size));
  return { devices: sorted, batches, hasCanary: canary > 0 };
}

/** Stop when failed / (succeeded + failed) > maxFailuresPct%; devices that have not answered do not count. */
export function failuresPastThreshold(succeeded: number, failed: number, maxFailuresPct: number): boolean {
  const decided = succeeded + failed;
  if (decided === 0) return false;
  return failed * 100 > maxFailuresPct * decided;
}

export function failureRate(succeeded: number, failed: number): number {
  const decided = succeeded + failed;
  return decided === 0 ? 0 : (failed * 100) / decided;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** r-YYYYMMDDHHMMSS-xxxx (UTC), a valid topic segment. */
export function newRolloutId(
  now: Date = new Date(),
  random: () => string = () => randomBytes(2).toString('hex'),
): string {
  const stamp = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return `r-${stamp}-${random()}`;
}

/** The label of batch i in tables and progress lines. */
export function batchLabel(plan: { hasCanary: boolean }, index: number): string {
  if (!plan.hasCanary) return String(index + 1);
  return index === 0 ? 'canary' : String(index);
}

/** Parameters that define a rollout, as a stable key. */
export function paramsKey(p: RolloutParams): string {
  return JSON.stringify([p.fleet, p.group, p.toDepth, p.method, p.canaryPct, p.batchPct, p.maxFailuresPct]);
}
