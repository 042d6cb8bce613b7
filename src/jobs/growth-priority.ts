import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Sets every thread of this process to `nice` (the config's growthNice):
 * called first in the growth process, so that the serving process (and the
 * device's other work) wins the CPU whenever both want it. On Linux setpriority() given a thread id sets that
 * thread alone, so each one in /proc/self/task is set (Node's own threads are
 * already running); threads started afterwards, TF.js's, inherit the value.
 * Returns false when a thread could not be set: not Linux, or a value below the
 * current one without the right to raise priority (CAP_SYS_NICE).
 */
export function setGrowthPriority(nice: number): boolean {
  let tids: number[];
  try {
    tids = readdirSync('/proc/self/task').map(Number);
  } catch {
    return false;
  }
  let all = tids.length > 0;
  for (const tid of tids) {
    try {
      setPriority(tid, nice);
    } catch {
      all = false;
    }
  }
  return all;
}
