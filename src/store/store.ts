import { firstLine } from '../util/deepend-error';
import type { StoreContext } from './context';
import { jobQueries } from './jobs';
import { messageQueries } from './messages';
import { modelVersionQueries } from './model-versions';
import { settingQueries } from './settings';
import type { Store } from './types';

export type BaseContext = Omit<StoreContext, 'afterCommit' | 'flushAfterCommit' | 'warn'> & {
  warn?: StoreContext['warn'];
};

export function createStore(base: BaseContext): Store {
  const { db } = base;
  let queued: (() => void)[] = [];
  const ctx: StoreContext = {
    ...base,
    warn: base.warn ?? (() => undefined),
    afterCommit(fn) {
      queued.push(fn);
      if (!db.inTransaction) ctx.flushAfterCommit();
    },
    flushAfterCommit() {
      if (db.inTransaction) return;
      const run = queued;
      queued = [];
      for (const fn of run) {
        try {
          fn();
        } catch (err) {
          ctx.warn('after a database write, keeping its copy failed', { error: firstLine(err) });
        }
      }
    },
  };
  return {
    home: ctx.home,
    path: ctx.path,
    ...modelVersionQueries(ctx),
    ...jobQueries(ctx),
    ...messageQueries(ctx),
    ...settingQueries(ctx),
    atomically<T>(fn: () => T): T {
      const outermost = !db.inTransaction;
      let value: T;
      try {
        value = db.transaction(fn).immediate();
      } catch (err) {
        if (outermost) queued = [];
        throw err;
      }
      ctx.flushAfterCommit();
      return value;
    },
    close(): void {
      // the last connection to close checkpoints the WAL into the main file and removes it
      if (db.open) db.close();
    },
  };
}
