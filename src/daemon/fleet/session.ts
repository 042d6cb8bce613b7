import type { Store } from '../../store/types';

const SESSION_SETTING = 'fleet.session';

/**
 * The session counter the Last Will and every state carry: one more for every
 * connection attempt, kept in the store so it never goes back across restarts.
 * A `lost` will whose session is below the latest state's is stale.
 */
let unsaved = 0;

export function nextSession(store: Store): number {
  const next = Math.max(Number(store.getSetting(SESSION_SETTING) ?? '0'), unsaved) + 1;
  try {
    store.setSetting(SESSION_SETTING, String(next));
  } catch {
    // a full or read-only disk: the counter still goes up in this process
  }
  unsaved = next;
  return next;
}

export function currentSession(store: Store): number {
  return Math.max(Number(store.getSetting(SESSION_SETTING) ?? '0'), unsaved);
}
