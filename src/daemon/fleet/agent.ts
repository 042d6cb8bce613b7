import type { Config } from '../../config';
import type { Logger } from '../../util/log';
import type { RunnerPort } from '../../jobs/runner-port';
import type { JobEvents, JobProgress } from '../../jobs/types';
import { isTerminal } from '../../store/job-states';
import type { JobRow, Store } from '../../store/types';
import type { DesiredMessage, ReplyMessage, StateMessage } from '../../contract/messages';
import { deviceTopics, groupDesiredTopic, parseTopic, TOPIC_ROOT, type DeviceTopics } from '../../contract/topics';
import { decodeMessage, encodeMessage } from '../../contract/validate';
import { MqttLink } from '../../mqtt/link';
import { OutboxSender } from '../../mqtt/outbox-sender';
import { birthMessage } from './birth';
import { CommandHandler, type ResponseRoute } from './commands';
import { DesiredState, type DesiredSource } from './desired';
import { deviceState } from './device-state';
import { type JobProgressNow, jobMessage } from './job-message';
import { clearOldJobReports } from './job-report-retention';
import { FleetReporter } from './reporter';
import { currentSession, nextSession } from './session';
import type { AgentSources } from './sources';
import { TelemetrySampler } from './telemetry';

/** Job progress goes out at most this often per job; every state change goes out at once. */
const PROGRESS_INTERVAL_MS = 1000;
/** How long a clean stop waits for the outbox to drain before it disconnects. */
const STOP_FLUSH_MS = 2000;
/** Sent reports, processed command ids and events older than this are deleted, hourly. */
const KEEP_MS = 7 * 24 * 3600 * 1000;
const PRUNE_EVERY_MS = 3600 * 1000;

export interface FleetAgentOptions {
  config: Config;
  store: Store;
  log: Logger;
  sources: AgentSources;
  runner: () => RunnerPort | undefined;
}

/**
 * What a daemon is on the fleet (docs/design/fleet.md): it reports its state,
 * birth, jobs and rollouts through the outbox, obeys commands and desired
 * state on its own topics and its groups', and sends telemetry. Built before
 * the job runner (so no job event is missed), connected by start().
 */
export class FleetAgent {
  readonly topics: DeviceTopics;
  private readonly reporter: FleetReporter;
  private readonly commands: CommandHandler;
  private readonly desired: DesiredState;
  private readonly telemetry: TelemetrySampler;
  private link?: MqttLink;
  private sender?: OutboxSender;
  private telemetryTimer?: NodeJS.Timeout;
  private pruneTimer?: NodeJS.Timeout;
  private lastState?: StateMessage['state'];
  private lastEnded?: JobRow;
  private readonly lastProgressAt = new Map<string, number>();
  /** The latest progress of each running job, so a sub-stage transition does not report a lower percent. */
  private readonly lastProgress = new Map<string, JobProgressNow>();

  constructor(private readonly opts: FleetAgentOptions) {
    const { config, store, log } = opts;
    this.topics = deviceTopics(config.fleet, config.deviceId);
    this.reporter = new FleetReporter({ store, log, onEnqueued: () => this.sender?.kick() });
    this.commands = new CommandHandler({
      config,
      store,
      log,
      runner: opts.runner,
      rebirth: () => this.publishBirth(),
      reply: (m, r) => this.reply(m, r),
    });
    this.desired = new DesiredState({
      config,
      store,
      log,
      runner: opts.runner,
      report: (m) => this.reporter.report('reported', this.topics.reported, m, { retain: true }),
    });
    this.telemetry = new TelemetrySampler(opts.sources);
    this.lastEnded = store.jobs(20).find((j) => isTerminal(j.state));
  }

