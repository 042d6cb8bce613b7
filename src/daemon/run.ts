import { loadConfig } from '../config';
import { JobRunner } from '../jobs/runner';
import { Daemon } from './daemon';
import type { EarlySignals } from './early-signals';
import { createLogger } from '../util/log';
import { installProcessGuards } from './process-guard';
import { StartInterrupted, startStageHooks } from './start-stages';
import { unknownVariables } from './unknown-variables';

export interface RunOptions {
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Signals caught before this module was loaded (`deepend start` installs them first). */
  early?: EarlySignals;
}

/**
 * `deepend start`: loads the config, starts the daemon and resolves with the
 * exit code once it has stopped (0 after SIGTERM/SIGINT, also during start-up;
 * 1 after an uncaught error, a failed stop, or a stop that overran
 * `shutdown.graceSeconds`). A failed start throws its one-line reason after
 * stopping whatever had started.
 */
export async function runDaemon(opts: RunOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const { config, file, fromEnv } = loadConfig({ file: opts.configFile, env, checkFiles: true });
  const log = createLogger({ level: config.log.level });
  log.info('deepend starting', {
    pid: process.pid,
    home: config.home,
    config: file ?? 'none (defaults)',
    fromEnv: fromEnv.length ? fromEnv : undefined,
    device: config.deviceId,
  });
  for (const { name, meant } of unknownVariables(env))
    log.warn(`${name} is not a deepend variable: ignored${meant ? ` (did you mean ${meant}?)` : ''}`, {
      variable: name,
    });
  if (opts.early) await startStageHooks('config', opts.early.received, env);
  const early = opts.early?.caught();
  opts.early?.release();
  if (early) {
    log.info('deepend stopped', { exitCode: 0, reason: early, stage: 'config' });
    return 0;
  }
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let stopping = false;
  let restarting: Promise<void> | undefined;
  // A daemon that started read-only (an unwritable disk) is restarted in this process once the disk takes writes again.
  const make = (): Daemon =>
    new Daemon({ config, log, env, createRunner: (deps) => new JobRunner(deps), onWritable: () => void restart() });
  let daemon = make();
  const logRunning = () =>
    log.info('deepend running', {
      url: daemon.parts.httpUrl,
      model: config.model.name,
      backend: daemon.parts.backend?.name,
      readOnly: daemon.parts.readOnly !== undefined,
    });
  const restart = async (): Promise<void> => {
    if (stopping || restarting) return;
    restarting = (async () => {
      const old = daemon;
      await old.stop('leaving read-only');
      if (stopping) return;
      daemon = make();
      try {
        await daemon.start();
        logRunning();
      } catch (err) {
        if (err instanceof StartInterrupted) return;
        log.error('restart after read-only failed', { error: err instanceof Error ? err.message : String(err) });
        stopping = true;
        await daemon.stop('restart failed');
        finish(1);
      }
    })();
    await restarting;
    restarting = undefined;
  };
  const removeGuards = installProcessGuards({
    log,
    forceAfterMs: config.shutdown.graceSeconds * 1000,
    stop: (reason, code) => {
      stopping = true;
      void (restarting ?? Promise.resolve()).then(() => daemon.stop(reason)).then((ok) => finish(ok ? code : 1));
    },
  });
  try {
    await daemon.start();
    logRunning();
  } catch (err) {
    if (!(err instanceof StartInterrupted)) {
      log.error('start failed', { error: err instanceof Error ? err.message : String(err) });
      await daemon.stop('start failed');
      removeGuards();
      throw err;
    }
    log.info('start interrupted', { stage: err.stage });
  }
  const code = await finished;
  log.info('deepend stopped', { exitCode: code });
  removeGuards();
  // Everything is stopped; a handle some library left open must not keep a stopped daemon alive.
  setTimeout(() => process.exit(code), 2000).unref();
  return code;
}
