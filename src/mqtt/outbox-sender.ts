import type { OutboxRow, Store } from '../store/types';
import { PublishRefused, type LinkLog, type PublishOptions } from './link';

const BATCH = 50;
/** After a storage error (markSent on a full disk: the message is sent again later, at least once). */
const RETRY_MS = 5000;

export interface OutboxSenderOptions {
  store: Pick<Store, 'pendingOutbox' | 'pendingOutboxCount' | 'markSent'>;
  link: { readonly connected: boolean; publish(topic: string, payload: string, opts: PublishOptions): Promise<void> };
  log: LinkLog;
}

/**
 * Delivers the SQLite outbox in id order, one message in flight, each marked
 * sent after its PUBACK: strict order and at-least-once (a message whose
 * PUBACK was lost with the connection is sent again after the reconnect).
 * A loss of the link ends the loop quietly; the next kick resumes it.
 */
export class OutboxSender {
  private readonly opts: OutboxSenderOptions;
  private running: Promise<void> | null = null;
  private kickedWhileRunning = false;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;

  constructor(opts: OutboxSenderOptions) {
    this.opts = opts;
  }

  /** Sends everything pending, unless a loop already does (it reads the outbox again until it is empty). */
  kick(): void {
    if (this.stopped || !this.opts.link.connected) return;
    if (this.running) {
      this.kickedWhileRunning = true;
      return;
    }
    this.kickedWhileRunning = false;
    this.running = this.drain();
  }

  /** Unsent messages (a COUNT query: a long outage's backlog is never loaded to be counted). */
  pending(): number {
    return this.opts.store.pendingOutboxCount();
  }

  /** Stops after the message in flight (it stays pending unless its PUBACK came). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    // Yield first: with an empty outbox the loop would otherwise finish inside kick(), before `running` is assigned, and stay "running" forever.
    await Promise.resolve();
    try {
      for (;;) {
        const rows = this.opts.store.pendingOutbox(BATCH);
        if (rows.length === 0) return;
        for (const row of rows) {
          if (this.stopped || !this.opts.link.connected) return;
          if (!(await this.send(row))) return;
        }
      }
    } catch (err) {
      // the store failed (a full or failing disk): this loop ends, a later kick resumes it
      this.opts.log.warn('outbox not readable or writable; retried in a few seconds', {
        reason: (err as Error).message,
      });
      this.retryLater();
    } finally {
      this.running = null;
      // A kick that came while this loop was giving up (link lost, then back) must not be lost.
      if (this.kickedWhileRunning) this.kick();
    }
  }

  private retryLater(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  /** True when the row is done with (sent, or refused by the broker for good). */
  private async send(row: OutboxRow): Promise<boolean> {
    try {
      const payload = row.payload === null ? '' : JSON.stringify(row.payload);
      await this.opts.link.publish(row.topic, payload, { qos: row.qos, retain: row.retain });
    } catch (err) {
      if (err instanceof PublishRefused) {
        // Resending cannot succeed and would hold back every later report.
        this.opts.log.error('the MQTT broker refused an outbox message; dropped', {
          topic: row.topic,
          id: row.id,
          reason: err.reason,
        });
        this.opts.store.markSent(row.id);
        return true;
      }
      if (this.opts.link.connected)
        this.opts.log.warn('outbox message not delivered; retried on the next kick', {
          topic: row.topic,
          id: row.id,
          reason: (err as Error).message,
        });
      return false;
    }
    this.opts.store.markSent(row.id);
    return true;
  }
}
