import type { BackendInfo } from '../compute/backend';
import type { Config } from '../config';
import { describeDecision, Policy } from '../policy';
import type { ModelSlot } from '../serve';
import type { JobRow, ModelVersionRow, Store } from '../store';
import { ComputeWatcher } from './compute-watcher';
import { JobProgressView, ProgressBoard } from './progress-board';
import { RunnerPort } from '../jobs/runner-port';
import type { FleetAgent } from './fleet/agent';
import { describeBroker } from '../mqtt/client-options';
import { describeProducer, originOf } from '../model/meta';
import { ruleTarget } from '../policy/target';
import type { Fallback } from '../jobs/corrupt-fallback';

const MB = 1024 * 1024;

/** Everything a status answer reads; filled in as the daemon starts. */
export interface DaemonParts {
  config: Config;
  startedAt: Date;
  backend?: BackendInfo;
  policy?: Policy;
  store?: Store;
  slot?: ModelSlot;
  watcher?: ComputeWatcher;
  runner?: RunnerPort;
  progress: ProgressBoard;
  /** http://host:port once the server listens (the real port when 0 was configured). */
  httpUrl?: string;
  /** Starting, running or stopping. */
  phase: string;
  fleet?: FleetAgent;
  /** The broker the fleet link uses: the configured one or the embedded broker's (may hold credentials: never log it raw). */
  brokerUrl?: string;
  /** Set when the committed version was corrupt at start and an older one serves instead. */
  fallback?: Fallback;
  /** Set when the daemon started on a disk it cannot write (full, read-only, failing): why, since when, free bytes now. */
  readOnly?: { reason: string; since: string; freeBytes: number | null };
}

export interface JobView extends JobRow {
  progress: JobProgressView | null;
}

/** The job with its growth progress while it grows (after growth, the last progress would say stage2 100%). */
export function jobView(parts: DaemonParts, job: JobRow): JobView {
  return { ...job, progress: job.state === 'growing' ? (parts.progress.of(job.id) ?? null) : null };
}

export function versionView(v: ModelVersionRow, serving: number | undefined) {
  const accuracy = typeof v.metrics.accuracy === 'number' ? v.metrics.accuracy : null;
  return {
    version: v.version,
    parent: v.parent,
    depth: v.depth,
    method: v.method,
    accuracy,
    sha256: v.sha256,
    createdAt: v.createdAt,
    committed: v.committed,
    committedAt: v.committedAt,
    quarantined: v.quarantined,
    serving: v.version === serving,
    dir: v.dir,
  };
}

/** The answer to GET /status (`deepend status`). */
export function daemonStatus(parts: DaemonParts) {
  const { config, store, slot, watcher, runner, policy, backend } = parts;
  const served = slot?.current();
  const committed = store?.committedVersion(config.model.name);
  const detection = watcher?.current();
  const match = detection?.match;
  const active = runner?.active() ?? store?.activeJob();
  const origin = served ? originOf(served.meta) : undefined;
  return {
    phase: parts.phase,
    readOnly: parts.readOnly ?? null,
    pid: process.pid,
    startedAt: parts.startedAt.toISOString(),
    uptimeSeconds: Math.round((Date.now() - parts.startedAt.getTime()) / 1000),
    home: config.home,
    device: { id: config.deviceId, fleet: config.fleet, groups: config.groups },
    backend: backend ? { name: backend.name, package: backend.package, gpu: backend.gpu } : null,
    http: parts.httpUrl
      ? { url: parts.httpUrl, predict: `${parts.httpUrl}/v1/models/${config.model.name}:predict` }
      : null,
    model: {
      name: config.model.name,
      servingVersion: served?.version ?? null,
      committed: committed ? versionView(committed, served?.version) : null,
      origin: origin
        ? {
            format: origin.format,
            source: origin.source ?? null,
            producer: describeProducer(origin.producer),
            depthAtImport: origin.depthAtImport,
          }
        : null,
      fallback: parts.fallback
        ? {
            fromVersion: parts.fallback.fromVersion,
            version: parts.fallback.version,
            reason: 'corrupt',
            failed: parts.fallback.failed,
            quarantined: parts.fallback.quarantined,
            job: parts.fallback.job.id,
          }
        : null,
    },
    compute: detection
      ? {
          fingerprint: detection.fingerprint,
          detectedAt: detection.detectedAt,
          cores: detection.facts.cpu.cores,
          memoryBytes: detection.facts.memoryBytes,
          gpus: detection.facts.gpus,
          webgpu: detection.facts.webgpu ?? null,
        }
      : null,
    policy: policy
      ? {
          file: policy.file,
          name: policy.name,
          rule: match?.rule
            ? {
                name: match.rule.name,
                index: match.index,
                targetDepth: ruleTarget(match.rule, origin?.depthAtImport ?? 0),
                method: match.rule.method,
                automatic: match.rule.automatic,
                window: match.rule.window ?? null,
                decision: describeDecision(match.rule, origin?.depthAtImport),
              }
            : null,
        }
      : null,
    job: active ? jobView(parts, active) : null,
    shadow: runner?.shadowing?.() ?? null,
    watch: runner?.watching?.() ?? null,
    fleet: parts.fleet
      ? {
          broker: parts.brokerUrl ? describeBroker(parts.brokerUrl) : null,
          embedded: config.mqtt.url === null,
          connected: parts.fleet.connected(),
          outboxPending: parts.fleet.outboxPending(),
          topics: parts.fleet.topics.base,
        }
      : null,
    store: store ? { walDiscarded: store.walDiscarded ?? null } : null,
    memory: {
      rssMB: Math.round(process.memoryUsage.rss() / MB),
      heapMB: Math.round(process.memoryUsage().heapUsed / MB),
    },
  };
}

export type DaemonStatus = ReturnType<typeof daemonStatus>;
