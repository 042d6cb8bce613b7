import { firstLine } from '../../util/deepend-error';
/*
 * The rollout state file (SQLite): the plan and every device's progress,
 * written before anything is published and after every step, so a CLI killed
 * at any point leaves a rollout that `--resume` continues.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { JobStatus, RolloutMessage } from '../../contract/messages';
import { paramsKey, RolloutParams, RolloutPlan, WAVE_DEFAULTS } from './rollout-plan';

export const STATE_FILE_NAME = 'fleet-rollouts.db';

/**
 * planned: in a batch not published yet; sent: desired published, no answer;
 * running/succeeded/failed: the device's `reported`; pending: its batch timed out before it answered.
 */
export const DEVICE_ROLLOUT_STATUSES = ['planned', 'sent', 'running', 'succeeded', 'failed', 'pending'] as const;
export type DeviceRolloutStatus = (typeof DEVICE_ROLLOUT_STATUSES)[number];

/** running: unfinished (resumable); stopped: failures passed the threshold; completed: every batch went out. */
export type RolloutStatus = 'running' | 'stopped' | 'completed';

export interface RolloutDevice {
  device: string;
  batch: number;
  status: DeviceRolloutStatus;
  depth: number | null;
  jobId: string | null;
  reason: string | null;
  /** The terminal status of its rollout job (jobs/JOBID): tells `rejected` from `failed`. */
  jobStatus: JobStatus | null;
  accuracyBefore: number | null;
  accuracyAfter: number | null;
  /** --rollback-on-stop: null (not asked), 'sent', 'done', or 'failed: WHY'. */
  rollback: string | null;
}

/** The wave that stopped a rollout, the rule it failed and the figures. */
export interface RolloutStop {
  batch: number;
  rule: NonNullable<RolloutMessage['stop']>['rule'];
  why: string;
}

export interface RolloutPause {
  at: string;
  by: string;
}

export interface LostDevice {
  device: string;
  state: 'lost' | 'offline';
  since: string | null;
}

export interface RolloutRecord {
  id: string;
  params: RolloutParams;
  status: RolloutStatus;
  hasCanary: boolean;
  batchCount: number;
  /** The batch being sent or waited for; batchCount once all are done. */
  currentBatch: number;
  groupPublished: boolean;
  /** When the current batch may be sent (--pause after the one before); null: now. */
  nextBatchAt: string | null;
  stop: RolloutStop | null;
  /** Set while the operator holds it (rollout-control `pause`): no further batch is sent until resumed. */
  paused: RolloutPause | null;
  /** Devices of the target set that were lost or offline when the rollout was planned (in the plan all the same: they converge when back). */
  lostAtPlan: LostDevice[];
  createdAt: string;
  updatedAt: string;
  /** Sorted by batch, then device. */
  devices: RolloutDevice[];
}

export type DevicePatch = Partial<
  Pick<
    RolloutDevice,
    'status' | 'depth' | 'jobId' | 'reason' | 'jobStatus' | 'accuracyBefore' | 'accuracyAfter' | 'rollback'
  >
>;

const SCHEMA_VERSION = 3;

/** Version 1 (before waves) to 2: the columns waves, quality and rollback need; old rows read as before. */
const MIGRATE_1_TO_2 = `
ALTER TABLE rollouts ADD COLUMN next_batch_at TEXT;
ALTER TABLE rollouts ADD COLUMN stop TEXT;
ALTER TABLE rollouts ADD COLUMN lost_at_plan TEXT;
ALTER TABLE rollout_devices ADD COLUMN job_status TEXT;
ALTER TABLE rollout_devices ADD COLUMN accuracy_before REAL;
ALTER TABLE rollout_devices ADD COLUMN accuracy_after REAL;
ALTER TABLE rollout_devices ADD COLUMN rollback TEXT;
`;

const MIGRATE_2_TO_3 = `
ALTER TABLE rollouts ADD COLUMN paused TEXT;
`;

