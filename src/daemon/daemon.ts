import { firstLine, DeependError } from '../util/deepend-error';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { selectBackend } from '../compute/backend';
import type { Config } from '../config';
import type { JobEvents, RunnerDeps } from '../jobs/types';
import { loadPolicy } from '../policy';
import { Metrics, ModelSlot, serverPort, startServer, stopServer } from '../serve';
import { openStore, isTerminal, JOB_STATES, JobRow } from '../store';
import { committedBaseDepth, importShipped, reconcile } from '../store/model-dirs';
import { ComputeWatcher } from './compute-watcher';
import { controlHandler } from './control-api';
import { startControlServer } from './control-server';
import { claimControlSocket } from './control-socket';
import { hardwareSource } from './hardware-source';
import { Lifecycle } from './lifecycle';
import { Logger } from '../util/log';
import { startMemoryWatchdog } from './memory-watchdog';
import { ProgressBoard } from './progress-board';
import { RunnerPort } from '../jobs/runner-port';
import { SHIPPED_MODEL_DIR } from './shipped-model';
import { DaemonParts } from './status';
import { FleetAgent } from './fleet/agent';
import { describeBroker } from '../mqtt/client-options';
import { startEmbeddedBroker } from '../mqtt/embedded-broker';
import { daemonFleetSources } from './fleet-sources';
import { adoptUserModel } from './user-model';
import { serveCommittedOrFallback } from '../jobs/corrupt-fallback';
import { pruneVersions } from '../jobs/retention';
import { JobEventBus } from '../jobs/job-event-bus';
import { jobLogListener } from './job-log';
import { isStorageError } from '../store/disk';
import { openReadOnlyStore } from '../store/read-only';
import { ReadOnlyRunner } from './read-only-runner';
import { freeSpaceOrNull, readOnlyReason, serveReadOnlyFiles } from './read-only';
import { StartInterrupted, StartStage, startStageHooks } from './start-stages';
import { DAEMON_NODE_FLAGS, hasDaemonNodeFlags } from '../util/node-flags';

export interface DaemonOptions {
  config: Config;
  log: Logger;
  createRunner: (deps: RunnerDeps) => RunnerPort;
  env?: NodeJS.ProcessEnv;
  shippedModel?: string;
  /** Called once a daemon that started read-only finds its disk writable again (run.ts restarts it). */
  onWritable?: () => void;
}

/** How often a read-only daemon looks at its disk. */
const READ_ONLY_POLL_MS = 2000;

/** How long HTTP requests may take to finish once the daemon stops accepting new ones. */
const DRAIN_MS = 10_000;

/**
 * The daemon: subsystems started in order, each one's stop registered as it
 * starts, stopped newest first. Start order: control socket claim (refuses a
 * second daemon before anything is touched), policy, backend, store,
 * compute detection, model files, the serving slot, HTTP, the job runner
 * (recovering interrupted jobs), the control API, the fleet link (and the
 * embedded broker when no broker is configured), then triggers. The fleet
 * agent is built with the store, before the runner, so that every job event
 * reaches the outbox; it connects only once the daemon can answer commands.
 */
export class Daemon {
  readonly parts: DaemonParts;
  private readonly lifecycle: Lifecycle;
  private stopping?: Promise<boolean>;
  private starting?: Promise<void>;
  private askStop!: () => void;
  private readonly stopAsked = new Promise<void>((r) => (this.askStop = r));
  private stopWanted = false;

  constructor(private readonly opts: DaemonOptions) {
    this.parts = { config: opts.config, startedAt: new Date(), progress: new ProgressBoard(), phase: 'starting' };
    this.lifecycle = new Lifecycle(opts.log);
  }

  /**
   * Starts the parts in order. A stop asked for meanwhile takes effect at the
   * next stage: start() then rejects with StartInterrupted and stop() stops
   * what had started.
   */
  start(): Promise<void> {
    this.starting ??= this.startParts();
    return this.starting;
  }

  /** One start stage: its test hooks, then the check for a stop asked for during start-up. */
  private async stage(stage: StartStage): Promise<void> {
    await startStageHooks(stage, this.stopAsked, this.opts.env);
    if (this.stopWanted) throw new StartInterrupted(stage);
  }

