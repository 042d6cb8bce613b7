/*
 * Carries a rollout out batch by batch from where its state file says it is.
 * Every step is written to the state file as it happens: a device is marked
 * `sent` once the broker acknowledged its desired document, a batch is closed
 * in one transaction; so a CLI killed at any point is resumed without sending
 * twice to a device that already answered.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { firstLine } from '../../util/deepend-error';
import type { DesiredMessage, JobMessage, ReplyMessage, ReportedMessage } from '../../contract/messages';
import { deviceTopics, fleetWildcard, groupDesiredTopic, rolloutControlTopic } from '../../contract/topics';
import { decodeMessage, encodeMessage } from '../../contract/validate';
import { responseTopicFor } from './connection';
import { publishRollback, REPLY_WAIT_MS, replyTopics } from './deepen-command';
import {
  batchLabel,
  durationText,
  failureRate,
  failuresPastThreshold,
  judgeWave,
  unitOf,
  WaveFigures,
  waveFigures,
} from './rollout-plan';
import { BatchSnapshot, batchLine, RolloutProgress } from './rollout-progress';
import type {
  DevicePatch,
  DeviceRolloutStatus,
  RolloutDevice,
  RolloutRecord,
  RolloutStateFile,
  RolloutStop,
} from './rollout-state';
import { OfflineSince } from './offline-since';
import type { RolloutTopicWriter } from './rollout-topic';
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
  /** The retained rollout topic, which follows the state file. */
  topic?: RolloutTopicWriter;
}

const FINAL: readonly DeviceRolloutStatus[] = ['succeeded', 'failed'];
const TERMINAL_JOB: readonly string[] = ['succeeded', 'rejected', 'failed', 'canceled'];
/** After a batch's last `reported`, how long its jobs' last messages may take to come (they are sent before it). */
const JOB_GRACE_MS = 2000;
/** How often a paused rollout looks whether it was resumed. */
const PAUSED_TICK_MS = 200;
/** How long an aborted rollout's last write may take. */
const FINAL_WRITE_MS = 3000;

export class RolloutRunner {
  private record: RolloutRecord;
  private readonly devices = new Map<string, RolloutDevice>();
  private readonly percents = new Map<string, number>();
  /** Retained desired documents seen on devices' topics (resume: was it sent before the kill?). */
  private readonly desiredSeen = new Map<string, DesiredMessage>();
  private currentBatch = -1;
  private nextBatchAt: string | null;
  /** The batch whose devices have all been sent their desired document. */
  private sentBatch = -1;
  /** Set once the run is over: nobody joins any more. */
  private closed = false;
  private readonly replies = new Map<string, ReplyMessage>();
  /** What run() registered on the session, removed when it ends. */
  private readonly listeners: (() => void)[] = [];
  /** Fires on the operator's abort (rollout-control); `signal` is it or the caller's interruption. */
  private readonly abortControl = new AbortController();
  private readonly signal: AbortSignal;
  private abortedBy: string | null = null;
  private paused: boolean;
  private readonly controlsSeen = new Set<string>();
  /** Known once the run has subscribed: which devices are down, and since when. */
  private offline: OfflineSince | null = null;

  constructor(private readonly opts: RunOptions) {
    this.record = opts.state.get(opts.rolloutId)!;
    for (const d of this.record.devices) this.devices.set(d.device, { ...d });
    this.nextBatchAt = this.record.nextBatchAt;
    this.paused = this.record.paused !== null;
    this.signal = AbortSignal.any([opts.signal, this.abortControl.signal]);
  }

  get rollout(): RolloutRecord {
    return this.opts.state.get(this.record.id)!;
  }

  async run(): Promise<RunOutcome> {
    try {
      const outcome = await this.runBatches();
      if (outcome !== 'interrupted' || this.abortedBy === null || this.opts.signal.aborted) return outcome;
      return await this.endAborted(this.abortedBy);
    } finally {
      this.closed = true;
      // The session may outlive the run (the console's): it stops telling this runner anything.
      for (const detach of this.listeners.splice(0)) detach();
    }
  }