const SCHEMA = `
CREATE TABLE rollouts (
  id TEXT PRIMARY KEY,
  params_key TEXT NOT NULL,
  params TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'stopped', 'completed')),
  has_canary INTEGER NOT NULL,
  batch_count INTEGER NOT NULL,
  current_batch INTEGER NOT NULL,
  group_published INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  next_batch_at TEXT,
  stop TEXT,
  lost_at_plan TEXT,
  paused TEXT
);
CREATE INDEX rollouts_by_params ON rollouts (params_key, status);
CREATE TABLE rollout_devices (
  rollout_id TEXT NOT NULL REFERENCES rollouts (id),
  device TEXT NOT NULL,
  batch INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('planned', 'sent', 'running', 'succeeded', 'failed', 'pending')),
  depth INTEGER,
  job_id TEXT,
  reason TEXT,
  updated_at TEXT NOT NULL,
  job_status TEXT,
  accuracy_before REAL,
  accuracy_after REAL,
  rollback TEXT,
  PRIMARY KEY (rollout_id, device)
);
`;

interface RolloutRow {
  id: string;
  params: string;
  status: RolloutStatus;
  has_canary: number;
  batch_count: number;
  current_batch: number;
  group_published: number;
  created_at: string;
  updated_at: string;
  next_batch_at: string | null;
  stop: string | null;
  lost_at_plan: string | null;
  paused: string | null;
}

interface DeviceRow {
  device: string;
  batch: number;
  status: DeviceRolloutStatus;
  depth: number | null;
  job_id: string | null;
  reason: string | null;
  job_status: JobStatus | null;
  accuracy_before: number | null;
  accuracy_after: number | null;
  rollback: string | null;
}

function fail(path: string, what: string): Error {
  return new Error(`rollout state file ${path} ${what}`);
}

