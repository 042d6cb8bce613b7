import { loadConfig } from '../config';
import { JobRunner } from '../jobs/runner';
import { Daemon } from './daemon';
import { createLogger } from './log';
import { installProcessGuards } from './process-guard';

export interface RunOptions {
  configFile?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * `deepend start`: loads the config, starts the daemon and resolves with the
 * exit code once it has stopped (0 after SIGTERM/SIGINT, 1 after an uncaught
 * error or a failed stop). A failed start throws its one-line reason after
 * stopping whatever had started.
 */
export async function runDaemon(opts: RunOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const { config, file, fromEnv } = loadConfig({ file: opts.configFile, env });
  const log = createLogger();
  log.info('deepend starting', { pid: process.pid, home: config.home, config: file ?? 'none (defaults)', fromEnv: fromEnv.length ? fromEnv : undefined, device: config.deviceId });
  const daemon = new Daemon({ config, log, env, createRunner: (deps) => new JobRunner(deps) });

  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const removeGuards = installProcessGuards({
    log,
    stop: (reason, code) => void daemon.stop(reason).then((ok) => finish(ok ? code : 1)),
  });
  try {
    await daemon.start();
  } catch (err) {
    log.error('start failed', { error: err instanceof Error ? err.message : String(err) });
    await daemon.stop('start failed');
    removeGuards();
    throw err;
  }
  log.info('deepend running', { url: daemon.parts.httpUrl, model: config.model.name, backend: daemon.parts.backend?.name });
  const code = await finished;
  log.info('deepend stopped', { exitCode: code });
  removeGuards();
  return code;
}
