/*
 * Payload types of the fleet contract. Each has a JSON Schema of the same
 * name in ./schemas/ (what is validated on the wire); these types mirror them.
 * Times are ISO 8601 strings in UTC.
 */
import type { CommandName } from './topics';

export const DEVICE_STATES = ['init', 'ready', 'upgrading', 'degraded', 'offline', 'lost'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/** `state`, retained, QoS 1. The Last Will carries `lost` with the session of the connection that set it. */
export interface StateMessage {
  state: DeviceState;
  /** Increases on every connection; a will from an older session is stale. */
  session: number;
  ts: string;
}

export interface BirthModel {
  name: string;
  version: number;
  depth: number;
  accuracy: number | null;
  sha256: string;
  origin?: {
    format: 'deepend' | 'tfjs-layers' | 'keras-h5' | 'keras-v3';
    producer?: string | null;
    depthAtImport: number;
  };
  /** Present when the committed version was corrupt at start and this older one serves instead. */
  fallback?: { fromVersion: number; reason: 'corrupt' };
}

/** `birth`, retained: what a device is, sent on every connect and on cmd/rebirth. */
export interface BirthMessage {
  device: string;
  fleet: string;
  groups: string[];
  session: number;
  daemonVersion: string;
  hardware: {
    cpu: { model: string; cores: number };
    memoryBytes: number;
    gpus: { vendor: string; model: string; vramBytes: number | null }[];
    jetson: { model: string; l4t?: string } | null;
    unifiedMemory: boolean;
    arch: string;
    fingerprint: string;
  };
  backend: string;
  policy: { name: string; hash: string; rule: string | null; targetDepth: number | null };
  model: BirthModel;
  /** The predict endpoint, when serving. */
  predictUrl: string | null;
  /** Present while the device serves read-only: it started on a disk it cannot write (full, read-only, failing) and runs no job. */
  readOnly?: { reason: string; since: string };
  ts: string;
}

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'rejected', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** `jobs/JOBID`, retained: the latest status of one job; progress updates while it runs. */
export interface JobMessage {
  jobId: string;
  commandId?: string;
  kind: 'upgrade' | 'rollback';
  trigger: 'automatic' | 'manual' | 'fleet';
  status: JobStatus;
  /** The job's state machine state (planning, growing, stage1, stage2, validating, swapping, or the terminal one). */
  step: string;
  percent: number;
  depthBefore: number;
  depthAfter: number | null;
  accuracyBefore: number | null;
  accuracyAfter: number | null;
  reason?: string;
  /** The rollout this job carries out, when it came from a desired document. */
  rolloutId?: string;
  ts: string;
}

/** Fields every command may carry. */
export interface CommandBase {
  commandId: string;
  /** Past this instant the command is not run (answered with an error). */
  expiresAt?: string;
}
export interface DeepenCommand extends CommandBase {
  toDepth: number;
  method?: string;
}
export interface CancelCommand extends CommandBase {
  jobId: string;
}
export interface RollbackCommand extends CommandBase {
  version?: number;
}
export type RebirthCommand = CommandBase;
export type CommandMessage = DeepenCommand | CancelCommand | RollbackCommand | RebirthCommand;

/** `cmd/reply` and the MQTT 5 response topic. commandId is null when the payload was too malformed to hold one. */
export interface ReplyMessage {
  commandId: string | null;
  command: CommandName | string | null;
  ok: boolean;
  jobId?: string;
  error?: string;
  /** True when this answers a command id that was already processed (the first answer, repeated). */
  duplicate?: boolean;
  ts: string;
}

/** `desired` (device) and `groups/GROUP/desired`, retained: where a rollout wants the device to be. */
export interface DesiredMessage {
  rolloutId: string;
  toDepth: number;
  method?: string;
  ts: string;
}

export const REPORTED_STATUSES = ['running', 'succeeded', 'failed'] as const;
export type ReportedStatus = (typeof REPORTED_STATUSES)[number];

/** `reported`, retained: how far the device got towards the desired document it last acted on. */
export interface ReportedMessage {
  rolloutId: string;
  /** 'device' or 'group:NAME': which desired document this answers. */
  source: string;
  toDepth: number;
  status: ReportedStatus;
  jobId: string | null;
  depth: number;
  modelVersion: number;
  reason?: string;
  ts: string;
}

/** `telemetry`, QoS 0, not retained, every mqtt.telemetrySeconds. */
export interface TelemetryMessage {
  backend: string;
  /** Predictions served per second since the previous telemetry message. */
  predictRate: number;
  latencyMs: { p50: number | null; p99: number | null };
  memory: { rssBytes: number; heapUsedBytes: number; tensors: number | null };
  uptimeSeconds: number;
  ts: string;
}

export const ROLLOUT_STATUSES = ['running', 'stopped', 'completed'] as const;
export const ROLLOUT_DEVICE_STATUSES = ['planned', 'sent', 'running', 'succeeded', 'failed', 'pending'] as const;

/**
 * `deepend/v1/FLEET/rollout/ROLLOUTID`, retained, written by the fleet side
 * running the rollout (never by a device) as it advances: its plan and every
 * device's progress, so another CLI or console sees it and can resume it.
 */
export interface RolloutMessage {
  rolloutId: string;
  fleet: string;
  status: (typeof ROLLOUT_STATUSES)[number];
  params: {
    group: string | null;
    toDepth: number;
    method: string | null;
    canaryPct: number;
    batchPct: number;
    maxFailuresPct: number;
    /** Cumulative percentages of the target set (--waves 1,10,50,100); null: canary and batches. */
    wavesPct: number[] | null;
    /** Seconds to wait between two waves (or batches). */
    pauseS: number;
    /** A wave passes only if the median of its measured gains (points) is at least this; null: no such rule. */
    minMedianGain: number | null;
    /** A wave passes only if none of its devices lost more than this many points; null: no such rule. */
    maxLoss: number | null;
    /** Roll back the devices of the wave that stopped the rollout. */
    rollbackOnStop: boolean;
  };
  hasCanary: boolean;
  batchCount: number;
  currentBatch: number;
  nextBatchAt: string | null;
  groupPublished: boolean;
  stop: { batch: number; rule: string; why: string } | null;
  lostAtPlan: { device: string; state: 'lost' | 'offline'; since: string | null }[];
  devices: {
    device: string;
    batch: number;
    status: (typeof ROLLOUT_DEVICE_STATUSES)[number];
    depth: number | null;
    jobId: string | null;
    jobStatus: string | null;
    accuracyBefore: number | null;
    accuracyAfter: number | null;
    reason: string | null;
    rollback: string | null;
  }[];
  createdAt: string;
  ts: string;
}

/** Message kinds with a schema, by the file name under ./schemas/ (KIND.schema.json). */
export const MESSAGE_KINDS = [
  'state',
  'birth',
  'job',
  'deepen',
  'cancel',
  'rollback',
  'rebirth',
  'reply',
  'desired',
  'reported',
  'telemetry',
  'rollout',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export interface MessageOfKind {
  state: StateMessage;
  birth: BirthMessage;
  job: JobMessage;
  deepen: DeepenCommand;
  cancel: CancelCommand;
  rollback: RollbackCommand;
  rebirth: RebirthCommand;
  reply: ReplyMessage;
  desired: DesiredMessage;
  reported: ReportedMessage;
  telemetry: TelemetryMessage;
  rollout: RolloutMessage;
}
