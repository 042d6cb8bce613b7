/*
 * What a succeeded job did, in the words `deepend jobs` (OUTCOME) and the
 * daemon's "job succeeded" log line both use: "97.15% -> 97.75% (+0.60),
 * committed as v2". Reads the result the swap recorded with the commit.
 */

import { type WatchFigures, watchFigures } from './swap-watch';

/** The parts of a job (a store row or its API view) the description reads. */
export interface CommittedJob {
  kind: string;
  request: Readonly<Record<string, unknown>>;
  result: Readonly<Record<string, unknown>> | null;
}

function percent(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

/** A swap to a version `deepend models import` registered: a rollback job that `deepend models import` asked for. */
export function isImportJob(job: Pick<CommittedJob, 'kind' | 'request'>): boolean {
  return job.kind === 'rollback' && job.request.reason === 'import';
}

/** The job's kind as people read it: an import is not called a rollback. */
export function displayKind(job: Pick<CommittedJob, 'kind' | 'request'>): string {
  return isImportJob(job) ? 'import' : job.kind;
}

/** A rollback swaps back; a rollback job that `deepend models import` asked for swaps in an imported version. */
function swapWords(job: CommittedJob, version: number): string {
  if (isImportJob(job)) return `imported as v${version}`;
  const watch = job.request.watch as { reason?: unknown } | undefined;
  if (job.request.reason === 'watch' && typeof watch?.reason === 'string')
    return `back to v${version}, by the watch: ${watch.reason}`;
  return `back to v${version}`;
}

/** "; shadow: 200 requests, 1.2% disagreed; watch passed" from what the shadow run and the watch recorded. */
function afterGate(result: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  const shadow = result.shadow as { requests?: number; disagreement?: number | null } | undefined;
  if (shadow && typeof shadow.requests === 'number') {
    const disagreed = typeof shadow.disagreement === 'number' ? `, ${percent(shadow.disagreement)} disagreed` : '';
    parts.push(`shadow: ${shadow.requests} requests${disagreed}`);
  }
  const watch = result.watch as WatchFigures | undefined;
  if (watch?.verdict) parts.push(`watch ${watch.verdict}: ${watchFigures(watch)}`);
  return parts.map((p) => `; ${p}`).join('');
}

/** The held-out accuracies before and after with the change in points, and the version committed; undefined without a version. */
export function describeCommit(job: CommittedJob): string | undefined {
  const result = job.result;
  if (!result || typeof result.version !== 'number') return undefined;
  if (job.kind === 'rollback') return swapWords(job, result.version);
  const committed = `committed as v${result.version}${afterGate(result)}`;
  const { accuracyBefore: before, accuracyAfter: after } = result;
  if (typeof before !== 'number' || typeof after !== 'number') return committed;
  const points = (after - before) * 100;
  return `${percent(before)} -> ${percent(after)} (${points >= 0 ? '+' : ''}${points.toFixed(2)}), ${committed}`;
}
