/** What one predict request was answered with, kept so that a later :feedback can be scored. */
export interface LoggedPrediction {
  version: number;
  classes: number[];
  /** Its labels came (POST :feedback): a second time would count them twice. */
  labelled?: boolean;
}

/** Requests kept at most, and their instances at most (a request may hold up to maxInstances of them). */
export const LOG_REQUESTS = 10_000;
export const LOG_INSTANCES = 100_000;

/** The last predict answers by request id, within LOG_REQUESTS requests and LOG_INSTANCES instances; the oldest drop out first. */
export class PredictionLog {
  private readonly entries = new Map<string, LoggedPrediction>();
  private instances = 0;

  constructor(
    readonly capacity = LOG_REQUESTS,
    readonly instanceCapacity = LOG_INSTANCES,
  ) {}

  record(requestId: string, entry: LoggedPrediction): void {
    this.remove(requestId);
    if (entry.classes.length > this.instanceCapacity) return;
    this.entries.set(requestId, entry);
    this.instances += entry.classes.length;
    while (this.entries.size > this.capacity || this.instances > this.instanceCapacity)
      this.remove(this.entries.keys().next().value as string);
  }

  has(requestId: string): boolean {
    return this.entries.has(requestId);
  }

  get(requestId: string): LoggedPrediction | undefined {
    return this.entries.get(requestId);
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(requestId: string): void {
    const old = this.entries.get(requestId);
    if (!old) return;
    this.entries.delete(requestId);
    this.instances -= old.classes.length;
  }
}
