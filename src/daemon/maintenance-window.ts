import { createTask, parse } from 'node-cron';

/**
 * A policy window is a cron expression; "inside" means the current minute
 * matches it (any second of that minute, for six-field expressions). So
 * `* 2-4 * * *` is 02:00-04:59 every night, and `0 3 * * *` only 03:00-03:00:59.
 * Detection runs on its own schedule (detect.cron), so an upgrade that is due
 * outside its window starts at the first detection inside it: the window
 * should contain at least one minute of the detection schedule.
 */
export function insideWindow(window: string, at: Date): boolean {
  const minute = new Date(at);
  minute.setSeconds(0, 0);
  const task = createTask(window, () => undefined);
  try {
    return parse(window).second.some((s) => task.match(new Date(minute.getTime() + s * 1000)));
  } finally {
    void task.destroy();
  }
}
