/**
 * A pause in a running training loop for other work: `method: auto` trying
 * another method part-way into the first one's Stage II (src/grow/auto.ts). It
 * comes once, after the step at which the loop has run `afterSeconds` or
 * `afterSteps` (whichever comes first), or at the loop's end when neither was
 * reached. Its time counts in the loop's seconds budget, which is wall time.
 * `run` gets the steps taken so far, and whether the loop had ended; true
 * ends the loop after that step (reason 'halted').
 */
export interface Interlude {
  afterSeconds?: number;
  afterSteps?: number;
  run: (steps: number, ended: boolean) => Promise<boolean>;
}

/** An interlude that ends the loop after `steps` steps (a trial of a set number of steps). */
export function haltAfter(steps: number): Interlude {
  return { afterSteps: steps, run: async () => true };
}

/** When a loop's interlude is due, and whether it ended the loop: the one rule of both training loops. */
export class InterludeGate {
  private fired = false;

  constructor(private readonly interlude: Interlude | undefined) {}

  /** Whether the interlude is due after this step (it comes once). */
  due(steps: number, seconds: number): boolean {
    const i = this.interlude;
    if (!i || this.fired) return false;
    return (
      (i.afterSeconds !== undefined && seconds >= i.afterSeconds) ||
      (i.afterSteps !== undefined && steps >= i.afterSteps)
    );
  }

  /** Runs the interlude; true when it asks the loop to end. */
  async run(steps: number, ended = false): Promise<boolean> {
    if (!this.interlude || this.fired) return false;
    this.fired = true;
    return this.interlude.run(steps, ended);
  }

  /** At the loop's end: runs an interlude that never came due, so that what it does always happens once. */
  async atEnd(steps: number): Promise<void> {
    await this.run(steps, true);
  }
}
