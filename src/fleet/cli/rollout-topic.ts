import { firstLine } from '../../util/deepend-error';
/*
 * A rollout on the broker: its plan and progress as one retained message on
 * deepend/v1/FLEET/rollout/ROLLOUTID (the contract's `rollout` kind),
 * rewritten as it advances, so that a second CLI (or the console) sees it and
 * `deepend fleet rollout --resume ROLLOUTID` carries it on from another
 * machine or home after the first CLI exited. The local state file stays the
 * first record (written before anything is published); this is its copy.
 */
import type { RolloutMessage } from '../../contract/messages';
import { rolloutTopic } from '../../contract/topics';
import { decodeMessage, encodeMessage } from '../../contract/validate';
import { WAVE_DEFAULTS } from './rollout-plan';
import type { RolloutRecord, RolloutStateFile } from './rollout-state';
import type { FleetSession } from './session';
import { unlessAborted } from './wait';

/** A rollout message holds every device: more than a device's payload limit; the fleet side reads up to this. */
export const MAX_ROLLOUT_BYTES = 4 * 1024 * 1024;
/** Progress is written at most this often; every wave's end, stop and completion at once. */
const THROTTLE_MS = 500;

export function rolloutMessage(r: RolloutRecord, now: Date = new Date()): RolloutMessage {
  const { fleet, ...params } = r.params;
  return {
    rolloutId: r.id,
    fleet,
    status: r.status,
    params,
    hasCanary: r.hasCanary,
    batchCount: r.batchCount,
    currentBatch: r.currentBatch,
    nextBatchAt: r.nextBatchAt,
    groupPublished: r.groupPublished,
    stop: r.stop,
    paused: r.paused,
    lostAtPlan: r.lostAtPlan,
    devices: r.devices.map((d) => ({
      device: d.device,
      batch: d.batch,
      status: d.status,
      depth: d.depth,
      jobId: d.jobId,
      jobStatus: d.jobStatus,
      accuracyBefore: d.accuracyBefore,
      accuracyAfter: d.accuracyAfter,
      reason: d.reason,
      rollback: d.rollback,
    })),
    createdAt: r.createdAt,
    ts: now.toISOString(),
  };
}

export function recordOfMessage(m: RolloutMessage): RolloutRecord {
  return {
    id: m.rolloutId,
    params: { ...WAVE_DEFAULTS, fleet: m.fleet, ...m.params },
    status: m.status,
    hasCanary: m.hasCanary,
    batchCount: m.batchCount,
    currentBatch: m.currentBatch,
    groupPublished: m.groupPublished,
    nextBatchAt: m.nextBatchAt,
    stop: m.stop,
    paused: m.paused ?? null,
    lostAtPlan: m.lostAtPlan,
    createdAt: m.createdAt,
    updatedAt: m.ts,
    devices: m.devices.map((d) => ({ ...d })),
  };
}

/** One rollout's retained rollout/ID, followed through the session's subscription until closed. */
export class RetainedRollout {
  private latest: RolloutMessage | null = null;
  private readonly listeners = new Set<(m: RolloutMessage) => void>();
  private readonly detach: () => void;

  private constructor(session: FleetSession, topic: string, rolloutId: string, warn: (line: string) => void) {
    this.detach = session.onRaw((t, payload) => {
      if (t !== topic) return;
      if (payload.length === 0) {
        this.latest = null;
        return;
      }
      const decoded = decodeMessage('rollout', payload, MAX_ROLLOUT_BYTES);
      if (!decoded.ok) warn(`skipping an invalid message on ${topic}: ${decoded.problem}`);
      else if (decoded.value.rolloutId === rolloutId) {
        this.latest = decoded.value;
        for (const l of this.listeners) l(decoded.value);
      }
    });
  }

  /** Subscribes to rollout/ID and waits for the retained burst, so that `message` says whether the broker holds one. */
  static async follow(
    session: FleetSession,
    fleet: string,
    rolloutId: string,
    signal: AbortSignal,
    warn: (line: string) => void,
  ): Promise<RetainedRollout> {
    const topic = rolloutTopic(fleet, rolloutId);
    const r = new RetainedRollout(session, topic, rolloutId, warn);
    try {
      await session.subscribe([topic]);
      await session.settle(signal);
    } catch (err) {
      r.close();
      throw err;
    }
    return r;
  }

  get message(): RolloutMessage | null {
    return this.latest;
  }

  /** Each new version of the message; returns the detach. */
  onChange(listener: (m: RolloutMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.detach();
    this.listeners.clear();
  }
}

/** The retained rollout message, if the broker holds one (read with the session's subscription, then dropped). */
export async function readRollout(
  session: FleetSession,
  fleet: string,
  rolloutId: string,
  signal: AbortSignal,
  warn: (line: string) => void,
): Promise<RolloutMessage | null> {
  const retained = await RetainedRollout.follow(session, fleet, rolloutId, signal, warn);
  retained.close();
  return retained.message;
}

/** Writes the state file's record of one rollout to its retained topic, throttled. */
export class RolloutTopicWriter {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private failed = false;

  constructor(
    private readonly session: FleetSession,
    private readonly state: RolloutStateFile,
    private readonly rolloutId: string,
    private readonly warn: (line: string) => void,
  ) {}

  get topic(): string {
    return rolloutTopic(this.session.fleet, this.rolloutId);
  }

  /** Something changed: written within THROTTLE_MS. */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.write();
    }, THROTTLE_MS);
  }

  /** Written now (and waited for, unless the signal fires first). */
  async flush(signal: AbortSignal): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await unlessAborted(this.write(), signal);
  }

  private write(): Promise<void> {
    // One write at a time, in order: the broker keeps the last.
    this.writing = this.writing.then(async () => {
      const record = this.state.get(this.rolloutId);
      if (!record) return;
      try {
        await this.session.conn.publish(this.topic, encodeMessage('rollout', rolloutMessage(record)), {
          qos: 1,
          retain: true,
        });
      } catch (err) {
        if (!this.failed) this.warn(`could not write ${this.topic}: ${firstLine(err)}`);
        this.failed = true;
      }
    });
    return this.writing;
  }
}
