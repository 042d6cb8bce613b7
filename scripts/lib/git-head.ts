import { execSync } from 'node:child_process';

/** The commit a benchmark measured, `+changes` when src/ differs from it; 'unknown' outside git. */
export function gitHead(): string {
  try {
    const head = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain -- src', { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
}
