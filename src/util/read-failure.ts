/** Why a file could not be read, in words ("no such file", "permission denied", ...); the error's code otherwise. */
export function readFailureWords(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return READ_FAILURES[code] ?? (code || (err as Error).message);
}

const READ_FAILURES: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
};
