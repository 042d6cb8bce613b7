/*
 * One fleet subcommand's view of the broker: the connection, the decoder and
 * the folded fleet view, with listeners for every decoded event.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FleetConnection, IncomingProps } from './connection';
import { FleetView } from './fleet-view';
import { FleetEvent, Inbox } from './inbox';
import type { FleetTarget } from './target';

/** Retained messages come in a burst after the SUBACK: the burst is over after this much silence... */
export const QUIET_MS = 300;
/** ...or after this long, whichever comes first. */
export const SETTLE_CAP_MS = 3000;

export type EventListener = (e: FleetEvent, changed: boolean) => void;
export type RawListener = (topic: string, payload: Buffer, props: IncomingProps) => void;

export class FleetSession {
  readonly view: FleetView;
  readonly inbox: Inbox;
  private readonly listeners = new Set<EventListener>();
  private readonly raw = new Set<RawListener>();
  private lastMessageAt = Date.now();

  private constructor(
    readonly conn: FleetConnection,
    readonly target: FleetTarget,
    warn: (line: string) => void,
  ) {
    this.view = new FleetView(target.fleet);
    this.inbox = new Inbox(warn);
    conn.onMessage((topic, payload, props) => this.onMessage(topic, payload, props));
  }

  static async open(target: FleetTarget, warn: (line: string) => void): Promise<FleetSession> {
    return new FleetSession(await FleetConnection.open(target), target, warn);
  }

  get fleet(): string {
    return this.target.fleet;
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Messages on topics outside the contract tree (the MQTT 5 response topic). */
  onRaw(listener: RawListener): () => void {
    this.raw.add(listener);
    return () => this.raw.delete(listener);
  }

  async subscribe(topics: string[]): Promise<void> {
    await this.conn.subscribe(topics);
    this.lastMessageAt = Date.now();
  }

  /** Waits until no message came for QUIET_MS (at most SETTLE_CAP_MS), so the retained state is in the view. */
  async settle(signal?: AbortSignal, quietMs = QUIET_MS, capMs = SETTLE_CAP_MS): Promise<void> {
    const deadline = Date.now() + capMs;
    for (;;) {
      const now = Date.now();
      const quietLeft = this.lastMessageAt + quietMs - now;
      if (quietLeft <= 0 || now >= deadline || signal?.aborted) return;
      await sleep(Math.min(quietLeft, deadline - now), undefined, { signal }).catch(() => undefined);
    }
  }

  close(): Promise<void> {
    this.listeners.clear();
    this.raw.clear();
    return this.conn.close();
  }

  private onMessage(topic: string, payload: Buffer, props: IncomingProps): void {
    this.lastMessageAt = Date.now();
    const e = this.inbox.decode(topic, payload);
    if (!e) {
      for (const l of this.raw) l(topic, payload, props);
      return;
    }
    const changed = this.view.apply(e);
    for (const l of this.listeners) l(e, changed);
  }
}
