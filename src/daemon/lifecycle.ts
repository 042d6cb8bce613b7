import { Logger } from '../util/log';

export type Stop = () => Promise<void> | void;

/**
 * Subsystems started one after another; each start may return how to stop it.
 * stopAll() stops what was started, newest first, and keeps going when one
 * stop fails so that the store is still closed after a failing server.
 */
export class Lifecycle {
  private readonly started: { name: string; stop: Stop }[] = [];

  constructor(private readonly log: Logger) {}

  async start<T>(name: string, run: () => Promise<{ value: T; stop?: Stop }> | { value: T; stop?: Stop }): Promise<T> {
    const began = Date.now();
    const { value, stop } = await run();
    if (stop) this.started.push({ name, stop });
    this.log.debug(`started ${name}`, { ms: Date.now() - began });
    return value;
  }

  /** Returns false when some stop threw (it is logged). */
  async stopAll(): Promise<boolean> {
    let ok = true;
    while (this.started.length > 0) {
      const { name, stop } = this.started.pop()!;
      try {
        await stop();
        this.log.debug(`stopped ${name}`);
      } catch (err) {
        ok = false;
        this.log.error(`stopping ${name} failed`, { error: err });
      }
    }
    return ok;
  }
}
