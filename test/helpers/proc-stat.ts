import { readdirSync, readFileSync } from 'node:fs';

/**
 * The fields of /proc/PATH/stat after the command name (which may hold spaces), or undefined once the process or
 * thread is gone: [0] state, [1] ppid, [11] utime, [12] stime (in clock ticks), [16] nice.
 */
export function statFields(path: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${path}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The pids of the child processes of `pid`; none where /proc cannot tell. */
export function childPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return entries.filter((e) => Number(statFields(e)?.[1]) === pid).map(Number);
}
