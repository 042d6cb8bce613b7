import type { StoreContext } from './context';
import { StoreError } from './errors';
import { fromJson, toJson } from './json-column';
import type { EventRow, JsonObject, OutboxRow, PruneCounts } from './types';

interface OutboxRecord {
  id: number;
  topic: string;
  payload: string;
  retain: number;
  qos: number;
  created_at: string;
  sent_at: string | null;
}

/** The event log, processed command ids and the report outbox: what the daemon says and has heard. */
export function messageQueries(ctx: StoreContext) {
  const { db } = ctx;
  const insertEvent = db.prepare(`INSERT INTO events (at, kind, data) VALUES (?, ?, ?)`);
  const selectEvents = db.prepare(`SELECT * FROM events ORDER BY id DESC LIMIT ?`);
  const insertCommand = db.prepare(
    `INSERT INTO processed_commands (command_id, at, result) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const selectCommand = db.prepare(`SELECT result FROM processed_commands WHERE command_id = ?`);
  const insertOutbox = db.prepare(
    `INSERT INTO outbox (topic, payload, retain, qos, created_at) VALUES (?, ?, ?, ?, ?)`,
  );
  const selectPending = db.prepare(`SELECT * FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?`);
  const countPending = db.prepare(`SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL`);
  const updateSent = db.prepare(`UPDATE outbox SET sent_at = coalesce(sent_at, ?) WHERE id = ?`);
  const pruneEvents = db.prepare(`DELETE FROM events WHERE at < ?`);
  const pruneCommands = db.prepare(`DELETE FROM processed_commands WHERE at < ?`);
  const pruneOutbox = db.prepare(`DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?`);

  const prune = db.transaction(
    (before: string): PruneCounts => ({
      events: pruneEvents.run(before).changes,
      commands: pruneCommands.run(before).changes,
      outbox: pruneOutbox.run(before).changes,
    }),
  );

  return {
    logEvent(kind: string, data: object): void {
      insertEvent.run(ctx.now(), kind, toJson(data, `event ${kind}`));
    },
    events(limit = 100): EventRow[] {
      return (selectEvents.all(limit) as { id: number; at: string; kind: string; data: string }[]).map((r) => ({
        ...r,
        data: fromJson(r.data),
      }));
    },
    rememberCommand(id: string, result: object): boolean {
      if (typeof id !== 'string' || id.length === 0)
        throw new StoreError('rememberCommand', 'a command id must be a non-empty string');
      return insertCommand.run(id, ctx.now(), toJson(result, `command ${id} result`)).changes === 1;
    },
    commandResult(id: string): JsonObject | undefined {
      const r = selectCommand.get(id) as { result: string } | undefined;
      return r && fromJson(r.result);
    },
    enqueueOutbox(topic: string, payload: object | null, opts: { retain?: boolean; qos?: 0 | 1 } = {}): number {
      if (typeof topic !== 'string' || topic.length === 0)
        throw new StoreError('enqueueOutbox', 'topic must be a non-empty string');
      const qos = opts.qos ?? 1;
      if (qos !== 0 && qos !== 1) throw new StoreError('enqueueOutbox', `qos must be 0 or 1, not ${String(qos)}`);
      const info = insertOutbox.run(
        topic,
        payload === null ? 'null' : toJson(payload, `outbox payload for ${topic}`),
        opts.retain ? 1 : 0,
        qos,
        ctx.now(),
      );
      return Number(info.lastInsertRowid);
    },
    pendingOutbox(limit: number): OutboxRow[] {
      return (selectPending.all(limit) as OutboxRecord[]).map((r) => ({
        id: r.id,
        topic: r.topic,
        payload: r.payload === 'null' ? null : fromJson(r.payload),
        retain: r.retain === 1,
        qos: r.qos as 0 | 1,
        createdAt: r.created_at,
        sentAt: r.sent_at,
      }));
    },
    pendingOutboxCount(): number {
      return (countPending.get() as { n: number }).n;
    },
    /** Idempotent: a message acknowledged twice keeps its first sent time. */
    markSent(id: number): void {
      if (updateSent.run(ctx.now(), id).changes === 0) throw new StoreError(`outbox message ${id}`, 'does not exist');
    },
    prune: (before: Date) => prune.immediate(before.toISOString()),
  };
}
