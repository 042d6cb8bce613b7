/*
 * The arithmetic of a rollout (pure): which devices go in which batch or
 * wave, when failures have passed the threshold, and whether a wave passes
 * its stop rule on failures and on measured quality.
 */
import { randomBytes } from 'node:crypto';
import type { RolloutMessage } from '../../contract/messages';
import { compareCodeUnits } from '../../util/compare';

/** What a rollout was asked for; identical parameters find an unfinished rollout to resume. */
/** What a rollout was asked for: the contract's rollout parameters (src/contract/messages.ts), and the fleet. */
export type RolloutParams = { fleet: string } & RolloutMessage['params'];

/** The parameters added with waves, as a rollout saved before them had them. */
export const WAVE_DEFAULTS: Pick<
  RolloutParams,
  'wavesPct' | 'pauseS' | 'minMedianGain' | 'maxLoss' | 'rollbackOnStop'
> = {
  wavesPct: null,
  pauseS: 0,
  minMedianGain: null,
  maxLoss: null,
  rollbackOnStop: false,
};

/** Batch 0 is the canary when canaryPct > 0; with waves, batch i is wave i + 1. */
export interface RolloutPlan {
  devices: string[];
  batches: string[][];
  hasCanary: boolean;
  /** The --waves percentages of the waves kept (a wave that would add no device is dropped); absent without --waves. */
  wavesPct?: number[];
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

/**
 * Waves: cumulative percentages of the target set; wave i ends at
 * ceil(pct_i% of n) devices, at least one more than the wave before; a wave
 * that would add no device (n reached) is dropped.
 */
export function planWaves(devices: readonly string[], wavesPct: readonly number[]): RolloutPlan {
  const sorted = [...new Set(devices)].sort(compareCodeUnits);
  const n = sorted.length;
  const batches: string[][] = [];
  const kept: number[] = [];
  let end = 0;
  for (const pct of wavesPct) {
    if (end >= n) break;
    const next = Math.min(n, Math.max(end + 1, share(pct, n)));
    batches.push(sorted.slice(end, next));
    kept.push(pct);
    end = next;
  }
  // The last percentage is 100 (checked with the flag), so every device is in a wave.
  return { devices: sorted, batches, hasCanary: false, wavesPct: kept };
}

/** `1,10,50,100`: increasing percentages, each in (0, 100], the last 100; else null and what is wrong. */
export function parseWaves(text: string): { waves: number[] } | { problem: string } {
  const parts = text.split(',').map((p) => p.trim());
  const waves: number[] = [];
  for (const part of parts) {
    const value = Number(part);
    if (part === '' || !Number.isFinite(value))
      return { problem: `'${part}' is not a percentage (give increasing percentages, e.g. 1,10,50,100)` };
    if (value <= 0 || value > 100) return { problem: `${part} is not a percentage in (0, 100]` };
    if (waves.length > 0 && value <= waves[waves.length - 1])
      return { problem: `${part} does not increase on ${waves[waves.length - 1]} (the waves are cumulative)` };
    waves.push(value);
  }
  if (waves[waves.length - 1] !== 100) return { problem: 'the last wave must be 100 (every device of the target set)' };
  return { waves };
}

const DURATION = /^(\d+(?:\.\d+)?)(s|m|h)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `90s`, `10m`, `1.5h`: seconds, or null when it is not a duration with its unit. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]] : null;
}