  private async runBatches(): Promise<RunOutcome> {
    const { session } = this.opts;
    const fleet = this.record.params.fleet;
    const onEvent = session.onEvent((e) => {
      if (e.kind === 'reported' && e.value.rolloutId === this.record.id) this.onReported(e.device, e.value);
      else if (e.kind === 'job' && e.value.rolloutId === this.record.id && this.devices.has(e.device))
        this.onJob(e.device, e.value);
      else if (
        e.kind === 'job' &&
        e.value.kind === 'rollback' &&
        e.value.status === 'succeeded' &&
        e.value.commandId?.startsWith(`rollout:${this.record.id}:rollback:`) &&
        e.value.depthAfter !== null &&
        this.devices.has(e.device)
      )
        this.setDevice(e.device, { depth: e.value.depthAfter });
      else if (e.kind === 'desired' && this.devices.has(e.device)) this.desiredSeen.set(e.device, e.value);
      else if (e.kind === 'reply' && e.value.commandId !== null) this.replies.set(e.value.commandId, e.value);
      else if (
        e.kind === 'birth' &&
        !this.devices.has(e.device) &&
        (this.record.params.group === null || e.value.groups.includes(this.record.params.group))
      )
        this.join(e.device);
    });
    const responseTopic = responseTopicFor(session.conn.clientId);
    const controlTopic = rolloutControlTopic(fleet, this.record.id);
    const onRaw = session.onRaw((topic, payload) => {
      if (topic === controlTopic) return this.onControl(payload);
      if (topic !== responseTopic) return;
      const reply = session.inbox.decodeReply(topic, payload);
      if (reply?.commandId) this.replies.set(reply.commandId, reply);
    });
    let lost = false;
    const onLink = session.conn.onLinkChange((up) => {
      this.opts.progress.note(
        up ? `reconnected to ${session.conn.broker}` : `lost the broker ${session.conn.broker}: reconnecting`,
      );
      if (!up) lost = true;
      else if (lost && !this.closed) {
        lost = false;
        void this.republish();
      }
    });
    this.listeners.push(onEvent, onRaw, onLink);
    // Where a killed run may have left off: the current batch's unanswered devices may or may not have their desired document.
    const unsure = this.batchDevices(this.record.currentBatch).filter(
      (d) => d.status === 'planned' || d.status === 'sent',
    );
    await session.subscribe([
      fleetWildcard(fleet, 'birth'),
      fleetWildcard(fleet, 'state'),
      fleetWildcard(fleet, 'reported'),
      fleetWildcard(fleet, 'jobs/+'),
      controlTopic,
      ...unsure.map((d) => deviceTopics(fleet, d.device).desired),
    ]);
    await session.settle(this.signal);
    this.offline = new OfflineSince(session);
    this.listeners.push(this.offline.follow());

    for (let b = this.record.currentBatch; b < this.record.batchCount; b++) {
      if (this.signal.aborted) return 'interrupted';
      if (!(await this.pauseBefore(b))) return 'interrupted';
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
        this.signal,
      );
      if (!sent.done) return 'interrupted';
      this.opts.state.markGroupPublished(this.record.id);
    }
    this.opts.state.setStatus(this.record.id, 'completed');
    await this.published();
    return 'completed';
  }

  /**
   * Waits out --pause before batch b (the time is in the state file, so a
   * resumed rollout waits only what is left), then, while the operator holds
   * the rollout, until it is resumed; false when interrupted or aborted.
   */
  private async pauseBefore(b: number): Promise<boolean> {
    const unit = unitOf(this.record.params);
    const left = this.nextBatchAt === null ? 0 : Date.parse(this.nextBatchAt) - Date.now();
    try {
      if (left > 0) {
        this.opts.progress.note(
          `pausing ${durationText(Math.ceil(left / 1000))} before ${unit} ${batchLabel(this.record, b)} (until ${this.nextBatchAt})`,
        );
        await sleep(left, undefined, { signal: this.signal });
      }
      if (this.paused) {
        const by = this.opts.state.get(this.record.id)?.paused?.by ?? 'the operator';
        this.opts.progress.note(
          `held before ${unit} ${batchLabel(this.record, b)}: paused by ${by}; resume it from a console or with deepend fleet control ${this.record.id} resume`,
        );
      }
      while (this.paused) await sleep(PAUSED_TICK_MS, undefined, { signal: this.signal });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The operator's pause, resume or abort (rollout/ID/control, from a console
   * anywhere): a pause holds the next batch (what was sent carries on), an
   * abort ends the run stopped by the rule `aborted`. Each is answered by
   * rewriting rollout/ID; a redelivered command is obeyed once.
   */
  private onControl(payload: Buffer): void {
    if (this.closed || payload.length === 0) return;
    const decoded = decodeMessage('rollout-control', payload);
    if (!decoded.ok) {
      this.opts.progress.note(`ignored a rollout control message: ${decoded.problem}`);
      return;
    }
    const c = decoded.value;
    if (c.rolloutId !== this.record.id || this.controlsSeen.has(c.commandId)) return;
    this.controlsSeen.add(c.commandId);
    const unit = unitOf(this.record.params);
    if (c.action === 'abort') {
      this.opts.progress.note(`aborted by ${c.by}: nothing more is sent`);
      this.abortedBy = c.by;
      this.abortControl.abort();
      return;
    }
    const pause = c.action === 'pause';
    if (pause === this.paused) {
      // Already so: written again, so that the asker sees its answer.
      this.opts.topic?.schedule();
      return;
    }
    this.paused = pause;
    this.opts.state.setPaused(this.record.id, pause ? { at: new Date().toISOString(), by: c.by } : null);
    this.opts.topic?.schedule();
    this.opts.progress.note(
      pause ? `paused by ${c.by}: no further ${unit} is sent until resumed` : `resumed by ${c.by}`,
    );
  }

  /** After the operator's abort: stopped on the batch it was at, by the rule `aborted`, on disk and on the broker. */
  private async endAborted(by: string): Promise<RunOutcome> {
    const record = this.opts.state.get(this.record.id)!;
    if (record.status !== 'running') return record.status === 'completed' ? 'completed' : 'stopped';
    const batch = Math.min(record.currentBatch, record.batchCount - 1);
    this.opts.state.stopOn(this.record.id, { batch, rule: 'aborted', why: `aborted by ${by}: nothing more was sent` });
    this.opts.progress.end();
    await this.opts.topic?.flush(AbortSignal.any([this.opts.signal, AbortSignal.timeout(FINAL_WRITE_MS)]));
    return 'stopped';
  }

  private async runBatch(b: number): Promise<'next' | RunOutcome> {
    const { session, progress } = this.opts;
    this.currentBatch = b;
    // Until none is left unsent: a device that joins the target set meanwhile is in the last batch.
    // `sent` on the first pass is a resumed batch: sent again only if its retained document is gone.
    // The batch counts as sent when sending begins: a device can take its document, start its job and go down
    // while the publish still awaits its acknowledgement, and such a device is waited for.
    const sentAt = Date.now();
    let first = true;
    for (;;) {
      const unsent = this.batchDevices(b).filter((d) => d.status === 'planned' || (first && d.status === 'sent'));
      first = false;
      if (unsent.length === 0) break;
      for (const d of unsent) {
        if (!(await this.send(d))) return 'interrupted';
      }
    }
    this.sentBatch = b;
    this.show();
    const done = await waitUntil(session, () => (this.batchAnswered(b, sentAt) ? true : undefined), {
      timeoutMs: this.opts.batchTimeoutMs,
      signal: this.signal,
    });
    if (!done.done && done.why === 'aborted') {
      progress.end();
      return 'interrupted';
    }
    // The jobs' last messages (rejected or failed, and the accuracies) come before their device's `reported`; a short grace for stragglers.
    await waitUntil(session, () => (this.batchDevices(b).every((d) => !this.jobUnknown(d)) ? true : undefined), {
      timeoutMs: JOB_GRACE_MS,
      signal: this.signal,
      tickMs: 100,
    });
    if (this.signal.aborted) {
      progress.end();
      return 'interrupted';
    }
    const pending = this.batchDevices(b)
      .filter((d) => !FINAL.includes(d.status))
      .map((d) => d.device);
    for (const device of pending) this.devices.get(device)!.status = 'pending';
    const notWaited = done.done ? pending.filter((device) => this.offline?.downSince(device, sentAt)) : [];
    const figures = waveFigures(this.batchDevices(b));
    const stop = this.judge(b, figures);
    const last = b + 1 >= this.record.batchCount;
    const pauseS = this.record.params.pauseS;
    this.nextBatchAt = stop === null && !last && pauseS > 0 ? new Date(Date.now() + pauseS * 1000).toISOString() : null;
    this.opts.state.finishBatch(this.record.id, b, pending, this.nextBatchAt);
    progress.end();
    progress.note(batchLine(this.snapshot(b), { figures }));
    if (notWaited.length > 0)
      progress.note(
        `not waited for: ${notWaited.join(', ')}, down since before the ${unitOf(this.record.params)} was sent (pending: a retained desired document waits for them)`,
      );
    if (stop !== null) {
      this.opts.state.stopOn(this.record.id, stop);
      await this.published();
      if (this.record.params.rollbackOnStop && stop.rule !== 'no-success') await this.rollBack(b);
      return 'stopped';
    }
    await this.published();
    return 'next';
  }

  /**
   * Batch b needs no more waiting: every device answered, or those that did
   * not were down (offline or lost) since before it was sent at `sentAt`.
   * A first batch that must give evidence (canary, first wave) waits for its
   * down devices until one of its devices succeeded.
   */
  private batchAnswered(b: number, sentAt: number): boolean {
    const devices = this.batchDevices(b);
    const open = devices.filter((d) => !FINAL.includes(d.status));
    if (open.length === 0) return true;
    const evidenceNeeded = b === 0 && (this.record.hasCanary || unitOf(this.record.params) === 'wave');
    if (evidenceNeeded && !devices.some((d) => d.status === 'succeeded')) return false;
    return open.every((d) => this.offline?.downSince(d.device, sentAt) === true);
  }

  /** The rule batch b failed, with its figures; null when it passes. */
  private judge(b: number, figures: WaveFigures): RolloutStop | null {
    const p = this.record.params;
    const unit = unitOf(p);
    if (unit === 'batch') {
      // Canary and batches: failures count over the whole rollout, as they always have.
      const all = [...this.devices.values()];
      const succeeded = all.filter((d) => d.status === 'succeeded').length;
      const failed = all.filter((d) => d.status === 'failed').length;
      if (failuresPastThreshold(succeeded, failed, p.maxFailuresPct))
        return {
          batch: b,
          rule: 'max-failures',
          why: `failures ${failureRate(succeeded, failed).toFixed(1)}% of the rollout's answers (limit ${p.maxFailuresPct}%)`,
        };
    }
    const verdict = judgeWave(figures, unit === 'wave' ? p : { ...p, maxFailuresPct: 100 });
    if (!verdict.pass) return { batch: b, rule: verdict.rule, why: verdict.why };
    // A first batch nobody answered is no evidence: the rest of the fleet waits for one that succeeded.
    if ((this.record.hasCanary || unit === 'wave') && b === 0 && figures.succeeded === 0)
      return {
        batch: b,
        rule: 'no-success',
        why: `no device of ${unit} ${batchLabel(this.record, b)} succeeded${figures.pending > 0 ? ' within --batch-timeout' : ''}`,
      };
    return null;
  }

  /** --rollback-on-stop: every device of batch b whose job committed a model is sent cmd/rollback, and its answer awaited. */
  private async rollBack(b: number): Promise<void> {
    const { session, progress } = this.opts;
    const targets = this.batchDevices(b).filter(
      (d) => d.status === 'succeeded' && d.jobId !== null && d.rollback !== 'done',
    );
    if (targets.length === 0) return;
    await session.subscribe([...new Set(targets.flatMap((d) => replyTopics(session, d.device)))]);
    const commandOf = (d: RolloutDevice) =>
      `rollout:${this.record.id}:rollback:${this.record.devices.findIndex((x) => x.device === d.device)}`;
    for (const d of targets) {
      const sent = await unlessAborted(publishRollback(session, d.device, commandOf(d)), this.signal);
      if (!sent.done) return;
      this.setDevice(d.device, { rollback: 'sent' });
    }
    await this.published();
    await waitUntil(session, () => (targets.every((d) => this.replies.has(commandOf(d))) ? true : undefined), {
      timeoutMs: REPLY_WAIT_MS,
      signal: this.signal,
    });
    for (const d of targets) {
      const reply = this.replies.get(commandOf(d));
      let rollback = 'failed: no answer';
      if (reply?.ok) rollback = 'done';
      else if (reply) rollback = `failed: ${reply.error ?? 'refused'}`;
      this.setDevice(d.device, { rollback });
    }
    await this.published();
    const done = targets.filter((d) => this.devices.get(d.device)!.rollback === 'done');
    progress.note(
      `rolled back ${done.length} of ${targets.length} device${targets.length === 1 ? '' : 's'} of ${unitOf(this.record.params)} ${batchLabel(this.record, b)}`,
    );
  }

  /** A device that answered with a job whose last message has not come yet. */
  private jobUnknown(d: RolloutDevice): boolean {
    return FINAL.includes(d.status) && d.jobId !== null && d.jobStatus === null;
  }

  /** Publishes a device's desired document (unless the broker holds it already: a resumed batch) and marks it sent; false when interrupted. */
  private async send(d: RolloutDevice): Promise<boolean> {
    if (this.desiredSeen.get(d.device)?.rolloutId !== this.record.id) {
      const sent = await unlessAborted(
        this.opts.session.conn.publish(deviceTopics(this.record.params.fleet, d.device).desired, this.desired(), {
          qos: 1,
          retain: true,
        }),
        this.signal,
      );
      if (!sent.done) return false;
    }
    // A report may have come in meanwhile (resume): it wins over `sent`.
    if (d.status === 'planned') this.setDevice(d.device, { status: 'sent' });
    return true;
  }

  /**
   * A device of the target set (the fleet, or the group) whose birth came
   * after the plan: it joins the last batch, and is sent its desired document
   * at once when that batch is already out. Once the last batch is over, the
   * rollout takes no one (with --group, the group's desired document reaches
   * them when the rollout completes).
   */
  private join(device: string): void {
    const last = this.record.batchCount - 1;
    if (this.closed || this.currentBatch > last || last < 0) return;
    const d: RolloutDevice = {
      device,
      batch: last,
      status: 'planned',
      depth: null,
      jobId: null,
      reason: null,
      jobStatus: null,
      accuracyBefore: null,
      accuracyAfter: null,
      rollback: null,
    };
    this.devices.set(device, d);
    this.opts.state.addDevice(this.record.id, device, last);
    this.opts.topic?.schedule();
    const unit = unitOf(this.record.params);
    this.opts.progress.note(`${device} joined the target set: added to ${unit} ${batchLabel(this.record, last)}`);
    // A failed publish leaves it planned (and its birth is retained: a resumed rollout picks it up).
    if (this.sentBatch === last) this.send(d).catch(() => undefined);
  }

  /**
   * After a reconnect: a broker that restarted without persistence has lost
   * the retained documents this rollout owns. Its sent devices' desired
   * documents, the group's (once published) and rollout/ID are written
   * again; a device carries a rolloutId out once, so a copy it already
   * acted on changes nothing, and one that was offline still converges.
   */
  private async republish(): Promise<void> {
    const { fleet, group } = this.record.params;
    const sent = [...this.devices.values()].filter((d) => d.status !== 'planned');
    const doc = this.desired();
    const retained = { qos: 1 as const, retain: true };
    try {
      for (const d of sent) await this.opts.session.conn.publish(deviceTopics(fleet, d.device).desired, doc, retained);
      const groupToo = group !== null && this.opts.state.get(this.record.id)?.groupPublished === true;
      if (groupToo) await this.opts.session.conn.publish(groupDesiredTopic(fleet, group), doc, retained);
      this.opts.topic?.schedule();
      this.opts.progress.note(
        `re-published ${sent.length} desired document${sent.length === 1 ? '' : 's'}${groupToo ? `, the group's` : ''} and the rollout's state after the reconnect`,
      );
    } catch (err) {
      this.opts.progress.note(`could not re-publish the rollout's retained documents: ${firstLine(err)}`);
    }
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

  private onJob(device: string, job: JobMessage): void {
    this.percents.set(device, job.percent);
    if (TERMINAL_JOB.includes(job.status)) {
      const d = this.devices.get(device)!;
      const patch = { jobStatus: job.status, accuracyBefore: job.accuracyBefore, accuracyAfter: job.accuracyAfter };
      // The job the device reported (a device may run more than one job for a rollout only after a restart).
      if (
        (d.jobId === null || d.jobId === job.jobId) &&
        (d.jobStatus !== patch.jobStatus ||
          d.accuracyBefore !== patch.accuracyBefore ||
          d.accuracyAfter !== patch.accuracyAfter)
      )
        this.setDevice(device, { ...patch, ...(d.jobId === null ? { jobId: job.jobId } : {}) });
    }
    this.show();
  }

  private setDevice(device: string, patch: DevicePatch): void {
    Object.assign(this.devices.get(device)!, patch);
    this.opts.state.updateDevice(this.record.id, device, patch);
    this.opts.topic?.schedule();
  }

  /** The rollout topic written now: a wave's end, a stop, the end. */
  private async published(): Promise<void> {
    await this.opts.topic?.flush(this.signal);
  }

  private batchDevices(b: number): RolloutDevice[] {
    return [...this.devices.values()].filter((d) => d.batch === b);
  }

  private snapshot(b: number): BatchSnapshot {
    const waves = this.record.params.wavesPct;
    return {
      unit: unitOf(this.record.params),
      ...(waves ? { pct: waves[b] } : {}),
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
