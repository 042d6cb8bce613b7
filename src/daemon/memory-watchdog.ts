import { Logger } from '../util/log';

const MB = 1024 * 1024;

export interface WatchdogOptions {
  log: Logger;
  /** Warn when RSS is above this. */
  warnMB: number;
  /** Default one minute. */
  intervalMs?: number;
  /** Extra figures for the log line (live tensors...). */
  extra?: () => Record<string, unknown>;
}

/**
 * Logs RSS every interval and warns while it is above the limit (once per
 * crossing, then again only if it keeps growing by a tenth). Returns a stop function.
 */
export function startMemoryWatchdog(opts: WatchdogOptions): () => void {
  let warnedAt = 0;
  const tick = () => {
    const rss = process.memoryUsage.rss();
    const fields = {
      rssMB: Math.round(rss / MB),
      heapMB: Math.round(process.memoryUsage().heapUsed / MB),
      ...opts.extra?.(),
    };
    if (rss > opts.warnMB * MB && rss > warnedAt * 1.1) {
      warnedAt = rss;
      opts.log.warn(`memory above ${opts.warnMB} MB`, fields);
    } else {
      if (rss <= opts.warnMB * MB) warnedAt = 0;
      opts.log.info('memory', fields);
    }
  };
  const timer = setInterval(tick, opts.intervalMs ?? 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
