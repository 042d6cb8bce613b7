/*
 * What a succeeded job did, in the words `deepend jobs` (OUTCOME) and the
 * daemon's "job succeeded" log line both use: "97.15% -> 97.75% (+0.60),
 * committed as v2". Reads the result the swap recorded with the commit.
 */

function percent(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

/** The held-out accuracies before and after with the change in points, and the version committed; undefined without a version. */
export function describeCommit(result: Readonly<Record<string, unknown>> | null | undefined): string | undefined {
  if (!result || typeof result.version !== 'number') return undefined;
  if (result.rollback === true) return `back to v${result.version}`;
  const committed = `committed as v${result.version}`;
  const { accuracyBefore: before, accuracyAfter: after } = result;
  if (typeof before !== 'number' || typeof after !== 'number') return committed;
  const points = (after - before) * 100;
  return `${percent(before)} -> ${percent(after)} (${points >= 0 ? '+' : ''}${points.toFixed(2)}), ${committed}`;
}
