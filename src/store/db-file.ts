import { closeSync, existsSync, linkSync, openSync, readSync, renameSync, rmSync, type Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir } from './durable';
import { StoreError } from './errors';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_BYTES = 100;

/**
 * Checks, without letting SQLite touch it, that an existing file can be a
 * SQLite database. SQLite itself opens garbage lazily and treats an empty file
 * as a new database, which would let a truncated file be silently recreated.
 */
export function assertLooksLikeSqlite(path: string): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    throw new StoreError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (st.isDirectory()) throw new StoreError(path, 'is a directory, not a database file');
  if (!st.isFile()) throw new StoreError(path, 'is not a regular file');
  if (st.size < HEADER_BYTES) {
    throw new StoreError(
      path,
      `is ${st.size} bytes long: truncated or not a SQLite database (left untouched; restore it or move it away)`,
    );
  }
  const header = Buffer.alloc(SQLITE_MAGIC.length);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new StoreError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.equals(SQLITE_MAGIC)) {
    throw new StoreError(path, 'is not a SQLite database (bad header; left untouched: restore it or move it away)');
  }
}

/**
 * Puts a fully built database file at `path` unless one appeared there in the
 * meantime (another process won the race): then ours is discarded and the
 * caller opens theirs. A link never replaces an existing file; a rename would.
 */
export function publishNewDatabase(tmp: string, path: string): void {
  try {
    linkSync(tmp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      rmSync(tmp, { force: true });
      return;
    }
    // File systems without hard links (FAT on some SD cards): accept the narrow race.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    if (!existsSync(path)) renameSync(tmp, path);
  }
  rmSync(tmp, { force: true });
  fsyncDir(dirname(path));
}
