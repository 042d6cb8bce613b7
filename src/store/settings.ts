import type { StoreContext } from './context';
import { StoreError } from './errors';

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
