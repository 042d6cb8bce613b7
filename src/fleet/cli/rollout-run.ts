/*
 * Carries a rollout out batch by batch from where its state file says it is.
 * Every step is written to the state file as it happens: a device is marked
 * `sent` once the broker acknowledged its desired document, a batch is closed
 * in one transaction; so a CLI killed at any point is resumed without sending
 * twice to a device that already answered.
 */
import type { DesiredMessage, ReportedMessage } from '../../contract/messages';
import { deviceTopics, fleetWildcard, groupDesiredTopic } from '../../contract/topics';
import { encodeMessage } from '../../contract/validate';
import { batchLabel, failuresPastThreshold } from './rollout-plan';
import { BatchSnapshot, batchLine, RolloutProgress } from './rollout-progress';
import type { DevicePatch, DeviceRolloutStatus, RolloutDevice, RolloutRecord, RolloutStateFile } from './rollout-state';
import type { FleetSession } from './session';
import { unlessAborted, waitUntil } from './wait';

export type RunOutcome = 'completed' | 'stopped' | 'interrupted';

export interface RunOptions {
  session: FleetSession;
  state: RolloutStateFile;
  rolloutId: string;
  batchTimeoutMs: number;
  progress: RolloutProgress;
  signal: AbortSignal;
}

const FINAL: readonly DeviceRolloutStatus[] = ['succeeded', 'failed'];

export class RolloutRunner {
  private record: RolloutRecord;
  private readonly devices = new Map<string, RolloutDevice>();
  private readonly percents = new Map<string, number>();
  /** Retained desired documents seen on devices' topics (resume: was it sent before the kill?). */
  private readonly desiredSeen = new Map<string, DesiredMessage>();
  private currentBatch = -1;

  constructor(private readonly opts: RunOptions) {
    this.record = opts.state.get(opts.rolloutId)!;
    for (const d of this.record.devices) this.devices.set(d.device, { ...d });
  }

  get rollout(): RolloutRecord {
    return this.opts.state.get(this.record.id)!;
  }

  async run(): Promise<RunOutcome> {
    const { session } = this.opts;
    const fleet = this.record.params.fleet;
    session.onEvent((e) => {
      if (e.kind === 'reported' && e.value.rolloutId === this.record.id) this.onReported(e.device, e.value);
      else if (e.kind === 'job' && e.value.rolloutId === this.record.id && this.devices.has(e.device))
        this.onJob(e.device, e.value.percent);
      else if (e.kind === 'desired' && this.devices.has(e.device)) this.desiredSeen.set(e.device, e.value);
    });
    session.conn.onLinkChange((up) =>
      this.opts.progress.note(
        up ? `reconnected to ${session.conn.broker}` : `lost the broker ${session.conn.broker}: reconnecting`,
      ),
    );
    // Where a killed run may have left off: the current batch's unanswered devices may or may not have their desired document.
    const unsure = this.batchDevices(this.record.currentBatch).filter(
      (d) => d.status === 'planned' || d.status === 'sent',
    );
    await session.subscribe([
      fleetWildcard(fleet, 'reported'),
      fleetWildcard(fleet, 'jobs/+'),
      ...unsure.map((d) => deviceTopics(fleet, d.device).desired),
    ]);
    await session.settle(this.opts.signal);

    for (let b = this.record.currentBatch; b < this.record.batchCount; b++) {
      if (this.opts.signal.aborted) return 'interrupted';
      const outcome = await this.runBatch(b);
      if (outcome !== 'next') return outcome;
    }
    if (this.record.params.group && !this.record.groupPublished) {
      // Devices that join the group later converge too; devices that already carried this rollout out ignore it (once per rolloutId).
      const sent = await unlessAborted(
        session.conn.publish(groupDesiredTopic(fleet, this.record.params.group), this.desired(), {
          qos: 1,
          retain: true,
        }),
        this.opts.signal,
      );
      if (!sent.done) return 'interrupted';
      this.opts.state.markGroupPublished(this.record.id);
    }
    this.opts.state.setStatus(this.record.id, 'completed');
    return 'completed';
  }

