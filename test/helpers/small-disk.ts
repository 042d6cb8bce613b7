import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real small filesystem for the full-disk tests: a tmpfs mounted by the
 * test (root only). `skip` says why it cannot be had here; under CI (which
 * runs as root) it is never skipped: a missing tmpfs fails the test instead.
 */
export function smallDiskSkip(): string | false {
  if (process.getuid?.() === 0) return false;
  if (process.env.CI === 'true')
    throw new Error('the full-disk tests need root to mount a tmpfs, and CI runs as root: they must not be skipped');
  return 'needs root to mount a small tmpfs (the full-disk tests run in CI, as root)';
}

export class SmallDisk {
  readonly dir: string;
  private readonly filler: string;

  constructor(readonly sizeBytes: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'deepend-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', this.dir]);
    this.filler = join(this.dir, 'filler');
  }

  /** Fills the disk until ENOSPC, then gives `leave` bytes back. */
  fill(leave = 0): void {
    const fd = openSync(this.filler, 'a');
    const block = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) writeSync(fd, block);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      closeSync(fd);
    }
    // bytes that fit in a partial block
    const small = Buffer.alloc(512, 1);
    const fd2 = openSync(this.filler, 'a');
    try {
      for (;;) writeSync(fd2, small);
    } catch {
      /* full */
    } finally {
      closeSync(fd2);
    }
    if (leave > 0) truncateSync(this.filler, Math.max(0, statSync(this.filler).size - leave));
  }

  /** Frees what fill() took. */
  free(): void {
    rmSync(this.filler, { force: true });
  }

  unmount(): void {
    try {
      execFileSync('umount', ['-l', this.dir]);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
