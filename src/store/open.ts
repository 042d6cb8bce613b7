import { firstLine } from '../util/deepend-error';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertLooksLikeSqlite, publishNewDatabase } from './db-file';
import { StoreError } from './errors';
import { checkSchema, migrate } from './migrate';
import { walDamage } from './wal-check';
import { createStore } from './store';
import type { Store } from './types';

export const DB_FILE = 'deepend.db';
const BUSY_TIMEOUT_MS = 5000;

export interface OpenOptions {
  /** The clock behind every timestamp; tests pass a fixed one. */
  now?: () => Date;
  /** Told about what the store survived but an operator should know: a discarded WAL, a version record not written. */
  warn?: (msg: string, fields: Record<string, unknown>) => void;
}

function asStoreError(path: string, err: unknown): Error {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: string }).code ?? '';
  const message = firstLine(err);
  if (/^SQLITE_(NOTADB|CORRUPT|CANTOPEN|IOERR|READONLY|PERM|AUTH)/.test(code)) {
    return new StoreError(path, `cannot be used as deepend's database (${code}: ${message}); left untouched`);
  }
  return err as Error;
}

function checkIntegrity(db: Database.Database, path: string): void {
  const rows = db.pragma('quick_check') as { quick_check: string }[];
  const first = rows[0]?.quick_check ?? 'no answer';
  if (first !== 'ok')
    throw new StoreError(
      path,
      `is corrupt (quick_check: ${first.split('\n').find((l) => !l.startsWith('***')) ?? first}); left untouched: restore a backup or move it away`,
    );
}

/**
 * SQLite's page cache per connection, in KiB. Its default (2,000 KiB) keeps
 * every page read or written until the cache is full, and the quick_check at
 * open reads them all: the daemon's RSS then grows with the database (jobs,
 * transitions and outbox rows, about 20 KB per upgrade + rollback in
 * bench:soak) up to 2 MB. The database is small and the OS caches its file;
 * 256 KiB holds the hot pages.
 */
export const PAGE_CACHE_KIB = 256;

/**
 * Opens a connection and brings it to a known state: integrity and identity
 * checked before anything is written, then WAL, full sync (a transition must survive
 * power loss, and writes are rare), foreign keys and the schema.
 */
function connect(path: string, fileMustExist: boolean): Database.Database {
  const db = new Database(path, { fileMustExist, timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    checkIntegrity(db, path);
    checkSchema(db, path);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new StoreError(path, `could not switch to WAL journal mode (got ${String(mode)})`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
    return db;
  } catch (err) {
    db.close();
    throw asStoreError(path, err);
  }
}

/**
 * A new database is built under a temporary name and published only once
 * migrated, so `deepend.db` is never a half-created file: any file found at
 * that name is expected to hold data and is never recreated.
 */
function createDatabase(path: string): void {
  const tmp = `${path}.new-${process.pid}`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  connect(tmp, false).close();
  publishNewDatabase(tmp, path);
}

/** Opens (creating or migrating) $home/deepend.db. A corrupt, foreign or too-new file is a StoreError naming it. */
export function openStore(home: string, opts: OpenOptions = {}): Store {
  const root = resolve(home);
  if (existsSync(root) && !statSync(root).isDirectory()) throw new StoreError(root, 'the home directory is a file');
  mkdirSync(root, { recursive: true });
  const path = join(root, DB_FILE);
  try {
    if (!existsSync(path)) createDatabase(path);
    assertLooksLikeSqlite(path);
  } catch (err) {
    throw asStoreError(path, err);
  }
  const walLoss = walDamage(`${path}-wal`);
  const db = connect(path, true);
  const clock = opts.now ?? (() => new Date());
  const store = createStore({ db, home: root, path, now: () => clock().toISOString(), warn: opts.warn });
  if (walLoss) {
    const line = `${path}-wal: ${walLoss}; transactions that lived only there are lost, and model versions are re-read from disk`;
    opts.warn?.('the database write-ahead log was discarded', { wal: `${path}-wal`, problem: walLoss });
    store.logEvent('store.wal_discarded', { wal: `${path}-wal`, problem: walLoss });
    store.walDiscarded = line;
  }
  return store;
}
