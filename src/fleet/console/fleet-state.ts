/*
 * The console's picture of the fleet, kept in memory from the retained
 * topics (and the live messages after them) of one FleetSession: the fleet
 * view every fleet command folds, plus what only the console keeps (job
 * progress curves, telemetry, since when a device is in its state), and the
 * fleet's rollouts from their retained `rollout/ROLLOUTID` topics.
 * Device changes go to listeners at most every FLUSH_MS, one document per
 * changed device; a rollout's at once (its writer throttles them already).
 */
import type { JobMessage, TelemetryMessage } from '../../contract/messages';
import { parseRolloutTopic } from '../../contract/topics';
import { decodeMessage } from '../../contract/validate';
import type { FleetEvent } from '../cli/inbox';
import { MAX_ROLLOUT_BYTES } from '../cli/rollout-topic';
import type { FleetSession } from '../cli/session';
import { deviceDoc, type DeviceDoc } from './device-doc';
import { JobCurves, type ProgressSample } from './job-curve';
import { rolloutDoc, type RolloutDoc } from './rollout-doc';

const FLUSH_MS = 200;

export type ConsoleChange =
  | { kind: 'device'; device: DeviceDoc }
  | { kind: 'sample'; device: string; jobId: string; job: JobMessage; sample: ProgressSample }
  | { kind: 'link'; connected: boolean }
  | { kind: 'rollout'; rollout: RolloutDoc }
  | { kind: 'rollout-gone'; id: string };

export interface FleetSnapshot {
  fleet: string;
  broker: string;
  connected: boolean;
  devices: DeviceDoc[];
  /** Newest first. */
  rollouts: RolloutDoc[];
}

export interface DeviceDetail {
  device: DeviceDoc;
  /** Newest first. */
  jobs: JobMessage[];
  /** Progress samples of each job the console saw, by job id. */
  curves: Record<string, ProgressSample[]>;
}

export class FleetState {
  private readonly curves = new JobCurves();
  private readonly telemetry = new Map<string, TelemetryMessage>();
  private readonly stateSince = new Map<string, { ts: string; retained: boolean }>();
  private readonly listeners = new Set<(c: ConsoleChange) => void>();
  private readonly dirty = new Set<string>();
  private readonly rollouts = new Map<string, RolloutDoc>();
  private flushTimer: NodeJS.Timeout | null = null;
  /** False during the burst of retained messages: a state's time is then the message's, not the arrival's. */
  private live = false;

  constructor(
    private readonly session: FleetSession,
    private readonly now: () => Date = () => new Date(),
  ) {
    session.onEvent((e, changed) => this.onEvent(e, changed));
    session.onRaw((topic, payload) => this.onRolloutMessage(topic, payload));
    session.conn.onLinkChange((up) => this.emit({ kind: 'link', connected: up }));
  }

  /** The retained burst is over: from now on a state change is timed by its arrival. */
  markLive(): void {
    this.live = true;
  }

  onChange(listener: (c: ConsoleChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  deviceIds(): string[] {
    return this.session.view.deviceIds();
  }

  /** Devices whose birth lists the group, sorted. */
  groupMembers(group: string): string[] {
    return this.deviceIds().filter((d) => this.session.view.births.get(d)?.groups.includes(group));
  }

  knows(device: string): boolean {
    return this.session.view.knows(device);
  }

  device(device: string): DeviceDoc {
    const nowMs = this.now().getTime();
    return deviceDoc(this.session.view, device, {
      stateSince: this.sinceOf(device),
      telemetry: this.telemetry.get(device),
      eta: (job) => this.curves.etaSeconds(job, nowMs),
    });
  }

  snapshot(): FleetSnapshot {
    return {
      fleet: this.session.fleet,
      broker: this.session.conn.broker,
      connected: this.session.conn.connected,
      devices: this.deviceIds().map((d) => this.device(d)),
      rollouts: [...this.rollouts.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    };
  }

  rollout(id: string): RolloutDoc | undefined {
    return this.rollouts.get(id);
  }

  /** Each new version of a rollout's retained document (RolloutSource, for the console's pause / resume / abort). */
  onRollout(listener: (id: string, doc: RolloutDoc) => void): () => void {
    return this.onChange((c) => {
      if (c.kind === 'rollout') listener(c.rollout.id, c.rollout);
    });
  }

  detail(device: string): DeviceDetail | null {
    if (!this.deviceIds().includes(device)) return null;
    const jobs = [...(this.session.view.jobs.get(device)?.values() ?? [])].sort((a, b) => b.ts.localeCompare(a.ts));
    return {
      device: this.device(device),
      jobs,
      curves: Object.fromEntries(jobs.map((j) => [j.jobId, this.curves.of(j.jobId)])),
    };
  }

  close(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.listeners.clear();
  }

  private onEvent(e: FleetEvent, changed: boolean): void {
    if (e.kind === 'group-desired') return;
    if (e.kind === 'telemetry') {
      this.telemetry.set(e.device, e.value);
      this.markDirty(e.device);
      return;
    }
    if (!changed) return;
    if (e.kind === 'state') this.noteState(e.device, e.value.ts);
    if (e.kind === 'job') {
      const sample = this.curves.add(e.value, this.now());
      this.emit({ kind: 'sample', device: e.device, jobId: e.jobId, job: e.value, sample });
    }
    this.markDirty(e.device);
  }

  /** A rollout's retained message: kept and passed on; an empty one clears it; an invalid one is skipped. */
  private onRolloutMessage(topic: string, payload: Buffer): void {
    const where = parseRolloutTopic(topic);
    if (!where || where.fleet !== this.session.fleet) return;
    if (payload.length === 0) {
      if (this.rollouts.delete(where.rolloutId)) this.emit({ kind: 'rollout-gone', id: where.rolloutId });
      return;
    }
    const decoded = decodeMessage('rollout', payload, MAX_ROLLOUT_BYTES);
    if (!decoded.ok || decoded.value.rolloutId !== where.rolloutId) return;
    const doc = rolloutDoc(decoded.value);
    this.rollouts.set(doc.id, doc);
    this.emit({ kind: 'rollout', rollout: doc });
  }

  private noteState(device: string, ts: string): void {
    this.stateSince.set(device, this.live ? { ts: this.now().toISOString(), retained: false } : { ts, retained: true });
  }

  /**
   * A will carries the time its connection was made, not when it was lost:
   * a state seen live is timed by its arrival, a retained `lost` by the last
   * message heard from the device.
   */
  private sinceOf(device: string): string | null {
    const since = this.stateSince.get(device);
    if (!since) return null;
    const row = this.session.view.row(device);
    return since.retained && row.state === 'lost' ? (row.lastSeen ?? since.ts) : since.ts;
  }

  private markDirty(device: string): void {
    this.dirty.add(device);
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.flushTimer = null;
    const devices = [...this.dirty];
    this.dirty.clear();
    for (const d of devices) this.emit({ kind: 'device', device: this.device(d) });
  }

  private emit(change: ConsoleChange): void {
    for (const l of this.listeners) l(change);
  }
}
