/** What one predict request was answered with, kept so that a later :feedback can be scored. */
export interface LoggedPrediction {
  version: number;
  classes: number[];
}

/** The last `capacity` predict requests by request id; the oldest drop out first. */
export class PredictionLog {
  private readonly entries = new Map<string, LoggedPrediction>();

  constructor(readonly capacity = 10_000) {}

  record(requestId: string, entry: LoggedPrediction): void {
    this.entries.delete(requestId);
    this.entries.set(requestId, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  get(requestId: string): LoggedPrediction | undefined {
    return this.entries.get(requestId);
  }

  get size(): number {
    return this.entries.size;
  }
}
