import type { JobKind, JobState, JobTrigger } from './job-states';

export type { JobKind, JobState, JobTrigger };
export type JsonObject = Record<string, unknown>;

export interface NewModelVersion {
  name: string;
  version: number;
  parent: number | null;
  depth: number;
  method: string | null;
  sha256: string;
  metrics: object;
  /** Absolute, or relative to the home directory; stored relative to home when inside it. */
  dir: string;
  /** Defaults to now; meta.json's createdAt when a version is adopted from disk. */
  createdAt?: string;
  /** When it was first committed, for a version adopted from disk that had served. */
  committedAt?: string | null;
}

export interface ModelVersionRow {
  name: string;
  version: number;
  parent: number | null;
  depth: number;
  method: string | null;
  sha256: string;
  metrics: JsonObject;
  /** Absolute path, resolved against the store's home. */
  dir: string;
  createdAt: string;
  committed: boolean;
  /** When it was first committed; null for a version that never served. */
  committedAt: string | null;
  /** Set when its files failed their checksum or load and were moved aside (never deleted). */
  quarantined: { at: string; reason: string } | null;
}

export interface NewJob {
  kind: JobKind;
  trigger: JobTrigger;
  request: object;
  commandId?: string;
}

export interface JobRow {
  id: string;
  kind: JobKind;
  trigger: JobTrigger;
  request: JsonObject;
  commandId: string | null;
  state: JobState;
  /** How many times a runner started or resumed the job (the crash loop guard counts these). */
  attempts: number;
  reason: string | null;
  result: JsonObject | null;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
}

/**
 * What a transition records. `reason` and `result`, when given, are also
 * copied onto the job row (the latest wins), so a job's outcome is readable
 * without walking its history.
 */
export interface TransitionDetail extends JsonObject {
  reason?: string;
  result?: object;
}

export interface TransitionRow {
  jobId: string;
  seq: number;
  from: JobState | null;
  to: JobState;
  at: string;
  detail: JsonObject;
}

export interface EventRow {
  id: number;
  at: string;
  kind: string;
  data: JsonObject;
}

export interface OutboxRow {
  id: number;
  topic: string;
  /** null: an empty message, which clears a retained topic on the broker. */
  payload: JsonObject | null;
  retain: boolean;
  qos: 0 | 1;
  createdAt: string;
  sentAt: string | null;
}

export interface PruneCounts {
  events: number;
  commands: number;
  outbox: number;
}

export interface Store {
  readonly home: string;
  /** The database file. */
  readonly path: string;

  addModelVersion(v: NewModelVersion): ModelVersionRow;
  modelVersion(name: string, version: number): ModelVersionRow | undefined;
  modelVersions(name: string): ModelVersionRow[];
  committedVersion(name: string): ModelVersionRow | undefined;
  setCommitted(name: string, version: number): void;
  /** Set when opening found a damaged WAL that SQLite discarded: one line saying what was lost. */
  walDiscarded?: string;
  /** Marks an uncommitted version quarantined (its files are moved aside by model-dirs). */
  markQuarantined(name: string, version: number, reason: string): void;
  /** Deletes an uncommitted version's row (its files are model-dirs' business). */
  forgetModelVersion(name: string, version: number): void;

  createJob(j: NewJob): JobRow;
  transition(jobId: string, to: JobState, detail?: TransitionDetail): JobRow;
  /** Adds figures measured after an ended job's last transition (the watch after a swap) to its result. */
  amendResult(jobId: string, patch: JsonObject): JobRow;
  /** Counts one more start or resume of a non-terminal job; returns the new count. */
  recordAttempt(jobId: string): number;
  job(jobId: string): JobRow | undefined;
  jobByCommand(commandId: string): JobRow | undefined;
  /** Newest first. */
  jobs(limit?: number): JobRow[];
  /** The oldest non-terminal job (with one job at a time: the one that runs). */
  activeJob(): JobRow | undefined;
  /** Every non-terminal job, oldest first: what crash recovery looks at. */
  unfinishedJobs(): JobRow[];
  transitions(jobId: string): TransitionRow[];

  logEvent(kind: string, data: object): void;
  /** Newest first. */
  events(limit?: number): EventRow[];

  /** Records a processed command id; false (and nothing written) when it was already there. */
  rememberCommand(id: string, result: object): boolean;
  commandResult(id: string): JsonObject | undefined;

  /** payload null: an empty message (with retain, it clears the topic's retained message on the broker). */
  enqueueOutbox(topic: string, payload: object | null, opts?: { retain?: boolean; qos?: 0 | 1 }): number;
  /** Unsent messages in delivery order (ascending id). */
  pendingOutbox(limit: number): OutboxRow[];
  pendingOutboxCount(): number;
  markSent(id: number): void;

  getSetting(key: string): string | undefined;
  setSetting(key: string, value: string): void;

  /** Deletes events, processed command ids and sent outbox rows older than `before`. */
  prune(before: Date): PruneCounts;
  /** Runs `fn` in one transaction; store calls inside it join the transaction. */
  atomically<T>(fn: () => T): T;
  close(): void;
}
