import type { TelemetryMessage } from '../../contract/messages';
import type { AgentSources, ServingCounters } from './sources';

/**
 * The upper bound (ms) of the latency bucket holding quantile q of the
 * requests counted in `counts`; null when there were none. Above the last
 * bucket the last bound is reported: a histogram cannot say more.
 */
export function bucketQuantileMs(buckets: readonly number[], counts: number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    cumulative += counts[i];
    if (cumulative >= q * total) return Number((buckets[Math.min(i, buckets.length - 1)] * 1000).toPrecision(4));
  }
  return buckets[buckets.length - 1] * 1000;
}

/** Turns cumulative serving counters into per-interval telemetry: the rate and latencies since the previous sample. */
export class TelemetrySampler {
  private previous?: { at: number; counters: ServingCounters };
  private readonly startedAt = Date.now();

  constructor(private readonly sources: AgentSources) {}

  async sample(now = Date.now()): Promise<TelemetryMessage> {
    const counters = await this.sources.serving();
    let predictRate = 0;
    let latencyMs: TelemetryMessage['latencyMs'] = { p50: null, p99: null };
    if (counters) {
      const before = this.previous?.counters;
      const since = this.previous?.at ?? this.startedAt;
      const delta = counters.counts.map((c, i) => c - (before?.counts[i] ?? 0));
      const seconds = Math.max(0.001, (now - since) / 1000);
      predictRate = Number(((counters.count - (before?.count ?? 0)) / seconds).toFixed(3));
      latencyMs = {
        p50: bucketQuantileMs(counters.buckets, delta, 0.5),
        p99: bucketQuantileMs(counters.buckets, delta, 0.99),
      };
      this.previous = { at: now, counters: { ...counters, counts: [...counters.counts] } };
    }
    const memory = process.memoryUsage();
    return {
      backend: this.sources.backend(),
      predictRate,
      latencyMs,
      memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, tensors: this.sources.tensors() },
      uptimeSeconds: Math.round((now - this.startedAt) / 1000),
      ts: new Date(now).toISOString(),
    };
  }
}
