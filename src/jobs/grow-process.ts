import { fork } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProgressEvent } from '../train/progress';
import type { CandidateSummary } from './candidate';
import type { FromWorker, GrowJobInput, ToWorker } from './grow-protocol';
import { childExecArgv } from '../util/node-flags';

export type GrowOutcome =
  | { kind: 'done'; candidate: CandidateSummary }
  | { kind: 'aborted' }
  | { kind: 'failed'; message: string };

export interface GrowthHandle {
  /** Settles once the growth process has exited, so no file is written after it. */
  result: Promise<GrowOutcome>;
  /** Asks the growth process to stop; kills it if it has not exited after `graceMs`. */
  abort(graceMs: number): void;
}

/**
 * Runs src/jobs/grow-worker.ts in a child process with its own TF.js instance:
 * unlike a worker thread, its wasm heap and allocator arenas are returned to
 * the OS when it exits, so the serving process's RSS goes back to its baseline.
 */
export function startGrowth(
  input: Omit<GrowJobInput, 'abortFile' | 'daemonPid'>,
  onProgress: (e: ProgressEvent) => void,
  onWarning: (message: string) => void,
): GrowthHandle {
  const abortFile = join(tmpdir(), `deepend-abort-${randomUUID()}`);
  const child = fork(join(__dirname, 'grow-worker.js'), [], {
    // the growth trains for minutes and then ends: the daemon's memory-saving mode would only slow it
    execArgv: childExecArgv(),
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.send({ type: 'start', input: { ...input, abortFile, daemonPid: process.pid } } satisfies ToWorker);
  let outcome: GrowOutcome | undefined;
  let aborting = false;
  let killTimer: NodeJS.Timeout | undefined;

  const result = new Promise<GrowOutcome>((resolve) => {
    child.on('message', (m: FromWorker) => {
      if (m.type === 'progress') {
        if (!aborting) onProgress(m.event);
        return;
      }
      if (m.type === 'warning') {
        onWarning(m.message);
        return;
      }
      outcome ??= outcomeOf(m);
    });
    child.on('error', (err) => {
      outcome ??= aborting ? { kind: 'aborted' } : { kind: 'failed', message: `growth process failed: ${err.message}` };
    });
    child.on('exit', (code, signal) => {
      clearTimeout(killTimer);
      rmSync(abortFile, { force: true });
      resolve(
        outcome ??
          (aborting
            ? { kind: 'aborted' }
            : { kind: 'failed', message: `growth process exited (${signal ?? `code ${code}`}) before reporting` }),
      );
    });
  });

  return {
    result,
    abort(graceMs: number) {
      if (aborting) return;
      aborting = true;
      writeFileSync(abortFile, '');
      killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    },
  };
}

/** What the growth process's last word means; progress and warning messages are not outcomes. */
function outcomeOf(m: Exclude<FromWorker, { type: 'progress' | 'warning' }>): GrowOutcome {
  if (m.type === 'done') return { kind: 'done', candidate: m.candidate };
  return m.aborted ? { kind: 'aborted' } : { kind: 'failed', message: m.message };
}