  private async startParts(): Promise<void> {
    const { config, log } = this.opts;
    const { parts, lifecycle } = this;
    const name = config.model.name;
    await this.stage('claim');
    mkdirSync(config.home, { recursive: true });
    const socketPath = await claimControlSocket(config.home);

    await this.stage('watchdog');
    await lifecycle.start('memory watchdog', () => ({
      value: undefined,
      stop: startMemoryWatchdog({ log, warnMB: config.memory.warnMB }),
    }));
    if (!hasDaemonNodeFlags())
      log.info('V8 memory-saving mode is off', {
        hint: `start node with ${DAEMON_NODE_FLAGS.join(' ')} (npm start and daemon/deepend.service do) for about 30 MB less memory`,
      });
    await this.stage('policy');
    parts.policy = loadPolicy(config.policy);
    log.info('policy loaded', { file: parts.policy.file, name: parts.policy.name, rules: parts.policy.rules.length });

    await this.stage('backend');
    parts.backend = await selectBackend();
    log.info('backend selected', {
      backend: parts.backend.name,
      package: parts.backend.package,
      gpu: parts.backend.gpu,
      skipped: parts.backend.skipped.length ? parts.backend.skipped : undefined,
    });

    await this.stage('store');
    const store = await lifecycle.start('store', () => {
      const warn = (msg: string, fields: Record<string, unknown>) => log.warn(msg, fields);
      const why = readOnlyReason(config.home);
      if (why === undefined) {
        try {
          const s = openStore(config.home, { warn });
          return { value: s, stop: () => s.close() };
        } catch (err) {
          if (!isStorageError(err)) throw err;
          this.enterReadOnly(firstLine(err));
        }
      } else {
        this.enterReadOnly(why);
      }
      const s = openReadOnlyStore(config.home, warn);
      return { value: s, stop: () => s.close() };
    });
    parts.store = store;
    const metrics = new Metrics();
    const fleet = new FleetAgent({
      config,
      store,
      log,
      sources: daemonFleetSources(parts, metrics),
      runner: () => parts.runner,
    });
    parts.fleet = fleet;
    const jobEvents = new JobEventBus((err, event, job) =>
      log.error('a job event listener failed', { event, job: job.id, error: err.message }),
    );
    jobEvents.subscribe(fleet.jobEvents);

    const source = hardwareSource(this.opts.env);
    if (source.fixture) log.warn('reading hardware from a fixture file, not this machine', { fixture: source.fixture });
    const watcher = new ComputeWatcher({
      store,
      policy: parts.policy,
      backend: parts.backend.name,
      read: source.read,
      log,
      committedDepth: () => store.committedVersion(name)?.depth ?? 0,
      baseDepth: () => committedBaseDepth(store, name),
    });
    parts.watcher = watcher;
    await this.stage('detect');
    await watcher.detect();

    await this.stage('model-files');

    if (parts.readOnly) {
      serveReadOnlyFiles(config.home, name, store, this.opts.shippedModel ?? SHIPPED_MODEL_DIR, log);
    } else {
      const fixed = reconcile(config.home, name, store);
      for (const action of fixed.actions) log.info('model files reconciled', { model: name, action });
      const adopted = await adoptUserModel(config, store, parts.backend.name, log);
      if (fixed.committed === undefined && !adopted) {
        const v1 = importShipped(config.home, name, this.opts.shippedModel ?? SHIPPED_MODEL_DIR, store);
        log.info('shipped model imported', { model: name, version: v1.version, depth: v1.depth, dir: v1.dir });
      }
    }

    await this.stage('slot');
    const slot = await lifecycle.start('model slot', async () => {
      const s = new ModelSlot(name);
      try {
        parts.fallback = await serveCommittedOrFallback({
          store,
          modelName: name,
          slot: s,
          log: (line) => log.line(line),
          onJob: (job) => jobEvents.onState(job),
        });
      } catch (err) {
        await s.close();
        throw err;
      }
      const committed = store.committedVersion(name)!;
      log.info('model loaded', {
        model: name,
        version: committed.version,
        depth: committed.depth,
        accuracy: committed.metrics.accuracy,
        fallbackFrom: parts.fallback?.fromVersion,
      });
      return { value: s, stop: () => s.close() };
    });
    parts.slot = slot;

    await this.stage('http');
    const server = await lifecycle.start<Server>('http server', async () => {
      const srv = await startServer({
        host: config.http.host,
        port: config.http.port,
        maxConnections: config.http.maxConnections,
        slots: new Map([[name, slot]]),
        metrics,
        status: () => this.health(),
        jobs: { states: JOB_STATES, current: () => parts.runner?.active()?.state },
      }).catch((err: NodeJS.ErrnoException) => {
        throw new DeependError(
          'conflict',
          `cannot serve on ${config.http.host}:${config.http.port} (${listenFailure(err)})`,
        );
      });
      return { value: srv, stop: () => stopServer(srv, DRAIN_MS) };
    });
    const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
    parts.httpUrl = `http://${host}:${serverPort(server)}`;
    log.info('serving', { url: parts.httpUrl, predict: `${parts.httpUrl}/v1/models/${name}:predict` });

    await this.stage('runner');
    jobEvents.subscribe(jobLogListener(log));
    jobEvents.subscribe(this.jobAftermath(watcher));
    const runner = await lifecycle.start('job runner', async () => {
      if (parts.readOnly) {
        const r: RunnerPort = new ReadOnlyRunner(() => parts.readOnly!.reason);
        return { value: r, stop: () => r.stop() };
      }
      const r = this.opts.createRunner({
        store,
        home: config.home,
        modelName: name,
        slot,
        rule: () => watcher.rule(),
        data: config.data,
        backend: parts.backend!.name,
        events: jobEvents,
        log: (line) => log.line(line),
        tuning: {
          dataLimit: config.dataLimit > 0 ? config.dataLimit : undefined,
          growthNice: config.growthNice,
        },
      });
      return { value: r, stop: () => r.stop() };
    });
    parts.runner = runner;
    await this.stage('recover');
    const recovered = await runner.recover();
    if (recovered.resumed.length + recovered.rolledBack.length + recovered.failed.length > 0)
      log.info('interrupted jobs recovered', { ...recovered });
    this.prune();

    await this.stage('control');
    await lifecycle.start('control api', async () => {
      try {
        const control = await startControlServer(socketPath, controlHandler(parts));
        return { value: control, stop: control.close };
      } catch (err) {
        if (!parts.readOnly || !isStorageError(err)) throw err;
        log.warn('no control API: its socket cannot be created on this disk', { error: (err as Error).message });
        return { value: undefined };
      }
    });

    await this.stage('broker');
    let brokerProtocol: 4 | undefined;
    if (config.mqtt.url === null) {
      const broker = await lifecycle.start('embedded broker', async () => {
        const b = await startEmbeddedBroker({ host: '127.0.0.1', port: config.mqtt.embeddedPort });
        return { value: b, stop: () => b.close() };
      });
      parts.brokerUrl = broker.url;
      brokerProtocol = broker.protocolVersion;
      log.info('embedded MQTT broker listening', { url: broker.url });
    } else {
      parts.brokerUrl = config.mqtt.url;
    }
    await this.stage('fleet');
    await lifecycle.start('fleet link', async () => {
      fleet.start(parts.brokerUrl!, brokerProtocol);
      log.info('fleet link started', {
        broker: describeBroker(parts.brokerUrl!),
        fleet: config.fleet,
        device: config.deviceId,
        groups: config.groups,
      });
      fleet.runnerReady();
      return { value: fleet, stop: () => fleet.stop() };
    });
    // Stopped before the fleet link (stops run in reverse): a stop parks the running job first, so the fleet's
    // retained job message says `parked`, not a step the job no longer runs.
    await lifecycle.start('jobs parked', async () => ({ value: undefined, stop: () => runner.stop() }));

    await this.stage('triggers');
    await lifecycle.start('triggers', async () => {
      watcher.attach(runner);
      await watcher.decide('start');
      watcher.startSchedule(config.detect.cron);
      return { value: undefined, stop: () => watcher.stop() };
    });
    if (this.stopWanted) throw new StartInterrupted('triggers');
    parts.phase = 'running';
    fleet.refreshState();
    if (parts.readOnly) this.watchForSpace();
  }

