// deepend's Prometheus registry: prom-client counters, gauges and histograms in
// a Registry of the daemon's own (never prom-client's global one: tests run
// several servers in one process). Counters and gauges may instead be read
// from a callback at scrape time, for values owned elsewhere (the served
// version, the job state, process memory).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram };
export type Labels = Record<string, string>;
export interface Sample {
  labels: Labels;
  value: number;
}
type Collect = () => Sample[];

interface MetricOptions {
  name: string;
  help: string;
  labelNames?: string[];
}

/** Per-bucket counts (not cumulative; the last entry counts those above every bucket) summed over every label set. */
export interface HistogramTotals {
  buckets: readonly number[];
  counts: number[];
  count: number;
}

export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** Every metric the process exposes on /metrics. */
export class Metrics {
  readonly registry = new Registry();
  private readonly buckets = new Map<string, readonly number[]>();

  counter(opts: MetricOptions, collect?: Collect): Counter {
    return new Counter({
      ...opts,
      registers: [this.registry],
      collect: collect
        ? function (this: Counter) {
            this.reset();
            for (const s of collect()) this.inc(s.labels, s.value);
          }
        : undefined,
    });
  }

  gauge(opts: MetricOptions, collect?: Collect): Gauge {
    return new Gauge({
      ...opts,
      registers: [this.registry],
      collect: collect
        ? function (this: Gauge) {
            this.reset();
            for (const s of collect()) this.set(s.labels, s.value);
          }
        : undefined,
    });
  }

  histogram(opts: MetricOptions & { buckets: number[] }): Histogram {
    // prom-client takes the buckets in the order given and counts a value in the first that holds it
    const buckets = [...opts.buckets].sort((x, y) => x - y);
    this.buckets.set(opts.name, buckets);
    return new Histogram({ ...opts, buckets, registers: [this.registry] });
  }

  /** A registered histogram's totals by name (telemetry reads the request latencies); null when there is none. */
  async histogramTotals(name: string): Promise<HistogramTotals | null> {
    const h = this.registry.getSingleMetric(name);
    const buckets = this.buckets.get(name);
    if (!(h instanceof Histogram) || !buckets) return null;
    // cumulative counts at each bound, then at +Inf
    const cumulative = new Array<number>(buckets.length + 1).fill(0);
    for (const v of (await h.get()).values) {
      if (v.metricName !== `${name}_bucket`) continue;
      cumulative[v.labels.le === '+Inf' ? buckets.length : buckets.indexOf(Number(v.labels.le))] += v.value;
    }
    return {
      buckets,
      counts: cumulative.map((c, i) => c - (i > 0 ? cumulative[i - 1] : 0)),
      count: cumulative[buckets.length],
    };
  }

  /** The text exposition format (version 0.0.4), one block per metric in registration order. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
