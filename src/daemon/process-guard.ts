import { Logger } from '../util/log';

export interface GuardOptions {
  log: Logger;
  /** Starts a graceful stop; called once. */
  stop: (reason: string, exitCode: number) => void;
  /** After this long stopping, the process exits anyway (a stop that hangs must not keep a dead daemon around). */
  forceAfterMs?: number;
}

/**
 * Process-level handlers: SIGTERM and SIGINT stop gracefully (exit 0); an
 * uncaught exception or unhandled rejection is logged and stops gracefully
 * with exit 1. A second signal, or a stop that overruns, exits at once.
 * Returns a function that removes the handlers.
 */
export function installProcessGuards(opts: GuardOptions): () => void {
  const { log } = opts;
  let stopping = false;
  const begin = (reason: string, code: number) => {
    if (stopping) return false;
    stopping = true;
    setTimeout(() => {
      log.error('stop did not finish in time: exiting', { reason, afterMs: opts.forceAfterMs ?? 60_000 });
      process.exit(code === 0 ? 1 : code);
    }, opts.forceAfterMs ?? 60_000).unref();
    opts.stop(reason, code);
    return true;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (!begin(signal, 0)) {
      log.warn(`${signal} again while stopping: exiting now`);
      process.exit(130);
    }
  };
  const onError = (kind: string) => (err: unknown) => {
    log.error(kind, {
      error: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
    if (!begin(kind, 1)) process.exitCode = 1;
  };
  const onException = onError('uncaught exception');
  const onRejection = onError('unhandled rejection');
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
