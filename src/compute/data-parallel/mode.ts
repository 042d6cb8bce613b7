/** Whether a step shares its rows with the worker threads or runs on the caller alone. */
export type Mode = 'parallel' | 'alone';

/**
 * Picks the mode with the lower measured wall time per row. Synchronous data
 * parallelism only pays when the workers get a core of their own and the
 * model's compute outweighs the serial part of a step (combining, optimizer,
 * handing out weights); on a busy device or for a small MLP, the caller alone
 * is faster. The mode not in use is measured again every `probeEvery` steps.
 */
export class ModeChooser {
  private current: Mode = 'parallel';
  private readonly msPerRow: Partial<Record<Mode, number>> = {};
  private steps = 0;

  constructor(
    private readonly adaptive: boolean,
    private readonly probeEvery = 25,
  ) {}

  get mode(): Mode {
    return this.current;
  }

  /** The mode for the next step. The first two steps (warm-up) run in parallel and are not measured. */
  next(): Mode {
    this.steps++;
    if (!this.adaptive) return 'parallel';
    const other: Mode = this.current === 'parallel' ? 'alone' : 'parallel';
    const probe = this.msPerRow[other] === undefined ? this.steps === 3 : this.steps % this.probeEvery === 0;
    return probe ? other : this.current;
  }

  record(mode: Mode, ms: number, rows: number): void {
    if (!this.adaptive || this.steps <= 2) return;
    const sample = ms / rows;
    const previous = this.msPerRow[mode];
    // A probe replaces the old figure, which may be many steps stale.
    this.msPerRow[mode] = previous === undefined || mode !== this.current ? sample : 0.7 * previous + 0.3 * sample;
    const [parallel, alone] = [this.msPerRow.parallel, this.msPerRow.alone];
    if (parallel !== undefined && alone !== undefined) this.current = parallel <= alone ? 'parallel' : 'alone';
  }
}