/** A duration for messages: `90s`, `10m`, `2h`. */
export function durationText(seconds: number): string {
  if (seconds >= 3600 && seconds % 360 === 0) return `${seconds / 3600}h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** What a wave's stop rule reads of one device. */
export interface WaveDeviceResult {
  device: string;
  /** The rollout's view: succeeded / failed from `reported`, pending or not answered otherwise. */
  status: string;
  /** The terminal status of its job (from jobs/JOBID): tells a rejected candidate from a failure. */
  jobStatus: string | null;
  accuracyBefore: number | null;
  accuracyAfter: number | null;
}

export interface WaveFigures {
  devices: number;
  succeeded: number;
  rejected: number;
  failed: number;
  pending: number;
  /** Gains in points (accuracyAfter - accuracyBefore, x100) of the devices that succeeded with a measured job. */
  gains: { device: string; gain: number }[];
  medianGain: number | null;
  /** The lowest gain (negative: a loss) and whose it is. */
  worst: { device: string; gain: number } | null;
}

/** Rounded to 1/10000 of a point: float noise (0.974 - 0.97) does not decide a rule. */
function points(before: number, after: number): number {
  return Math.round((after - before) * 100 * 1e4) / 1e4;
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function waveFigures(devices: readonly WaveDeviceResult[]): WaveFigures {
  const f: WaveFigures = {
    devices: devices.length,
    succeeded: 0,
    rejected: 0,
    failed: 0,
    pending: 0,
    gains: [],
    medianGain: null,
    worst: null,
  };
  for (const d of devices) {
    if (d.status === 'succeeded') {
      f.succeeded++;
      if (d.accuracyBefore !== null && d.accuracyAfter !== null && d.jobStatus === 'succeeded')
        f.gains.push({ device: d.device, gain: points(d.accuracyBefore, d.accuracyAfter) });
    } else if (d.status === 'failed') {
      if (d.jobStatus === 'rejected') f.rejected++;
      else f.failed++;
    } else f.pending++;
  }
  f.medianGain = median(f.gains.map((g) => g.gain));
  for (const g of f.gains) if (f.worst === null || g.gain < f.worst.gain) f.worst = g;
  return f;
}

/** `+0.40`, `-1.20`: points with their sign. */
export function signedPoints(x: number): string {
  const r = Math.round(x * 100) / 100;
  const sign = Math.sign(r);
  return `${['-', '', '+'][sign + 1]}${Math.abs(r).toFixed(2)}`;
}

/** `median gain +0.40 points, worst -1.20 (dev-c)`; `no gains measured`. */
export function qualityText(f: WaveFigures): string {
  if (f.medianGain === null || f.worst === null) return 'no gains measured';
  return `median gain ${signedPoints(f.medianGain)} points, worst ${signedPoints(f.worst.gain)} (${f.worst.device})`;
}

export type WaveVerdict =
  | { pass: true }
  | { pass: false; rule: 'max-failures' | 'min-median-gain' | 'max-loss'; why: string };

/**
 * A wave passes when at most maxFailuresPct% of its devices that answered
 * failed or were rejected, the median of its measured gains is at least
 * minMedianGain, and none lost more than maxLoss points. With no gain
 * measured (no device of the wave ran a job that succeeded) the two quality
 * rules have nothing to judge and do not stop it.
 */
export function judgeWave(
  f: WaveFigures,
  p: Pick<RolloutParams, 'maxFailuresPct' | 'minMedianGain' | 'maxLoss'>,
): WaveVerdict {
  const bad = f.failed + f.rejected;
  const answered = f.succeeded + bad;
  if (answered > 0 && bad * 100 > p.maxFailuresPct * answered)
    return {
      pass: false,
      rule: 'max-failures',
      why: `${bad} of ${answered} answers failed or were rejected (${((bad * 100) / answered).toFixed(1)}%, limit ${p.maxFailuresPct}%)`,
    };
  if (p.maxLoss !== null && f.worst !== null && -f.worst.gain > p.maxLoss)
    return {
      pass: false,
      rule: 'max-loss',
      why: `${f.worst.device} lost ${signedPoints(-f.worst.gain).replace('+', '')} points (limit ${p.maxLoss}); ${qualityText(f)}`,
    };
  if (p.minMedianGain !== null && f.medianGain !== null && f.medianGain < p.minMedianGain)
    return {
      pass: false,
      rule: 'min-median-gain',
      why: `median gain ${signedPoints(f.medianGain)} points is below ${p.minMedianGain} (${f.gains.length} measured); ${qualityText(f)}`,
    };
  return { pass: true };
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

/** What a batch is called: `wave` with --waves, else `batch`. */
export function unitOf(params: Pick<RolloutParams, 'wavesPct'>): 'wave' | 'batch' {
  return params.wavesPct ? 'wave' : 'batch';
}

/** The label of batch i in tables and progress lines. */
export function batchLabel(plan: { hasCanary: boolean }, index: number): string {
  if (!plan.hasCanary) return String(index + 1);
  return index === 0 ? 'canary' : String(index);
}

/** Parameters that define a rollout, as a stable key. */
export function paramsKey(p: RolloutParams): string {
  const base = [p.fleet, p.group, p.toDepth, p.method, p.canaryPct, p.batchPct, p.maxFailuresPct];
  // A rollout saved before waves keeps its key.
  const w = { ...WAVE_DEFAULTS, ...p };
  const waves = [w.wavesPct, w.pauseS, w.minMedianGain, w.maxLoss, w.rollbackOnStop];
  return JSON.stringify(
    JSON.stringify(waves) === JSON.stringify(Object.values(WAVE_DEFAULTS)) ? base : [...base, ...waves],
  );
}
