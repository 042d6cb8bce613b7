import { CRASH_ENV, crashIfAsked } from '../jobs/crash';

/**
 * The daemon's start stages, in order. Each is a point where a stop asked for
 * during start-up takes effect, and a hook for the signal tests:
 * `DEEPEND_PAUSE_AT=start:STAGE` holds the start there until a stop is asked
 * for (writing one line on stderr when it pauses), `DEEPEND_CRASH_AT=start:STAGE`
 * SIGKILLs the process there.
 */
export const START_STAGES = [
  'load', // bin/deepend.js, before the CLI and TF.js load
  'config', // the config is loaded; no process guard yet
  'claim', // claim control.sock
  'watchdog',
  'policy',
  'backend',
  'store',
  'detect',
  'model-files', // reconcile, import the shipped model
  'slot', // load and warm up the committed version
  'http',
  'runner',
  'recover',
  'control',
  'broker',
  'fleet',
  'triggers',
] as const;
export type StartStage = (typeof START_STAGES)[number];

export const PAUSE_ENV = 'DEEPEND_PAUSE_AT';

/** A pause never outlasts this, so a test that forgets to signal does not leave a daemon behind. */
const MAX_PAUSE_MS = 120_000;

/** Thrown by a start stage once a stop was asked for: the start ends there, and the stop takes over. */
export class StartInterrupted extends Error {
  constructor(readonly stage: StartStage) {
    super(`start interrupted at ${stage}`);
  }
}

/** Runs the hooks of one stage: crash, or pause until `stopAsked` resolves. */
export async function startStageHooks(
  stage: StartStage,
  stopAsked: Promise<unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const point = `start:${stage}`;
  crashIfAsked(point, env[CRASH_ENV]);
  if (env[PAUSE_ENV] !== point) return;
  process.stderr.write(`${PAUSE_ENV}=${point}: paused until a signal (pid ${process.pid})\n`);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([stopAsked, new Promise((r) => (timer = setTimeout(r, MAX_PAUSE_MS)))]);
  clearTimeout(timer);
}
