import { tf } from '../tf';

/**
 * TF.js layers caches the topological sort of every graph it executes in an
 * LRU of 100 entries (`TOPOLOGICAL_SORT_CACHE_MAX_ENTRIES`), keyed by tensor
 * names: each entry holds the model's SymbolicTensors, so a model that was
 * swapped out and disposed stays reachable, layers and all, until 100 newer
 * keys push it out. A serving process runs one version (two during a swap):
 * a few entries are all it uses, and the bench:soak heap slope comes from the rest.
 */
export const SERVING_SORT_CACHE_ENTRIES = 8;

export function boundExecutorCache(): void {
  const env = tf.env();
  const now = env.getNumber('TOPOLOGICAL_SORT_CACHE_MAX_ENTRIES');
  if (now > SERVING_SORT_CACHE_ENTRIES) env.set('TOPOLOGICAL_SORT_CACHE_MAX_ENTRIES', SERVING_SORT_CACHE_ENTRIES);
}
