import type { StoreContext } from './context';
import { jobQueries } from './jobs';
import { messageQueries } from './messages';
import { modelVersionQueries } from './model-versions';
import { settingQueries } from './settings';
import type { Store } from './types';

export function createStore(ctx: StoreContext): Store {
  const { db } = ctx;
  return {
    home: ctx.home,
    path: ctx.path,
    ...modelVersionQueries(ctx),
    ...jobQueries(ctx),
    ...messageQueries(ctx),
    ...settingQueries(ctx),
    atomically<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },
    close(): void {
      // the last connection to close checkpoints the WAL into the main file and removes it
      if (db.open) db.close();
    },
  };
}