  /** The events the job runner calls: every job transition and (throttled) progress becomes a retained jobs/JOBID report. */
  readonly jobEvents: JobEvents = {
    onState: (job) => {
      this.lastProgressAt.delete(job.id);
      this.reportJob(job, job.state === 'growing' ? this.lastProgress.get(job.id) : undefined);
      if (isTerminal(job.state)) {
        this.lastProgress.delete(job.id);
        this.lastEnded = job;
        if (job.state === 'succeeded') this.publishBirth();
        this.desired.jobEnded(job);
        this.clearOldJobReports();
      }
      this.refreshState();
    },
    onResult: (job) => {
      this.reportJob(job);
      // a watch's figures: the rollout step it followed can now be answered
      if (isTerminal(job.state)) this.desired.jobEnded(job);
    },
    onProgress: (job, e: JobProgress) => {
      const measured = e.validationAccuracy !== undefined && Number.isFinite(e.validationAccuracy);
      const validationAccuracy = measured ? e.validationAccuracy : this.lastProgress.get(job.id)?.validationAccuracy;
      const progress = {
        step: e.step,
        percent: e.percent,
        ...(validationAccuracy === undefined ? {} : { validationAccuracy }),
      };
      this.lastProgress.set(job.id, progress);
      const now = Date.now();
      // A new point of the learning curve is never throttled away (one per epoch at most).
      if (!measured && now - (this.lastProgressAt.get(job.id) ?? 0) < PROGRESS_INTERVAL_MS) return;
      this.lastProgressAt.set(job.id, now);
      this.reportJob(job, progress);
    },
  };

  /**
   * Connects to the broker (url: the configured one or the embedded broker's) and keeps connecting until stop();
   * `protocolVersion` when the broker's is known (the embedded one's), else mqtt.protocolVersion.
   */
  start(url: string, protocolVersion?: 4 | 5): void {
    const { config, store, log } = this.opts;
    const groups = config.groups.map((g) => groupDesiredTopic(config.fleet, g));
    const link = new MqttLink({
      url,
      cfg: protocolVersion === undefined ? config.mqtt : { ...config.mqtt, protocolVersion },
      clientId: config.deviceId,
      subscriptions: () => [this.topics.commands, this.topics.desired, ...groups],
      will: (session) => ({
        topic: this.topics.state,
        payload: encodeMessage('state', { state: 'lost', session, ts: new Date().toISOString() }),
        qos: 1,
        retain: true,
      }),
      nextSession: () => nextSession(store),
      log,
    });
    this.link = link;
    this.sender = new OutboxSender({ store, link, log });
    link.on('connected', () => this.onConnected());
    link.on('message', (topic: string, payload: Buffer, props: { responseTopic?: string; correlationData?: Buffer }) =>
      this.onMessage(topic, payload, props),
    );
    link.start();
    this.clearOldJobReports();
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
    if (config.mqtt.telemetrySeconds > 0) {
      this.telemetryTimer = setInterval(() => this.sendTelemetry(), config.mqtt.telemetrySeconds * 1000);
      this.telemetryTimer.unref();
    }
  }

  /** The daemon's phase or job changed: announce the device state when it is a new one. */
  refreshState(): void {
    const state = deviceState(this.opts.sources.phase(), this.opts.runner()?.active(), this.lastEnded);
    if (state === this.lastState || state === 'offline') return;
    this.lastState = state;
    this.reporter.report(
      'state',
      this.topics.state,
      { state, session: currentSession(this.opts.store), ts: new Date().toISOString() },
      { retain: true },
    );
  }

  /** The runner is there: act on desired documents that arrived before it. */
  runnerReady(): void {
    this.desired.converge();
  }

  publishBirth(): void {
    const { config, store, sources } = this.opts;
    this.reporter.report('birth', this.topics.birth, birthMessage(config, store, sources, currentSession(store)), {
      retain: true,
    });
  }

  outboxPending(): number {
    return this.opts.store.pendingOutboxCount();
  }

  connected(): boolean {
    return this.link?.connected ?? false;
  }

