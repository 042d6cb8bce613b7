/**
 * An AbortSignal that also fires when another thread sets a shared flag.
 * Growth trains in synchronous loops that never yield to the event loop, so an
 * 'abort' message would wait until training ended; the loops do read
 * `signal.aborted` between steps, and that read checks the flag.
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
