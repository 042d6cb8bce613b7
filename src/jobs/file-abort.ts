import { existsSync } from 'node:fs';

/** How often (ms) a file-backed signal looks for its flag file: a stat per training step would be waste. */
const FILE_POLL_MS = 50;

/**
 * An AbortSignal that also fires once `file` exists: the daemon creates it to
 * stop the growth process, whose stages read `signal.aborted` between steps
 * but do not all yield to the event loop to receive a message (the training
 * loops do every 50 ms; Stage I's analytic starts and evaluations do not). `orphaned`
 * is polled alike: a growth process whose daemon died must not go on and write
 * a candidate that the restarted daemon is rebuilding.
 */
export function fileAbortSignal(
  file: string,
  orphaned: () => boolean = () => false,
  controller = new AbortController(),
): AbortSignal {
  let lastLook = 0;
  const signal = controller.signal;
  return new Proxy(signal, {
    get(target, prop) {
      if (prop === 'aborted' && !target.aborted) {
        const now = performance.now();
        if (now - lastLook >= FILE_POLL_MS) {
          lastLook = now;
          if (existsSync(file) || orphaned()) controller.abort();
        }
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * An AbortSignal that also fires when another thread sets a shared flag.
 * Parts of a growth run synchronously without a turn of the event loop, where
 * an 'abort' message would wait; they do read `signal.aborted` between steps,
 * and that read checks the flag.
 */
export function sharedAbortSignal(flag: Int32Array, controller = new AbortController()): AbortSignal {
  const signal = controller.signal;
  return new Proxy(signal, {
    get(target, prop) {
      if (prop === 'aborted' && !target.aborted && Atomics.load(flag, 0) !== 0) controller.abort();
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export function raiseFlag(flag: Int32Array): void {
  Atomics.store(flag, 0, 1);
}
