import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkSchema, migrate } from './migrate';
import { DB_FILE } from './open';
import { createStore } from './store';
import type { Store } from './types';

/**
 * The store of a daemon that must not write to its disk (full, read-only or
 * failing): an in-memory copy of deepend.db's main file (every version change
 * is checkpointed into it, so it has the committed version and its history),
 * or an empty database when there is none. Writes go to memory only and are
 * gone when the process ends; nothing touches the files.
 */
/**
 * The database as SQLite would read it, WAL included: the file and its WAL
 * are copied to the temporary directory (usually another filesystem), opened
 * there (SQLite's recovery replays the WAL) and serialized. When that cannot be
 * done, the main file alone, if it reads as a sound database; else undefined
 * (the versions are then adopted from disk, with their records in meta.json).
 */
function databaseImage(
  path: string,
  warn?: (msg: string, fields: Record<string, unknown>) => void,
): Buffer | undefined {
  const attempts: (() => Buffer)[] = [
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'deepend-ro-'));
      try {
        copyFileSync(path, join(dir, 'db'));
        if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, join(dir, 'db-wal'));
        const copy = new Database(join(dir, 'db'));
        try {
          return copy.serialize();
        } finally {
          copy.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    () => readFileSync(path),
  ];
  for (const attempt of attempts) {
    try {
      const image = attempt();
      // header bytes 18-19 say "WAL" (2): an in-memory copy has no WAL file to open, so mark it a rollback-journal database (1)
      if (image.length >= 100) image[18] = image[19] = 1;
      const probe = new Database(image);
      try {
        if (probe.pragma('quick_check', { simple: true }) !== 'ok') throw new Error('quick_check failed');
      } finally {
        probe.close();
      }
      return image;
    } catch (err) {
      warn?.('read-only: one way of reading the database failed', { error: (err as Error).message });
    }
  }
  return undefined;
}

export function openReadOnlyStore(home: string, warn?: (msg: string, fields: Record<string, unknown>) => void): Store {
  const root = resolve(home);
  const path = join(root, DB_FILE);
  let db: Database.Database;
  const image = existsSync(path) ? databaseImage(path, warn) : undefined;
  if (image) {
    db = new Database(image);
    checkSchema(db, path);
  } else {
    db = new Database(':memory:');
  }
  db.pragma('foreign_keys = ON');
  migrate(db, path);
  return createStore({ db, home: root, path, now: () => new Date().toISOString(), warn, memoryOnly: true });
}
