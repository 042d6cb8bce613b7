import { Budget } from '../../train/budget';

/** Algorithm 1's "until l = 0": stop once ||G - conv(F_l, F_{l+1})|| / ||G|| is this small. */
export const OPTGD_TOLERANCE = 1e-4;
/** maxIter per site when the budget gives only seconds. */
export const OPTGD_MAX_ITERATIONS = 5000;
/** A budget's `epochs` counts optGD iterations per site in units of this many. */
export const OPTGD_ITERATIONS_PER_EPOCH = 500;

/**
 * The initialisation budget applied to optGD: `epochs` caps the iterations of
 * each site (epochs x 500), `seconds` bounds the wall time of all sites
 * together; each site may use its share of what is left, so time a fast site
 * saves goes to the next.
 */
export class OptGDBudget {
  readonly iterationCap: number;
  private readonly endsAt: number | undefined;

  constructor(
    budget: Budget,
    private readonly started = performance.now(),
  ) {
    this.iterationCap =
      budget.epochs !== undefined
        ? Math.max(1, Math.round(budget.epochs * OPTGD_ITERATIONS_PER_EPOCH))
        : OPTGD_MAX_ITERATIONS;
    this.endsAt = budget.seconds !== undefined ? started + budget.seconds * 1000 : undefined;
  }

  /** performance.now() deadline for the next site when `sitesLeft` sites (itself included) remain. */
  deadlineFor(sitesLeft: number): number | undefined {
    if (this.endsAt === undefined) return undefined;
    const now = performance.now();
    return now + Math.max(0, this.endsAt - now) / Math.max(1, sitesLeft);
  }

  elapsedSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** 0..1 through the budget after `sitesDone` whole sites plus `siteFraction` of the current one, of `sites`. */
  fraction(sitesDone: number, siteFraction: number, sites: number): number {
    const byWork = (sitesDone + siteFraction) / Math.max(1, sites);
    const byTime = this.endsAt !== undefined ? (performance.now() - this.started) / (this.endsAt - this.started) : 0;
    return Math.min(1, Math.max(byWork, byTime));
  }
}
