import type Database from 'better-sqlite3';
import { StoreError } from './errors';
import { MIGRATIONS, Migration } from './migrations';

/** 'dpnd': marks the file as deepend's, so another program's SQLite file is never migrated. */
export const APPLICATION_ID = 0x64706e64;

function tableCount(db: Database.Database): number {
  return (db.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'`).get() as { n: number })
    .n;
}

/**
 * Refuses, before anything is written, a database that is not deepend's or
 * that a newer deepend migrated. Returns its schema version.
 */
export function checkSchema(
  db: Database.Database,
  path: string,
  migrations: readonly Migration[] = MIGRATIONS,
): number {
  const latest = latestVersion(migrations);
  const appId = db.pragma('application_id', { simple: true }) as number;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (appId !== APPLICATION_ID && !(appId === 0 && current === 0 && tableCount(db) === 0)) {
    throw new StoreError(path, `is a SQLite database but not deepend's (application_id ${appId}); left untouched`);
  }
  if (current > latest) {
    throw new StoreError(
      path,
      `has schema version ${current}, newer than this deepend knows (${latest}): run a newer deepend or restore an older backup`,
    );
  }
  return current;
}

function latestVersion(migrations: readonly Migration[]): number {
  return migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
}

/**
 * Brings the schema to the newest version, one transaction per step (the
 * version number is written in the same transaction as the step's tables).
 * Returns the versions applied.
 */
export function migrate(db: Database.Database, path: string, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const current = checkSchema(db, path, migrations);
  const applied: number[] = [];
  // a step may rebuild a table others refer to (SQLite's way to change a constraint): foreign keys are off while
  // the steps run (the pragma is a no-op inside a transaction) and each step checks them before it commits
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    migrateSteps(db, path, current, migrations, applied);
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
  const broken = db.pragma('foreign_key_check') as unknown[];
  if (broken.length > 0) throw new StoreError(path, `${broken.length} rows break foreign keys after migrating`);
  return applied;
}

function migrateSteps(
  db: Database.Database,
  path: string,
  current: number,
  migrations: readonly Migration[],
  applied: number[],
): void {
  for (const m of migrations) {
    if (m.version <= current) continue;
    const ran = db
      .transaction(() => {
        // another process may have migrated while we waited for the write lock
        if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return false;
        m.up(db);
        const broken = (db.pragma('foreign_key_check') as unknown[]).length;
        if (broken > 0)
          throw new StoreError(
            path,
            `schema step ${m.version} (${m.name}) would leave ${broken} rows breaking foreign keys`,
          );
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.pragma(`user_version = ${m.version}`);
        return true;
      })
      .immediate();
    if (ran) applied.push(m.version);
  }
}
