import type { Logger } from '../../daemon/log';
import type { Store } from '../../store/types';
import type { MessageKind, MessageOfKind } from '../contract/messages';
import { validateMessage } from '../contract/validate';

/**
 * Every report a device makes goes through here: validated against the
 * contract, then written to the SQLite outbox, from which the outbox sender
 * publishes in order once the broker is reachable. A message that breaks the
 * contract is a bug: it is logged and dropped, never sent, never a crash.
 */
export class FleetReporter {
  constructor(private readonly deps: { store: Store; log: Logger; onEnqueued: () => void }) {}

  report<K extends MessageKind>(kind: K, topic: string, message: MessageOfKind[K], opts: { retain: boolean; qos?: 0 | 1 }): boolean {
    const checked = validateMessage(kind, message);
    if (!checked.ok) {
      this.deps.log.error('fleet report dropped: it breaks the contract', { kind, topic, problem: checked.problem });
      return false;
    }
    this.deps.store.enqueueOutbox(topic, message, { retain: opts.retain, qos: opts.qos ?? 1 });
    this.deps.onEnqueued();
    return true;
  }
}