  /** Drains the outbox for a moment, then announces `offline` and disconnects cleanly (no Last Will). */
  async stop(): Promise<void> {
    if (this.telemetryTimer) clearInterval(this.telemetryTimer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.desired.stop();
    this.reporter.stop();
    const link = this.link;
    if (!link) return;
    const deadline = Date.now() + STOP_FLUSH_MS;
    while (link.connected && this.opts.store.pendingOutbox(1).length > 0 && Date.now() < deadline) {
      this.sender?.kick();
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.sender?.stop();
    const offline = encodeMessage('state', {
      state: 'offline',
      session: currentSession(this.opts.store),
      ts: new Date().toISOString(),
    });
    await link.stop({ topic: this.topics.state, payload: offline, qos: 1, retain: true });
  }

  /** Keeps the database small on a device that runs for years; pending reports are never deleted. */
  private prune(): void {
    try {
      const removed = this.opts.store.prune(new Date(Date.now() - KEEP_MS));
      if (removed.outbox + removed.commands + removed.events > 0)
        this.opts.log.info('old fleet records pruned', { ...removed });
    } catch (err) {
      this.opts.log.warn('pruning old fleet records failed; tried again later', { error: (err as Error).message });
    }
  }

  private onConnected(): void {
    // Enqueued behind anything older, so the fleet sees reports in the order they happened, then the present.
    this.lastState = undefined;
    this.refreshState();
    this.publishBirth();
    const active = this.opts.runner()?.active();
    if (active) this.reportJob(active, active.state === 'growing' ? this.lastProgress.get(active.id) : undefined);
    this.sender?.kick();
  }

  /** The broker keeps the reports of the last mqtt.retainedJobs jobs; older ones are cleared. */
  private clearOldJobReports(): void {
    const { store, config, log } = this.opts;
    try {
      clearOldJobReports(store, config.mqtt.retainedJobs, (id) => this.reporter.clearRetained(this.topics.job(id)));
    } catch (err) {
      // a full or failing disk: the next job's end tries again
      log.warn('old job reports not cleared', { error: (err as Error).message });
    }
  }

  private reportJob(job: JobRow, progress?: JobProgressNow): void {
    const { store, config } = this.opts;
    this.reporter.report('job', this.topics.job(job.id), jobMessage(store, config.model.name, job, progress), {
      retain: true,
    });
  }

  private onMessage(topic: string, payload: Buffer, props: { responseTopic?: string; correlationData?: Buffer }): void {
    const { config, log } = this.opts;
    const parsed = parseTopic(topic);
    const own =
      parsed &&
      parsed.fleet === config.fleet &&
      ('device' in parsed ? parsed.device === config.deviceId : config.groups.includes(parsed.group));
    if (!parsed || !own) {
      log.warn('fleet message on a topic this device does not obey: ignored', { topic });
      return;
    }
    if (parsed.kind === 'command') {
      const route: ResponseRoute | undefined = props.responseTopic
        ? { responseTopic: props.responseTopic, correlationData: props.correlationData }
        : undefined;
      void this.commands.handle(parsed.command, payload, route);
      return;
    }
    if (parsed.kind === 'desired' || parsed.kind === 'group-desired') {
      const source: DesiredSource = parsed.kind === 'group-desired' ? `group:${parsed.group}` : 'device';
      if (payload.length === 0) {
        this.desired.update(source, null); // a cleared retained document
        return;
      }
      const decoded = decodeMessage('desired', payload, config.mqtt.maxPayloadBytes);
      if (!decoded.ok) {
        log.warn('desired state ignored: it breaks the contract', { topic, problem: decoded.problem });
        return;
      }
      this.desired.update(source, decoded.value as DesiredMessage);
    }
  }

  private reply(message: ReplyMessage, route?: ResponseRoute): void {
    this.reporter.report('reply', this.topics.reply, message, { retain: false });
    const link = this.link;
    if (!route || !link?.connected || link.protocolVersion !== 5) return;
    if (route.responseTopic.startsWith(`${TOPIC_ROOT}/`)) {
      // A response topic inside the contract's tree would let a sender make this device write on topics it must not (its own state, its commands).
      this.opts.log.warn('response topic inside deepend/ refused: answered on cmd/reply only', {
        topic: route.responseTopic,
        commandId: message.commandId,
      });
      return;
    }
    const properties = route.correlationData ? { correlationData: route.correlationData } : {};
    link.publish(route.responseTopic, encodeMessage('reply', message), { qos: 1, properties }).catch((err: unknown) => {
      this.opts.log.warn('reply to the response topic not sent', {
        topic: route.responseTopic,
        error: err instanceof Error ? err.message : String(err),
      });
    });
  }

  private sendTelemetry(): void {
    if (!this.link?.connected) return;
    void this.telemetry.sample().then((message) => {
      const link = this.link;
      if (!link?.connected) return;
      link.publish(this.topics.telemetry, encodeMessage('telemetry', message), { qos: 0 }).catch(() => {
        // QoS 0 and periodic: a lost sample is replaced by the next one.
      });
    });
  }
}