  /** Start-up found the disk unwritable: serve what is on it, run no job, say so everywhere. */
  private enterReadOnly(reason: string): void {
    const free = freeSpaceOrNull(this.opts.config.home);
    this.parts.readOnly = { reason, since: new Date().toISOString(), freeBytes: free };
    this.opts.log.warn(
      'read-only: the home directory cannot be written; serving the committed model, no jobs until it can',
      { reason, freeBytes: free },
    );
  }

  /** Read-only: polls the disk; once it takes writes again, asks for a restart of the parts on the writable disk. */
  private watchForSpace(): void {
    const timer = setInterval(() => {
      const ro = this.parts.readOnly;
      if (!ro || this.stopWanted) return clearInterval(timer);
      ro.freeBytes = freeSpaceOrNull(this.opts.config.home);
      if (readOnlyReason(this.opts.config.home) !== undefined) return;
      try {
        openStore(this.opts.config.home).close();
      } catch (err) {
        ro.reason = firstLine(err);
        return;
      }
      clearInterval(timer);
      this.opts.log.info('the disk can be written again: leaving read-only', { freeBytes: ro.freeBytes });
      this.opts.onWritable?.();
    }, READ_ONLY_POLL_MS);
    timer.unref();
  }

  /**
   * Stops everything that started, newest first; resolves false when some part
   * failed to stop. Safe to call twice, and at any moment of start(): the
   * start ends at its next stage first, so nothing starts after the stop.
   */
  stop(reason: string): Promise<boolean> {
    this.stopping ??= (async () => {
      this.parts.phase = 'stopping';
      this.stopWanted = true;
      this.askStop();
      this.opts.log.info('stopping', { reason, job: this.parts.runner?.active()?.id });
      if (this.starting) await this.starting.catch(() => undefined);
      return this.lifecycle.stopAll();
    })();
    return this.stopping;
  }

