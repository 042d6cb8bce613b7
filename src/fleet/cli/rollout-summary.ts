/* The end of a rollout: a table of every device and the totals. */
import { orDash } from './format';
import { batchLabel, failureRate } from './rollout-plan';
import type { DeviceRolloutStatus, RolloutRecord } from './rollout-state';
import { formatTable } from './table';

export interface RolloutTotals {
  succeeded: number;
  failed: number;
  /** Sent, no final answer: offline devices converge later through the retained desired document. */
  pending: number;
  /** Not sent: the rollout stopped (or was interrupted) before their batch. */
  notSent: number;
}

/** What a device's status is called in the summary. */
const SHOWN: Record<DeviceRolloutStatus, string> = {
  planned: 'not sent',
  sent: 'pending',
  running: 'pending',
  pending: 'pending',
  succeeded: 'succeeded',
  failed: 'failed',
};

export function rolloutTotals(r: RolloutRecord): RolloutTotals {
  const t: RolloutTotals = { succeeded: 0, failed: 0, pending: 0, notSent: 0 };
  for (const d of r.devices) {
    const shown = SHOWN[d.status];
    if (shown === 'succeeded') t.succeeded++;
    else if (shown === 'failed') t.failed++;
    else if (shown === 'pending') t.pending++;
    else t.notSent++;
  }
  return t;
}

export function summaryTable(r: RolloutRecord): string[] {
  return formatTable(
    ['DEVICE', 'BATCH', 'STATUS', 'DEPTH', 'REASON'],
    r.devices.map((d) => [
      d.device,
      batchLabel(r, d.batch),
      d.status === 'running' ? 'pending (running)' : SHOWN[d.status],
      orDash(d.depth),
      d.reason ?? '',
    ]),
  );
}

export function totalsLine(r: RolloutRecord): string {
  const t = rolloutTotals(r);
  const rate = failureRate(t.succeeded, t.failed);
  const outcome = r.status === 'running' ? 'interrupted' : r.status;
  return (
    `rollout ${r.id} ${outcome}: ${t.succeeded} succeeded, ${t.failed} failed, ${t.pending} pending, ${t.notSent} not sent; ` +
    `failures ${rate.toFixed(1)}% of answers (limit ${r.params.maxFailuresPct}%)`
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
    devices: r.devices.map((d) => ({
      device: d.device,
      batch: batchLabel(r, d.batch),
      status: d.status,
      depth: d.depth,
      jobId: d.jobId,
      reason: d.reason,
    })),
  };
}
