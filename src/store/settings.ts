import type { StoreContext } from './context';
import { StoreError } from './errors';

/**
 * The last `reported` this device made (src/daemon/fleet/desired.ts), kept so a
 * restart neither repeats nor forgets a rollout; retention (src/jobs) keeps the
 * version it names.
 */
export const REPORTED_SETTING = 'fleet.reported';

export function settingQueries(ctx: StoreContext) {
  const select = ctx.db.prepare(`SELECT value FROM settings WHERE key = ?`);
  const upsert = ctx.db.prepare(
    `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  );
  return {
    getSetting(key: string): string | undefined {
      return (select.get(key) as { value: string } | undefined)?.value;
    },
    setSetting(key: string, value: string): void {
      if (typeof value !== 'string') throw new StoreError(`setting ${key}`, 'value must be a string');
      upsert.run(key, value, ctx.now());
    },
  };
}
