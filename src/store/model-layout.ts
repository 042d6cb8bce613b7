import { existsSync, lstatSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from './durable';
import { StoreError } from './errors';

/** Where a model's files live under the home directory (docs/design/daemon.md). */

export const CURRENT_LINK = 'current';
export const CANDIDATES_DIR = '.candidates';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const VERSION_DIR = /^v([1-9][0-9]*)$/;

/** Model names and job ids become path segments: nothing that could climb out of the home directory. */
export function checkSegment(kind: string, value: string): void {
  if (typeof value !== 'string' || !SAFE_NAME.test(value)) {
    throw new StoreError(
      `${kind} ${JSON.stringify(value)}`,
      'must be letters, digits, ".", "_" or "-" (not starting with a dot)',
    );
  }
}

export function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 1)
    throw new StoreError(`version ${String(version)}`, 'must be a whole number >= 1');
}

export function modelRoot(home: string, name: string): string {
  checkSegment('model name', name);
  return join(home, 'models', name);
}

export function versionDir(home: string, name: string, version: number): string {
  checkVersion(version);
  return join(modelRoot(home, name), `v${version}`);
}

export function candidateDir(home: string, name: string, jobId: string): string {
  checkSegment('job id', jobId);
  return join(modelRoot(home, name), CANDIDATES_DIR, jobId);
}

export function parseVersionDir(entry: string): number | undefined {
  const m = VERSION_DIR.exec(entry);
  return m ? Number(m[1]) : undefined;
}

/** The vN directories on disk, ascending (whether or not the database knows them). */
export function listVersions(home: string, name: string): number[] {
  const root = modelRoot(home, name);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => parseVersionDir(e.name))
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
}

/** The version `current` links to; undefined when there is no link or it points elsewhere than a vN sibling. */
export function readCurrent(home: string, name: string): number | undefined {
  const link = join(modelRoot(home, name), CURRENT_LINK);
  let isLink: boolean;
  try {
    isLink = lstatSync(link).isSymbolicLink();
  } catch {
    return undefined;
  }
  return isLink ? parseVersionDir(readlinkSync(link)) : undefined;
}

/**
 * Points `current` at vN atomically: a new link is made under a temporary
 * name and renamed over the old one, so a reader always finds either the old
 * or the new version. The target is relative, so the home directory can move.
 */
export function flipCurrent(home: string, name: string, version: number): void {
  const root = modelRoot(home, name);
  const target = versionDir(home, name, version);
  if (!existsSync(target) || !statSync(target).isDirectory())
    throw new StoreError(target, 'does not exist: cannot point current at it');
  const link = join(root, CURRENT_LINK);
  const tmp = join(root, `.${CURRENT_LINK}.tmp-${process.pid}-${Date.now()}`);
  symlinkSync(`v${version}`, tmp);
  try {
    renameSync(tmp, link);
  } catch (err) {
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
      throw new StoreError(link, 'is a directory, not a symlink: move it away so deepend can manage it');
    }
    throw err;
  }
  fsyncDir(root);
}

/** Removes `current` when it is a link (used when no version is committed). Never removes a real directory. */
export function removeCurrentLink(home: string, name: string): boolean {
  const link = join(modelRoot(home, name), CURRENT_LINK);
  try {
    if (!lstatSync(link).isSymbolicLink()) return false;
  } catch {
    return false;
  }
  rmSync(link);
  return true;
}
