/** How much training a stage may spend: whichever limit is reached first ends it. */
export interface Budget {
  epochs?: number;
  seconds?: number;
}

export function assertBudget(budget: Budget, what: string): void {
  if (budget.epochs === undefined && budget.seconds === undefined)
    throw new Error(`${what}: a budget needs epochs or seconds`);
  if (budget.epochs !== undefined && !(budget.epochs > 0))
    throw new Error(`${what}: epochs must be above 0, got ${budget.epochs}`);
  if (budget.seconds !== undefined && !(budget.seconds > 0))
    throw new Error(`${what}: seconds must be above 0, got ${budget.seconds}`);
}

/** Fraction (0..1) of the budget used after `epochsDone` epochs and `elapsed` seconds. */
export function budgetFraction(budget: Budget, epochsDone: number, elapsed: number): number {
  const byEpochs = budget.epochs !== undefined ? epochsDone / budget.epochs : 0;
  const bySeconds = budget.seconds !== undefined ? elapsed / budget.seconds : 0;
  return Math.min(1, Math.max(byEpochs, bySeconds));
}
