import { statfsSync } from 'node:fs';

/**
 * Storage faults: the disk or the inodes are full, the filesystem went
 * read-only, or the device fails (EIO, common on SD cards). Every write path
 * treats them as an error of the job or message at hand, never of the process.
 */
const ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS']);
const SQLITE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN)/;

export function isStorageError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (ERRNO.has(code) || SQLITE.test(code))) return true;
    const message = (e as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /\b(ENOSPC|EDQUOT|EIO|EROFS|SQLITE_(FULL|IOERR|READONLY|CANTOPEN)\w*)\b|database or disk is full|disk I\/O error|readonly database/.test(
        message,
      )
    )
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Bytes an unprivileged process may still write on the filesystem holding `dir`, and free inodes. */
export function freeSpace(dir: string): { bytes: number; inodes: number } {
  const s = statfsSync(dir);
  return { bytes: s.bavail * s.bsize, inodes: s.ffree };
}
