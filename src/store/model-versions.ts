import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { StoreContext } from './context';
import { StoreError } from './errors';
import { fromJson, toJson } from './json-column';
import type { ModelVersionRow, NewModelVersion } from './types';
import { writeVersionRecord } from './version-record';

interface VersionRecord {
  name: string;
  version: number;
  parent: number | null;
  depth: number;
  method: string | null;
  sha256: string;
  metrics: string;
  dir: string;
  created_at: string;
  committed: number;
  committed_at: string | null;
  quarantined_at: string | null;
  quarantine_reason: string | null;
}

/** Stored relative to home when inside it, so a home directory that moves keeps working. */
function storedDir(home: string, dir: string): string {
  const abs = resolve(home, dir);
  const rel = relative(home, abs);
  return rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}

export function modelVersionQueries(ctx: StoreContext) {
  const { db, home } = ctx;
  const toRow = (r: VersionRecord): ModelVersionRow => ({
    name: r.name,
    version: r.version,
    parent: r.parent,
    depth: r.depth,
    method: r.method,
    sha256: r.sha256,
    metrics: fromJson(r.metrics),
    dir: isAbsolute(r.dir) ? r.dir : join(home, r.dir),
    createdAt: r.created_at,
    committed: r.committed === 1,
    committedAt: r.committed_at,
    quarantined: r.quarantined_at === null ? null : { at: r.quarantined_at, reason: r.quarantine_reason ?? '' },
  });
  const SELECT = `SELECT v.*, (c.version IS NOT NULL) AS committed FROM model_versions v
    LEFT JOIN committed_versions c ON c.name = v.name AND c.version = v.version`;
  const selectOne = db.prepare(`${SELECT} WHERE v.name = ? AND v.version = ?`);
  const selectAll = db.prepare(`${SELECT} WHERE v.name = ? ORDER BY v.version`);
  const selectCommitted = db.prepare(`${SELECT} WHERE v.name = ? AND c.version IS NOT NULL`);
  const insert = db.prepare(
    `INSERT INTO model_versions (name, version, parent, depth, method, sha256, metrics, dir, created_at, committed_at)
     VALUES (@name, @version, @parent, @depth, @method, @sha256, @metrics, @dir, @createdAt, @committedAt)`,
  );
  const upsertCommitted = db.prepare(
    `INSERT INTO committed_versions (name, version, committed_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET version = excluded.version, committed_at = excluded.committed_at`,
  );
  const firstCommit = db.prepare(
    `UPDATE model_versions SET committed_at = COALESCE(committed_at, ?) WHERE name = ? AND version = ?`,
  );
  const quarantine = db.prepare(
    `UPDATE model_versions SET quarantined_at = ?, quarantine_reason = ? WHERE name = ? AND version = ?`,
  );
  const remove = db.prepare(`DELETE FROM model_versions WHERE name = ? AND version = ?`);
  const insertEvent = db.prepare(`INSERT INTO events (at, kind, data) VALUES (?, ?, ?)`);

  function get(name: string, version: number): ModelVersionRow | undefined {
    const r = selectOne.get(name, version) as VersionRecord | undefined;
    return r && toRow(r);
  }

  /**
   * After a version change commits: its record is copied into its meta.json,
   * and the WAL is checkpointed into the main file, so that neither a lost
   * database nor a damaged WAL can take the change away.
   */
  function versionChanged(name: string, version: number): void {
    if (ctx.memoryOnly) return;
    ctx.afterCommit(() => {
      const row = get(name, version);
      // only into the vN folders the store owns: a row may point at a model elsewhere (tests, imports), never written to
      const owned = row && resolve(row.dir) === join(home, 'models', name, `v${version}`);
      if (row && owned && !row.quarantined && existsSync(row.dir)) {
        writeVersionRecord(row.dir, {
          version: row.version,
          parent: row.parent,
          createdAt: row.createdAt,
          committedAt: row.committedAt,
        });
      }
      db.pragma('wal_checkpoint(TRUNCATE)');
    });
  }

  const add = db.transaction((v: NewModelVersion): ModelVersionRow => {
    const where = `model ${v.name} v${v.version}`;
    if (!Number.isInteger(v.version) || v.version < 1)
      throw new StoreError(where, 'version must be a whole number >= 1');
    if (!/^[0-9a-f]{64}$/.test(v.sha256)) throw new StoreError(where, 'sha256 must be 64 lowercase hex digits');
    if (get(v.name, v.version)) throw new StoreError(where, 'is already registered');
    if (v.parent !== null && !get(v.name, v.parent))
      throw new StoreError(where, `parent v${v.parent} is not registered`);
    insert.run({
      name: v.name,
      version: v.version,
      parent: v.parent,
      depth: v.depth,
      method: v.method,
      sha256: v.sha256,
      metrics: toJson(v.metrics, `${where} metrics`),
      dir: storedDir(home, v.dir),
      createdAt: v.createdAt ?? ctx.now(),
      committedAt: v.committedAt ?? null,
    });
    versionChanged(v.name, v.version);
    return get(v.name, v.version)!;
  });

  const setCommitted = db.transaction((name: string, version: number): void => {
    const previous = selectCommitted.get(name) as VersionRecord | undefined;
    const row = get(name, version);
    if (!row) throw new StoreError(`model ${name} v${version}`, 'is not registered: cannot commit it');
    if (row.quarantined) throw new StoreError(`model ${name} v${version}`, 'is quarantined: cannot commit it');
    const at = ctx.now();
    upsertCommitted.run(name, version, at);
    firstCommit.run(at, name, version);
    versionChanged(name, version);
    insertEvent.run(at, 'model.committed', JSON.stringify({ name, version, previous: previous?.version ?? null }));
  });

  const markQuarantined = db.transaction((name: string, version: number, reason: string): void => {
    const row = get(name, version);
    if (!row) throw new StoreError(`model ${name} v${version}`, 'is not registered');
    if (row.committed)
      throw new StoreError(`model ${name} v${version}`, 'is the committed version: commit another one first');
    const at = ctx.now();
    quarantine.run(at, reason, name, version);
    insertEvent.run(at, 'model.quarantined', JSON.stringify({ name, version, reason }));
    versionChanged(name, version);
  });

  const forget = db.transaction((name: string, version: number): void => {
    const row = get(name, version);
    if (!row) throw new StoreError(`model ${name} v${version}`, 'is not registered');
    if (row.committed)
      throw new StoreError(`model ${name} v${version}`, 'is the committed version: commit another one first');
    remove.run(name, version);
    versionChanged(name, version);
  });

  const after = <T>(value: T): T => {
    ctx.flushAfterCommit();
    return value;
  };

  return {
    addModelVersion: (v: NewModelVersion) => after(add.immediate(v)),
    modelVersion: get,
    modelVersions(name: string): ModelVersionRow[] {
      return (selectAll.all(name) as VersionRecord[]).map(toRow);
    },
    committedVersion(name: string): ModelVersionRow | undefined {
      const r = selectCommitted.get(name) as VersionRecord | undefined;
      return r && toRow(r);
    },
    setCommitted: (name: string, version: number) => after(setCommitted.immediate(name, version)),
    forgetModelVersion: (name: string, version: number) => after(forget.immediate(name, version)),
    markQuarantined: (name: string, version: number, reason: string) =>
      after(markQuarantined.immediate(name, version, reason)),
  };
}
