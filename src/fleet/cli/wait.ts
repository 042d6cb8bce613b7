import type { FleetSession } from './session';

export type WaitOutcome<T> = { done: true; value: T } | { done: false; why: 'timeout' | 'aborted' };

/**
 * Resolves once `check` returns a value, re-checking after every message the
 * session receives (and at `tickMs`, for deadlines); or on timeout or abort.
 */
export function waitUntil<T>(
  session: FleetSession,
  check: () => T | undefined,
  opts: { timeoutMs: number; signal: AbortSignal; tickMs?: number },
): Promise<WaitOutcome<T>> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: WaitOutcome<T>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(tick);
      offEvent();
      offRaw();
      opts.signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const poll = () => {
      const value = check();
      if (value !== undefined) finish({ done: true, value });
    };
    const onAbort = () => finish({ done: false, why: 'aborted' });
    const timer = setTimeout(() => finish({ done: false, why: 'timeout' }), opts.timeoutMs);
    const tick = setInterval(poll, opts.tickMs ?? 1000);
    const offEvent = session.onEvent(() => setImmediate(poll));
    const offRaw = session.onRaw(() => setImmediate(poll));
    opts.signal.addEventListener('abort', onAbort);
    if (opts.signal.aborted) onAbort();
    else poll();
  });
}

/** A promise, or `aborted` when the signal fires first (a QoS 1 publish waits for a broker that may never come back). */
export function unlessAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<WaitOutcome<T>> {
  if (signal.aborted) return Promise.resolve({ done: false, why: 'aborted' });
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve({ done: false, why: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (value) => resolve({ done: true, value }),
      (err: unknown) => reject(err),
    ).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
