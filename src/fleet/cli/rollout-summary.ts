/* The end of a rollout: a table of every device, the totals, and each wave's (or batch's) figures. */
import { orDash } from './format';
import { batchLabel, failureRate, signedPoints, unitOf, WaveFigures, waveFigures } from './rollout-plan';
import type { RolloutDevice, RolloutRecord } from './rollout-state';
import { formatTable } from '../../cli-kit/table';

export interface RolloutTotals {
  succeeded: number;
  /** The device's gate refused the candidate (its job ended `rejected`). */
  rejected: number;
  failed: number;
  /** Sent, no final answer: offline devices converge later through the retained desired document. */
  pending: number;
  /** Not sent: the rollout stopped (or was interrupted) before their batch. */
  notSent: number;
}

/** What a device's status is called in the summary. */
function shown(d: RolloutDevice): 'succeeded' | 'rejected' | 'failed' | 'pending' | 'not sent' {
  switch (d.status) {
    case 'planned':
      return 'not sent';
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return d.jobStatus === 'rejected' ? 'rejected' : 'failed';
    default:
      return 'pending';
  }
}

export function rolloutTotals(r: RolloutRecord): RolloutTotals {
  const t: RolloutTotals = { succeeded: 0, rejected: 0, failed: 0, pending: 0, notSent: 0 };
  for (const d of r.devices) {
    const s = shown(d);
    if (s === 'not sent') t.notSent++;
    else t[s]++;
  }
  return t;
}

/** The gain of a device's job in points, when it was measured. */
function gainOf(d: RolloutDevice): number | null {
  return d.accuracyBefore === null || d.accuracyAfter === null ? null : (d.accuracyAfter - d.accuracyBefore) * 100;
}

function statusText(d: RolloutDevice): string {
  if (d.rollback === 'done') return 'rolled back';
  if (d.status === 'running') return 'pending (running)';
  return shown(d);
}

export function summaryTable(r: RolloutRecord): string[] {
  return formatTable(
    ['DEVICE', unitOf(r.params).toUpperCase(), 'STATUS', 'DEPTH', 'GAIN', 'REASON'],
    r.devices.map((d) => {
      const gain = gainOf(d);
      const rollback = d.rollback?.startsWith('failed') ? `rollback ${d.rollback}` : '';
      return [
        d.device,
        batchLabel(r, d.batch),
        statusText(d),
        orDash(d.depth),
        gain === null ? '-' : signedPoints(gain),
        [d.reason ?? '', rollback].filter(Boolean).join('; '),
      ];
    }),
  );
}

export function totalsLine(r: RolloutRecord): string {
  const t = rolloutTotals(r);
  const rate = failureRate(t.succeeded, t.failed + t.rejected);
  const outcome = r.status === 'running' ? 'interrupted' : r.status;
  return (
    `rollout ${r.id} ${outcome}: ${t.succeeded} succeeded, ${t.rejected} rejected, ${t.failed} failed, ${t.pending} pending, ${t.notSent} not sent; ` +
    `failures ${rate.toFixed(1)}% of answers (limit ${r.params.maxFailuresPct}%${unitOf(r.params) === 'wave' ? ' per wave' : ''})`
  );
}

/** The figures of every batch that was sent (a device of it is no longer `planned`). */
export function batchFigures(
  r: RolloutRecord,
): { batch: number; label: string; pct: number | null; figures: WaveFigures }[] {
  const out: { batch: number; label: string; pct: number | null; figures: WaveFigures }[] = [];
  for (let b = 0; b < r.batchCount; b++) {
    const devices = r.devices.filter((d) => d.batch === b);
    if (devices.every((d) => d.status === 'planned')) continue;
    out.push({ batch: b, label: batchLabel(r, b), pct: r.params.wavesPct?.[b] ?? null, figures: waveFigures(devices) });
  }
  return out;
}

/** One row per batch that was sent: its answers and quality figures. */
export function wavesTable(r: RolloutRecord): string[] {
  const rows = batchFigures(r);
  if (rows.length === 0) return [];
  return formatTable(
    [unitOf(r.params).toUpperCase(), 'DEVICES', 'SUCCEEDED', 'REJECTED', 'FAILED', 'PENDING', 'MEDIAN GAIN', 'WORST'],
    rows.map(({ label, pct, figures: f }) => [
      pct === null ? label : `${label} (${pct}%)`,
      f.devices,
      f.succeeded,
      f.rejected,
      f.failed,
      f.pending,
      f.medianGain === null ? '-' : signedPoints(f.medianGain),
      f.worst === null ? '-' : `${signedPoints(f.worst.gain)} (${f.worst.device})`,
    ]),
  );
}

export function summaryJson(r: RolloutRecord, stateFile: string): object {
  return {
    rolloutId: r.id,
    status: r.status,
    stateFile,
    params: r.params,
    totals: rolloutTotals(r),
    groupPublished: r.groupPublished,
    lostAtPlan: r.lostAtPlan,
    stop: r.stop === null ? null : { ...r.stop, [unitOf(r.params)]: batchLabel(r, r.stop.batch) },
    waves: batchFigures(r).map(({ label, pct, figures: f }) => ({
      [unitOf(r.params)]: label,
      pct,
      devices: f.devices,
      succeeded: f.succeeded,
      rejected: f.rejected,
      failed: f.failed,
      pending: f.pending,
      medianGain: f.medianGain,
      worst: f.worst,
    })),
    devices: r.devices.map((d) => ({
      device: d.device,
      batch: batchLabel(r, d.batch),
      status: d.status,
      jobStatus: d.jobStatus,
      depth: d.depth,
      jobId: d.jobId,
      reason: d.reason,
      accuracyBefore: d.accuracyBefore,
      accuracyAfter: d.accuracyAfter,
      rollback: d.rollback,
    })),
  };
}
