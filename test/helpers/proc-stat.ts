import { existsSync, readdirSync, readFileSync } from 'node:fs';

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

/**
 * The pids of the child processes of `pid`; none where /proc cannot tell. Each thread's `children` file names the
 * children it started; a kernel without them (CONFIG_PROC_CHILDREN) is answered by reading every process's parent,
 * which cost a test that polls it four times a second 1.5 ms a time with 68 processes, more on a busy machine.
 */
/** Whether this kernel has per-thread `children` files (CONFIG_PROC_CHILDREN); asked once. */
let hasChildrenFiles: boolean | undefined;

export function childPids(pid: number): number[] {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  hasChildrenFiles ??= existsSync(`/proc/self/task/${process.pid}/children`);
  if (!hasChildrenFiles) return parentScan(pid);
  return threads.flatMap((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    } catch {
      return []; // the thread ended
    }
  });
}

function parentScan(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return entries.filter((e) => Number(statFields(e)?.[1]) === pid).map(Number);
}
