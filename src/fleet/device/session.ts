import type { Store } from '../../store/types';

const SESSION_SETTING = 'fleet.session';

/**
 * The session counter the Last Will and every state carry: one more for every
 * connection attempt, kept in the store so it never goes back across restarts.
 * A `lost` will whose session is below the latest state's is stale.
 */
export function nextSession(store: Store): number {
  const next = Number(store.getSetting(SESSION_SETTING) ?? '0') + 1;
  store.setSetting(SESSION_SETTING, String(next));
  return next;
}

export function currentSession(store: Store): number {
  return Number(store.getSetting(SESSION_SETTING) ?? '0');
}
