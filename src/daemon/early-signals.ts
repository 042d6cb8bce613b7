/**
 * SIGTERM/SIGINT that arrive before the daemon's process guards exist (while
 * `deepend start` loads TF.js and the config) are caught here instead of
 * killing the process by signal: the start then ends with exit 0 before
 * anything is started. Kept free of heavy imports so it can be installed first.
 */
export interface EarlySignals {
  /** The first signal caught, if any. */
  caught(): NodeJS.Signals | undefined;
  /** Resolves when a signal is caught (never rejects). */
  readonly received: Promise<NodeJS.Signals>;
  /** Removes the handlers (the process guards take over). */
  release(): void;
}

let installed: EarlySignals | undefined;

/** Installs the handlers, or returns the ones already installed (bin/deepend.js installs them before loading the CLI). */
export function catchEarlySignals(): EarlySignals {
  if (installed) return installed;
  let first: NodeJS.Signals | undefined;
  let resolve!: (s: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const on = (signal: NodeJS.Signals) => {
    first ??= signal;
    resolve(signal);
  };
  process.on('SIGTERM', on);
  process.on('SIGINT', on);
  installed = {
    caught: () => first,
    received,
    release: () => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      installed = undefined;
    },
  };
  return installed;
}
