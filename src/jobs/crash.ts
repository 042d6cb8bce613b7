/**
 * Crash injection for the crash tests: DEEPEND_CRASH_AT=POINT kills the whole
 * process with SIGKILL (a shell reports exit status 137) the moment the runner
 * reaches POINT. Points are the job states, written to the store just before,
 * plus `growing:stage2` (inside the growth worker, at Stage II's first step)
 * and `swapping:switched` (the slot serves the new version, nothing committed).
 * SIGKILL rather than process.exit: no exit handlers, no flushes, as in a power cut;
 * from the growth process it kills the daemon by its pid (and the orphaned growth
 * process dies with its IPC channel).
 */
export const CRASH_ENV = 'DEEPEND_CRASH_AT';

export function crashIfAsked(point: string, env: string | undefined = process.env[CRASH_ENV], pid = process.pid): void {
  if (env !== point) return;
  process.stderr.write(`${CRASH_ENV}=${point}: killing process ${pid}\n`);
  process.kill(pid, 'SIGKILL');
}
