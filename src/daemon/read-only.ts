import { SHIPPED_MODEL_DIR } from './shipped-model';
import { freeSpace, isStorageError } from '../store/disk';
import { firstVersionRow, reconcile } from '../store/model-dirs';
import { verifyModelDir } from '../store/model-verify';
import type { Store } from '../store/types';
import type { Logger } from '../util/log';

/** Below this much free space the daemon starts read-only (a job or the store would fail at once). */
export const READ_ONLY_BELOW_BYTES = 1024 * 1024;

export function freeSpaceOrNull(home: string): number | null {
  try {
    return freeSpace(home).bytes;
  } catch {
    return null;
  }
}

/** Why the home cannot take writes now, judged by its free space and inodes, or undefined. */
export function readOnlyReason(home: string): string | undefined {
  let free: { bytes: number; inodes: number };
  try {
    free = freeSpace(home);
  } catch {
    return undefined; // no home yet: creating it will tell
  }
  if (free.bytes < READ_ONLY_BELOW_BYTES)
    return `the disk is full: ${free.bytes} bytes free in ${home}, ${READ_ONLY_BELOW_BYTES} needed to write`;
  if (free.inodes < 16) return `no free inodes in ${home}`;
  return undefined;
}

/**
 * The model files as a read-only daemon sees them: reconcile() on the
 * in-memory store (it adopts the versions on disk and the one `current` links
 * to; a repair it cannot write is skipped), and, with nothing committed (a
 * first start on a full disk), the shipped model served from where it is.
 */
export function serveReadOnlyFiles(
  home: string,
  name: string,
  store: Store,
  shippedDir: string = SHIPPED_MODEL_DIR,
  log: Logger,
): void {
  try {
    reconcile(home, name, store);
  } catch (err) {
    if (!isStorageError(err)) throw err;
    log.warn('read-only: model files not reconciled', { error: (err as Error).message });
  }
  if (store.committedVersion(name)) return;
  const meta = verifyModelDir(shippedDir);
  store.addModelVersion(firstVersionRow(name, meta, shippedDir));
  store.setCommitted(name, 1);
  log.warn('read-only: serving the shipped model from the package (it could not be imported)', {
    model: name,
    dir: shippedDir,
  });
}
