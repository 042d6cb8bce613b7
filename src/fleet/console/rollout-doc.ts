/*
 * What the console shows of a rollout: its retained `rollout/ROLLOUTID`
 * message (written by whichever CLI runs it) folded into the figures the CLI's
 * own summary prints: every wave or batch, sent or not, with its answers and
 * quality figures, the totals, and why it stopped.
 */
import type { RolloutMessage } from '../../contract/messages';
import { batchLabel, unitOf, waveFigures } from '../cli/rollout-plan';
import { rolloutTotals, type RolloutTotals } from '../cli/rollout-summary';
import { recordOfMessage } from '../cli/rollout-topic';

export interface RolloutWaveDoc {
  /** `1`, `2`, ... or `canary`. */
  label: string;
  /** The wave's cumulative share of the target set; null for batches. */
  pct: number | null;
  /** Some device of it was sent the command. */
  sent: boolean;
  devices: number;
  /** Its devices, sorted. */
  deviceIds: string[];
  succeeded: number;
  rejected: number;
  failed: number;
  pending: number;
  /** Points; null until a gain was measured. */
  medianGain: number | null;
  worst: { device: string; gain: number } | null;
}

export interface RolloutDoc {
  id: string;
  status: RolloutMessage['status'];
  /** 'wave' with --waves, else 'batch'. */
  unit: 'wave' | 'batch';
  params: RolloutMessage['params'];
  /** The wave being sent or waited for (0-based); `waves.length` once all are done. */
  current: number;
  nextAt: string | null;
  /** Held by the operator before its next wave: who and since when. */
  paused: { at: string; by: string } | null;
  stop: { label: string; rule: string; why: string } | null;
  lostAtPlan: RolloutMessage['lostAtPlan'];
  totals: RolloutTotals;
  waves: RolloutWaveDoc[];
  createdAt: string;
  updatedAt: string;
}

export function rolloutDoc(m: RolloutMessage): RolloutDoc {
  const r = recordOfMessage(m);
  const waves: RolloutWaveDoc[] = [];
  for (let b = 0; b < r.batchCount; b++) {
    const devices = r.devices.filter((d) => d.batch === b);
    const { gains: _gains, ...figures } = waveFigures(devices);
    waves.push({
      label: batchLabel(r, b),
      pct: r.params.wavesPct?.[b] ?? null,
      sent: devices.some((d) => d.status !== 'planned'),
      deviceIds: devices.map((d) => d.device).sort(),
      ...figures,
    });
  }
  return {
    id: r.id,
    status: r.status,
    unit: unitOf(r.params),
    params: m.params,
    current: r.currentBatch,
    nextAt: r.nextBatchAt,
    paused: r.paused,
    stop: r.stop && { label: batchLabel(r, r.stop.batch), rule: r.stop.rule, why: r.stop.why },
    lostAtPlan: r.lostAtPlan,
    totals: rolloutTotals(r),
    waves,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}
