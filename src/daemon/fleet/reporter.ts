import type { Logger } from '../../util/log';
import type { Store } from '../../store/types';
import type { MessageKind, MessageOfKind } from '../../contract/messages';
import { validateMessage } from '../../contract/validate';

/** A report (or, with message null, a retained topic's clearing) on its way to the outbox. */
interface Held {
  topic: string;
  message: object | null;
  retain: boolean;
  qos: 0 | 1;
}

/**
 * Every report a device makes goes through here: validated against the
 * contract, then written to the SQLite outbox, from which the outbox sender
 * publishes in order once the broker is reachable. A message that breaks the
 * contract is a bug: it is logged and dropped, never sent, never a crash.
 */
export class FleetReporter {
  /** Reports the outbox could not take (a full or failing disk), oldest first, waiting to be enqueued. */
  private held: Held[] = [];
  private dropped = 0;
  private retry?: NodeJS.Timeout;

  constructor(private readonly deps: { store: Store; log: Logger; onEnqueued: () => void }) {}

  report<K extends MessageKind>(
    kind: K,
    topic: string,
    message: MessageOfKind[K],
    opts: { retain: boolean; qos?: 0 | 1 },
  ): boolean {
    const checked = validateMessage(kind, message);
    if (!checked.ok) {
      this.deps.log.error('fleet report dropped: it breaks the contract', { kind, topic, problem: checked.problem });
      return false;
    }
    this.hold({ topic, message, retain: opts.retain, qos: opts.qos ?? 1 });
    return true;
  }

  /** Clears a retained topic on the broker (an empty retained message), in order after the reports before it. */
  clearRetained(topic: string): void {
    this.hold({ topic, message: null, retain: true, qos: 1 });
  }

  /** Queues a message for the outbox, at most MAX_HELD while the outbox cannot take them (the oldest go first). */
  private hold(entry: Held): void {
    this.held.push(entry);
    if (this.held.length > MAX_HELD) {
      this.held.shift();
      this.dropped++;
    }
    this.flush();
  }

  /** Reports held in memory because the outbox could not take them. */
  heldCount(): number {
    return this.held.length;
  }

  stop(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
  }

  /** Enqueues what is held, in order; on a storage error keeps the rest and tries again later. */
  private flush(): void {
    let enqueued = false;
    while (this.held.length > 0) {
      const next = this.held[0];
      try {
        this.deps.store.enqueueOutbox(next.topic, next.message, { retain: next.retain, qos: next.qos });
      } catch (err) {
        if (!this.retry) {
          this.deps.log.warn('fleet reports held in memory: the outbox cannot be written; retried every few seconds', {
            held: this.held.length,
            error: (err as Error).message,
          });
          this.retry = setTimeout(() => {
            this.retry = undefined;
            this.flush();
          }, RETRY_MS);
          this.retry.unref();
        }
        break;
      }
      this.held.shift();
      enqueued = true;
    }
    if (this.held.length === 0 && this.dropped > 0) {
      this.deps.log.warn('fleet reports were dropped while the outbox could not be written', { dropped: this.dropped });
      this.dropped = 0;
    }
    if (enqueued) this.deps.onEnqueued();
  }
}

/** Held reports at most (the oldest go first); retained ones are replaced by later reports anyway. */
const MAX_HELD = 1000;
const RETRY_MS = 5000;
