import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from './durable';

/**
 * The store's own record of a version, kept in the version's meta.json under
 * `store` (meta.json is not covered by the weights' sha256), so that a
 * database rebuilt from disk (lost, or its WAL discarded) gets back the same
 * version number, parent, creation and first-commit times.
 */
export interface VersionRecord {
  version: number;
  parent: number | null;
  createdAt: string;
  committedAt: string | null;
}

const META_JSON = 'meta.json';

/** The record in dir/meta.json, when there is one that names `version`. */
export function readVersionRecord(dir: string, version: number): VersionRecord | undefined {
  try {
    const rec = (JSON.parse(readFileSync(join(dir, META_JSON), 'utf8')) as { store?: Partial<VersionRecord> }).store;
    if (!rec || rec.version !== version || typeof rec.createdAt !== 'string') return undefined;
    return {
      version,
      parent: typeof rec.parent === 'number' ? rec.parent : null,
      createdAt: rec.createdAt,
      committedAt: typeof rec.committedAt === 'string' ? rec.committedAt : null,
    };
  } catch {
    return undefined;
  }
}

/** Rewrites dir/meta.json with `store` set to the record: a temporary file, fsynced, renamed over it. */
export function writeVersionRecord(dir: string, record: VersionRecord): void {
  const path = join(dir, META_JSON);
  const meta = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  meta.store = record;
  const tmp = join(dir, `.${META_JSON}.tmp-${process.pid}`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(meta, null, 2));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dir);
}
