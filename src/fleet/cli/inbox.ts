/*
 * Turns what arrives on the fleet's topics into typed events. Every payload
 * goes through the contract's decodeMessage; an invalid one is skipped with
 * one warning line per topic (a retained bad message would otherwise warn on
 * every reconnect and every run).
 */
import type {
  BirthMessage,
  DesiredMessage,
  JobMessage,
  ReplyMessage,
  ReportedMessage,
  StateMessage,
  TelemetryMessage,
} from '../../contract/messages';
import { parseTopic } from '../../contract/topics';
import { decodeMessage } from '../../contract/validate';

export type FleetEvent =
  | { kind: 'birth'; fleet: string; device: string; value: BirthMessage }
  | { kind: 'state'; fleet: string; device: string; value: StateMessage }
  | { kind: 'job'; fleet: string; device: string; jobId: string; value: JobMessage }
  | { kind: 'reported'; fleet: string; device: string; value: ReportedMessage }
  | { kind: 'telemetry'; fleet: string; device: string; value: TelemetryMessage }
  | { kind: 'reply'; fleet: string; device: string; value: ReplyMessage }
  | { kind: 'desired'; fleet: string; device: string; value: DesiredMessage }
  | { kind: 'group-desired'; fleet: string; group: string; value: DesiredMessage };

export class Inbox {
  private readonly warned = new Set<string>();

  constructor(private readonly warn: (line: string) => void) {}

  /** The event a message is, or null: not a contract topic we read, a cleared retained message, or invalid (warned once). */
  decode(topic: string, payload: Buffer): FleetEvent | null {
    const t = parseTopic(topic);
    if (!t || t.kind === 'command') return null;
    // An empty retained message is how a retained topic is cleared: nothing to read, nothing wrong.
    if (payload.length === 0) return null;
    const kind = t.kind === 'group-desired' ? 'desired' : t.kind;
    const decoded = decodeMessage(kind, payload);
    if (!decoded.ok) {
      this.invalid(topic, decoded.problem);
      return null;
    }
    if (t.kind === 'group-desired')
      return { kind: 'group-desired', fleet: t.fleet, group: t.group, value: decoded.value as DesiredMessage };
    if (t.kind === 'job') {
      const value = decoded.value as JobMessage;
      if (value.jobId !== t.jobId) {
        this.invalid(topic, `jobId '${value.jobId}' is not the topic's`);
        return null;
      }
      return { kind: 'job', fleet: t.fleet, device: t.device, jobId: t.jobId, value };
    }
    if (t.kind === 'birth' && (decoded.value as BirthMessage).device !== t.device) {
      this.invalid(topic, `device '${(decoded.value as BirthMessage).device}' is not the topic's`);
      return null;
    }
    return { kind: t.kind, fleet: t.fleet, device: t.device, value: decoded.value } as FleetEvent;
  }

  /** A reply that came on this client's MQTT 5 response topic. */
  decodeReply(topic: string, payload: Buffer): ReplyMessage | null {
    const decoded = decodeMessage('reply', payload);
    if (decoded.ok) return decoded.value;
    this.invalid(topic, decoded.problem);
    return null;
  }

  private invalid(topic: string, problem: string): void {
    if (this.warned.has(topic)) return;
    this.warned.add(topic);
    this.warn(`skipping an invalid message on ${topic}: ${problem}`);
  }
}
