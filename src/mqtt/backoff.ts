/**
 * Reconnect delays: doubling from `minMs` to `maxMs`, each drawn from the
 * upper half of its step (never below `minMs`) so a fleet that lost its
 * broker at the same moment does not come back in lockstep.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const step = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.max(this.minMs, 1, Math.round(step * (0.5 + this.random() * 0.5)));
  }

  reset(): void {
    this.failures = 0;
  }
}