export class RolloutStateFile {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
    private readonly now: () => Date,
  ) {}

  /** Opens or creates the file; anything that is not a rollout state file is refused, never overwritten. */
  static open(file: string, opts: { now?: () => Date } = {}): RolloutStateFile {
    const path = resolve(file);
    if (existsSync(path) && statSync(path).isDirectory()) throw fail(path, 'is a directory');
    mkdirSync(dirname(path), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(path, { timeout: 5000 });
    } catch (err) {
      throw fail(path, `cannot be opened: ${firstLine(err)}`);
    }
    try {
      const version = db.pragma('user_version', { simple: true }) as number;
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
      if (version === 0 && tables.n === 0) {
        db.exec('BEGIN');
        db.exec(SCHEMA);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
        db.exec('COMMIT');
      } else if (version === 1 || version === 2) {
        db.exec('BEGIN');
        if (version === 1) db.exec(MIGRATE_1_TO_2);
        db.exec(MIGRATE_2_TO_3);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
        db.exec('COMMIT');
      } else if (version !== SCHEMA_VERSION) {
        throw fail(
          path,
          version === 0
            ? 'is an SQLite file of something else; left untouched'
            : `has schema version ${version}, this deepend knows ${SCHEMA_VERSION}`,
        );
      }
      db.pragma('journal_mode = WAL');
      // Every step must survive a kill or a power cut: writes are few.
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
    } catch (err) {
      db.close();
      const code = (err as { code?: string }).code ?? '';
      if (code.startsWith('SQLITE_')) throw fail(path, `cannot be used (${code}); left untouched`);
      throw err;
    }
    return new RolloutStateFile(db, path, opts.now ?? (() => new Date()));
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  /** Records a new rollout and its whole plan in one transaction. */
  create(id: string, params: RolloutParams, plan: RolloutPlan, lostAtPlan: LostDevice[] = []): RolloutRecord {
    const ts = this.stamp();
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO rollouts (id, params_key, params, status, has_canary, batch_count, current_batch, created_at, updated_at, lost_at_plan) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)',
        )
        .run(
          id,
          paramsKey(params),
          JSON.stringify(params),
          'running',
          plan.hasCanary ? 1 : 0,
          plan.batches.length,
          ts,
          ts,
          JSON.stringify(lostAtPlan),
        );
      const insert = this.db.prepare(
        "INSERT INTO rollout_devices (rollout_id, device, batch, status, updated_at) VALUES (?, ?, ?, 'planned', ?)",
      );
      plan.batches.forEach((batch, i) => {
        batch.forEach((device) => {
          insert.run(id, device, i, ts);
        });
      });
    })();
    return this.get(id)!;
  }

  get(id: string): RolloutRecord | null {
    const row = this.db.prepare('SELECT * FROM rollouts WHERE id = ?').get(id) as RolloutRow | undefined;
    if (!row) return null;
    const devices = this.db
      .prepare(
        'SELECT device, batch, status, depth, job_id, reason, job_status, accuracy_before, accuracy_after, rollback FROM rollout_devices WHERE rollout_id = ? ORDER BY batch, device',
      )
      .all(id) as DeviceRow[];
    return {
      id: row.id,
      params: { ...WAVE_DEFAULTS, ...(JSON.parse(row.params) as RolloutParams) },
      status: row.status,
      hasCanary: row.has_canary === 1,
      batchCount: row.batch_count,
      currentBatch: row.current_batch,
      groupPublished: row.group_published === 1,
      nextBatchAt: row.next_batch_at,
      stop: row.stop === null ? null : (JSON.parse(row.stop) as RolloutStop),
      paused: row.paused === null ? null : (JSON.parse(row.paused) as RolloutPause),
      lostAtPlan: row.lost_at_plan === null ? [] : (JSON.parse(row.lost_at_plan) as LostDevice[]),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      devices: devices.map((d) => ({
        device: d.device,
        batch: d.batch,
        status: d.status,
        depth: d.depth,
        jobId: d.job_id,
        reason: d.reason,
        jobStatus: d.job_status,
        accuracyBefore: d.accuracy_before,
        accuracyAfter: d.accuracy_after,
        rollback: d.rollback,
      })),
    };
  }

  /** The newest unfinished rollout with these parameters. */
  findUnfinished(params: RolloutParams): RolloutRecord | null {
    const row = this.db
      .prepare(
        "SELECT id FROM rollouts WHERE params_key = ? AND status = 'running' ORDER BY created_at DESC, id DESC LIMIT 1",
      )
      .get(paramsKey(params)) as { id: string } | undefined;
    return row ? this.get(row.id) : null;
  }

  list(): { id: string; status: RolloutStatus; createdAt: string }[] {
    return (
      this.db
        .prepare('SELECT id, status, created_at FROM rollouts ORDER BY created_at DESC, id DESC')
        .all() as RolloutRow[]
    ).map((r) => ({ id: r.id, status: r.status, createdAt: r.created_at }));
  }

  updateDevice(id: string, device: string, patch: DevicePatch): void {
    const sets: string[] = [];
    const values: (string | number | null)[] = [];
    const columns: Record<keyof DevicePatch, string> = {
      status: 'status',
      depth: 'depth',
      jobId: 'job_id',
      reason: 'reason',
      jobStatus: 'job_status',
      accuracyBefore: 'accuracy_before',
      accuracyAfter: 'accuracy_after',
      rollback: 'rollback',
    };
    for (const key of Object.keys(patch) as (keyof DevicePatch)[]) {
      sets.push(`${columns[key]} = ?`);
      values.push(patch[key] ?? null);
    }
    if (sets.length === 0) return;
    const ts = this.stamp();
    this.db.transaction(() => {
      this.db
        .prepare(`UPDATE rollout_devices SET ${sets.join(', ')}, updated_at = ? WHERE rollout_id = ? AND device = ?`)
        .run(...values, ts, id, device);
      this.touch(id, ts);
    })();
  }

  /** A device that joined the target set after the plan, into batch `batch`. */
  addDevice(id: string, device: string, batch: number): void {
    const ts = this.stamp();
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT OR IGNORE INTO rollout_devices (rollout_id, device, batch, status, updated_at) VALUES (?, ?, ?, 'planned', ?)",
        )
        .run(id, device, batch, ts);
      this.touch(id, ts);
    })();
  }

  /** Ends a batch: its unanswered devices become pending and the rollout moves on, in one transaction; the next batch waits until nextBatchAt. */
  finishBatch(id: string, batch: number, pending: string[], nextBatchAt: string | null = null): void {
    const ts = this.stamp();
    this.db.transaction(() => {
      const mark = this.db.prepare(
        "UPDATE rollout_devices SET status = 'pending', updated_at = ? WHERE rollout_id = ? AND device = ?",
      );
      for (const device of pending) mark.run(ts, id, device);
      this.db
        .prepare('UPDATE rollouts SET current_batch = ?, next_batch_at = ?, updated_at = ? WHERE id = ?')
        .run(batch + 1, nextBatchAt, ts, id);
    })();
  }

  setStatus(id: string, status: RolloutStatus): void {
    this.db.prepare('UPDATE rollouts SET status = ?, updated_at = ? WHERE id = ?').run(status, this.stamp(), id);
  }

  /** Stops the rollout on the wave that failed its rule. */
  stopOn(id: string, stop: RolloutStop): void {
    this.db
      .prepare("UPDATE rollouts SET status = 'stopped', stop = ?, updated_at = ? WHERE id = ?")
      .run(JSON.stringify(stop), this.stamp(), id);
  }

  /**
   * A rollout as another CLI left it (the retained rollout/ID topic): its
   * plan and every device's progress, in one transaction; refused when the
   * id is already here.
   */
  adopt(r: RolloutRecord): RolloutRecord {
    const ts = this.stamp();
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO rollouts (id, params_key, params, status, has_canary, batch_count, current_batch, group_published, created_at, updated_at, next_batch_at, stop, lost_at_plan, paused) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          r.id,
          paramsKey(r.params),
          JSON.stringify(r.params),
          r.status,
          r.hasCanary ? 1 : 0,
          r.batchCount,
          r.currentBatch,
          r.groupPublished ? 1 : 0,
          r.createdAt,
          ts,
          r.nextBatchAt,
          r.stop === null ? null : JSON.stringify(r.stop),
          JSON.stringify(r.lostAtPlan),
          r.paused === null ? null : JSON.stringify(r.paused),
        );
      const insert = this.db.prepare(
        'INSERT INTO rollout_devices (rollout_id, device, batch, status, depth, job_id, reason, updated_at, job_status, accuracy_before, accuracy_after, rollback) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const d of r.devices)
        insert.run(
          r.id,
          d.device,
          d.batch,
          d.status,
          d.depth,
          d.jobId,
          d.reason,
          ts,
          d.jobStatus,
          d.accuracyBefore,
          d.accuracyAfter,
          d.rollback,
        );
    })();
    return this.get(r.id)!;
  }

  /** Holds the rollout before its next batch (a pause), or lets it go on (null). */
  setPaused(id: string, paused: RolloutPause | null): void {
    this.db
      .prepare('UPDATE rollouts SET paused = ?, updated_at = ? WHERE id = ?')
      .run(paused === null ? null : JSON.stringify(paused), this.stamp(), id);
  }

  markGroupPublished(id: string): void {
    this.db.prepare('UPDATE rollouts SET group_published = 1, updated_at = ? WHERE id = ?').run(this.stamp(), id);
  }

  close(): void {
    this.db.close();
  }

  private touch(id: string, ts: string): void {
    this.db.prepare('UPDATE rollouts SET updated_at = ? WHERE id = ?').run(ts, id);
  }
}