  private async runBatch(b: number): Promise<'next' | RunOutcome> {
    const { session, progress } = this.opts;
    const fleet = this.record.params.fleet;
    this.currentBatch = b;
    const batch = this.batchDevices(b);
    for (const d of batch) {
      // `sent` here is a resumed batch: sent again only if its retained document is gone (a broker that lost its retained messages).
      if (d.status !== 'planned' && d.status !== 'sent') continue;
      if (this.desiredSeen.get(d.device)?.rolloutId !== this.record.id) {
        const sent = await unlessAborted(
          session.conn.publish(deviceTopics(fleet, d.device).desired, this.desired(), { qos: 1, retain: true }),
          this.opts.signal,
        );
        if (!sent.done) return 'interrupted';
      }
      // A report may have come in meanwhile (resume): it wins over `sent`.
      if (d.status === 'planned') this.setDevice(d.device, { status: 'sent' });
    }
    this.show();
    const done = await waitUntil(session, () => (batch.every((d) => FINAL.includes(d.status)) ? true : undefined), {
      timeoutMs: this.opts.batchTimeoutMs,
      signal: this.opts.signal,
    });
    if (!done.done && done.why === 'aborted') {
      progress.end();
      return 'interrupted';
    }
    const pending = batch.filter((d) => !FINAL.includes(d.status)).map((d) => d.device);
    this.opts.state.finishBatch(this.record.id, b, pending);
    for (const device of pending) this.devices.get(device)!.status = 'pending';
    progress.end();
    progress.note(batchLine(this.snapshot(b), { over: true }));
    const all = [...this.devices.values()];
    const succeeded = all.filter((d) => d.status === 'succeeded').length;
    const failed = all.filter((d) => d.status === 'failed').length;
    if (failuresPastThreshold(succeeded, failed, this.record.params.maxFailuresPct)) {
      this.opts.state.setStatus(this.record.id, 'stopped');
      return 'stopped';
    }
    // A canary nobody answered is no evidence: the rest of the fleet waits for one that succeeded.
    if (this.record.hasCanary && b === 0 && batch.every((d) => this.devices.get(d.device)!.status !== 'succeeded')) {
      this.opts.state.setStatus(this.record.id, 'stopped');
      return 'stopped';
    }
    return 'next';
  }

  private desired(): string {
    const p = this.record.params;
    return encodeMessage('desired', {
      rolloutId: this.record.id,
      toDepth: p.toDepth,
      ...(p.method ? { method: p.method } : {}),
      ts: new Date().toISOString(),
    });
  }

  private onReported(device: string, r: ReportedMessage): void {
    const d = this.devices.get(device);
    if (!d) return;
    // A device's `running` never undoes its final answer (a redelivered older message).
    if (FINAL.includes(d.status) && r.status === 'running') return;
    const patch = { status: r.status as DeviceRolloutStatus, depth: r.depth, jobId: r.jobId, reason: r.reason ?? null };
    if (d.status === patch.status && d.depth === patch.depth && d.jobId === patch.jobId && d.reason === patch.reason)
      return;
    this.setDevice(device, patch);
    this.show();
  }

  private onJob(device: string, percent: number): void {
    this.percents.set(device, percent);
    this.show();
  }

  private setDevice(device: string, patch: DevicePatch): void {
    Object.assign(this.devices.get(device)!, patch);
    this.opts.state.updateDevice(this.record.id, device, patch);
  }

  private batchDevices(b: number): RolloutDevice[] {
    return [...this.devices.values()].filter((d) => d.batch === b);
  }

  private snapshot(b: number): BatchSnapshot {
    return {
      label: batchLabel(this.record, b),
      index: b,
      count: this.record.batchCount,
      devices: this.batchDevices(b).map((d) => ({
        device: d.device,
        status: d.status,
        percent: this.percents.get(d.device) ?? null,
      })),
    };
  }

  private show(): void {
    if (this.currentBatch >= 0) this.opts.progress.show(this.snapshot(this.currentBatch));
  }
}
