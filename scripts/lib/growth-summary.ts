// What bench:growth concludes from its runs: per data set and method figures, and issue 10's checks in words.
import { GROWTH_METHODS } from '../../src/grow/types';

export interface RunRecord {
  dataset: string;
  seed: number;
  /** What was asked for (`auto` included). */
  method: string;
  /** What ran (auto's choice). */
  chosen: string;
  before: number;
  afterInsertion: number;
  after: number;
  parentValidation: number;
  secondsToTarget: number | null;
  seconds: number;
  stage1Share: number;
  /** DILS local-fit steps (eq. 12-15 counts as one): 0 means Stage I found every start already fitted. */
  stage1Steps: number;
  stage2Steps: number;
  keptStep: number | null;
  commits: boolean;
  lowerBound: number | null;
  /** auto's trials, as report.json's auto.tried has them (with why one was skipped); absent for other methods. */
  autoTried?: { method: string; validationAccuracy?: number; steps?: number; seconds: number; skipped?: string }[];
}

export interface SummaryRow {
  dataset: string;
  method: string;
  runs: number;
  parentMean: number;
  mean: number;
  sd: number;
  worst: number;
  wins: number;
  belowParent: number;
  reached: number;
  meanSecondsToTarget: number | null;
  stage1Share: number;
  /** Runs in which DILS's Stage I fitted something: the others are identity plus noise, and count as identity. */
  stage1Fitted: number;
  commits: number;
}

/** "Below the parent" in issue 10: more than 0.1 point under it; "match": means within 0.1 point. */
const MARGIN = 0.001;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) =>
  xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}`;

function rowOf(dataset: string, method: string, runs: RunRecord[], all: RunRecord[]): SummaryRow {
  const reached = runs.filter((r) => r.secondsToTarget !== null);
  const wins = runs.filter((r) => {
    const best = Math.max(...all.filter((o) => o.seed === r.seed).map((o) => o.after));
    return r.after >= best;
  }).length;
  return {
    dataset,
    method,
    runs: runs.length,
    parentMean: mean(runs.map((r) => r.before)),
    mean: mean(runs.map((r) => r.after)),
    sd: sd(runs.map((r) => r.after)),
    worst: Math.min(...runs.map((r) => r.after)),
    wins,
    belowParent: runs.filter((r) => r.after < r.before - MARGIN).length,
    reached: reached.length,
    meanSecondsToTarget: reached.length > 0 ? mean(reached.map((r) => r.secondsToTarget!)) : null,
    stage1Share: mean(runs.map((r) => r.stage1Share)),
    stage1Fitted: runs.filter((r) => r.stage1Steps > 0).length,
    commits: runs.filter((r) => r.commits).length,
  };
}

/** Seconds to target where a run never reached it count as the whole run (a lower bound of its time). */
function meanTimeToTarget(runs: RunRecord[]): number {
  return mean(runs.map((r) => r.secondsToTarget ?? r.seconds));
}

function dilsAgainstIdentity(dataset: string, runs: RunRecord[]): string[] {
  const dils = runs.filter((r) => r.method === 'dils');
  const identity = runs.filter((r) => r.method === 'identity');
  if (dils.length === 0 || identity.length === 0) return [];
  const gap = mean(dils.map((r) => r.after)) - mean(identity.map((r) => r.after));
  const dilsTime = meanTimeToTarget(dils);
  const identityTime = meanTimeToTarget(identity);
  const belowAlone = dils.filter((d) => {
    const i = identity.find((r) => r.seed === d.seed);
    return d.after < d.before - MARGIN && i !== undefined && !(i.after < i.before - MARGIN);
  });
  return [
    `${dataset}: dils - identity mean ${pts(gap)} points: ${gap >= -MARGIN ? 'match or beat' : 'LOSES'}`,
    `${dataset}: mean seconds to target (unreached = whole run) dils ${dilsTime.toFixed(1)} vs identity ${identityTime.toFixed(1)}: ${dilsTime <= identityTime ? 'dils as fast or faster' : 'dils SLOWER'}`,
    `${dataset}: dils below its parent where identity is not: ${belowAlone.length === 0 ? 'never' : `splits ${belowAlone.map((r) => r.seed).join(', ')}`}`,
  ];
}

function autoAgainstBest(dataset: string, rows: SummaryRow[]): string[] {
  const auto = rows.find((r) => r.method === 'auto');
  const singles = rows.filter((r) => (GROWTH_METHODS as readonly string[]).includes(r.method));
  if (!auto || singles.length === 0) return [];
  const best = singles.reduce((a, b) => (b.mean > a.mean ? b : a));
  const gap = auto.mean - best.mean;
  return [
    `${dataset}: auto ${(auto.mean * 100).toFixed(2)}% vs best single method ${best.method} ${(best.mean * 100).toFixed(2)}%: ${pts(gap)} points, ${gap >= -0.002 ? 'within 0.2' : 'NOT within 0.2'}`,
  ];
}

function ceiling(dataset: string, rows: SummaryRow[]): string {
  const best = rows.reduce((a, b) => (b.mean > a.mean ? b : a));
  const room = best.mean - best.parentMean;
  return `${dataset}: parent ${(best.parentMean * 100).toFixed(2)}%, best mean ${best.method} ${(best.mean * 100).toFixed(2)}% (${pts(room)} points): ${room >= 0.01 ? 'parent at least 1 point below' : 'parent LESS than 1 point below'}`;
}

export function summariseRuns(runs: RunRecord[]): { rows: SummaryRow[]; checks: string[] } {
  const rows: SummaryRow[] = [];
  const checks: string[] = [];
  for (const dataset of [...new Set(runs.map((r) => r.dataset))]) {
    const ofData = runs.filter((r) => r.dataset === dataset);
    const dataRows = [...new Set(ofData.map((r) => r.method))].map((m) =>
      rowOf(
        dataset,
        m,
        ofData.filter((r) => r.method === m),
        ofData,
      ),
    );
    rows.push(...dataRows);
    checks.push(
      ceiling(dataset, dataRows),
      ...dilsAgainstIdentity(dataset, ofData),
      ...autoAgainstBest(dataset, dataRows),
    );
  }
  return { rows, checks };
}
