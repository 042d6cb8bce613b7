import type { BirthMessage } from '../../contract/messages';
import type { DaemonPhase } from './device-state';

/** Request counts and latency buckets since the process started, read at every telemetry tick. */
export interface ServingCounters {
  /** Upper bounds in seconds; counts[i] are the requests at or under buckets[i], the last entry those above every bucket. */
  buckets: readonly number[];
  counts: number[];
  count: number;
}

/**
 * What the fleet agent reads from the daemon it belongs to. The daemon
 * provides them from its parts; the benchmark's simulated devices from fixed
 * facts (docs/design/fleet.md, "Simulation mode").
 */
export interface AgentSources {
  phase(): DaemonPhase;
  hardware(): BirthMessage['hardware'] | null;
  backend(): string;
  policy(): BirthMessage['policy'];
  predictUrl(): string | null;
  serving(): ServingCounters | null | Promise<ServingCounters | null>;
  tensors(): number | null;
  /** Set when the committed version was corrupt at start and an older one serves instead. */
  fallback?(): { fromVersion: number; reason: 'corrupt' } | null;
  /** Set when the daemon runs read-only (its disk is full, read-only or failing). */
  readOnly?(): { reason: string; since: string } | null;
}
