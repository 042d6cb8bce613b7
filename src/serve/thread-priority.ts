import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers the calling thread's CPU priority (nice, default 19) so that the
 * serving thread wins the CPU whenever both want it: call it first thing in a
 * worker thread that trains or grows a model. Linux only, where a thread id
 * (from /proc/thread-self) given to setpriority() names just that thread;
 * threads it starts afterwards inherit the value. Returns false elsewhere.
 */
export function lowerThreadPriority(nice = 19): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