  /** Retention: prunes old versions while no job runs (a job that starts later finds them gone only if it does not need them). */
  private prune(): void {
    const { store, runner, config } = this.parts;
    if (!store || this.stopWanted || runner?.active()) return;
    try {
      const pruned = pruneVersions(store, config.model.name, config.retention);
      if (pruned.length > 0)
        this.opts.log.info('old model versions pruned', {
          model: config.model.name,
          versions: pruned,
          retention: config.retention,
        });
    } catch (err) {
      this.opts.log.warn('pruning old model versions failed; they stay on disk', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private health(): object {
    const { config, slot, backend, runner } = this.parts;
    const served = slot?.current();
    return {
      device: config.deviceId,
      backend: backend?.name,
      model: { name: config.model.name, version: served?.version ?? null, depth: served?.meta.depth ?? null },
      job: runner?.active()?.state ?? null,
      readOnly: this.parts.readOnly ?? null,
    };
  }

  /** What the daemon itself does on job events: the progress board, and after a job ends the watcher and pruning. */
  private jobAftermath(watcher: ComputeWatcher): JobEvents {
    return {
      onState: (job: JobRow) => {
        if (!isTerminal(job.state)) return;
        this.parts.progress.forgetOld();
        watcher.jobEnded(job);
        // after the runner has finished with the job (it flips `current` after announcing)
        if (job.state === 'succeeded') setImmediate(() => this.prune());
      },
      onProgress: (job, e) => this.parts.progress.record(job.id, e),
    };
  }
}

/** Why the HTTP server could not listen, with what to change. */
function listenFailure(err: NodeJS.ErrnoException): string {
  if (err.code === 'EADDRINUSE') return 'the port is in use: set http.port or DEEPEND_HTTP_PORT';
  if (err.code === 'EADDRNOTAVAIL') return 'no such address here: check http.host';
  return err.message;
}
