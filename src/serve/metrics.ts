// A small Prometheus registry: counters, gauges and histograms with labels,
// rendered in the text exposition format (version 0.0.4). Counters and gauges
// may instead be read from a callback at scrape time, for values owned
// elsewhere (the served version, the job state, process memory).

export type Labels = Record<string, string>;
export interface Sample {
  labels: Labels;
  value: number;
}
type Collect = () => Sample[];

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function renderLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(',')}}`;
}

interface MetricOptions {
  name: string;
  help: string;
  labelNames?: string[];
}

abstract class Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly type: 'counter' | 'gauge' | 'histogram';

  constructor(opts: MetricOptions) {
    if (!METRIC_NAME.test(opts.name))
      throw new Error(`metric name ${JSON.stringify(opts.name)} is not a valid Prometheus name`);
    for (const l of opts.labelNames ?? []) {
      if (!LABEL_NAME.test(l) || l.startsWith('__') || l === 'le')
        throw new Error(`metric ${opts.name}: label name ${JSON.stringify(l)} is not allowed`);
    }
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames ?? [];
  }

  /** Labels in declared order; throws when a label is missing or unknown (a programming error). */
  protected ordered(labels: Labels): Labels {
    const given = Object.keys(labels);
    if (given.length !== this.labelNames.length || !this.labelNames.every((n) => n in labels)) {
      throw new Error(`metric ${this.name} takes labels [${this.labelNames.join(', ')}], got [${given.join(', ')}]`);
    }
    return Object.fromEntries(this.labelNames.map((n) => [n, String(labels[n])]));
  }

  protected abstract sampleLines(): string[];

  render(): string {
    return [
      `# HELP ${this.name} ${escapeHelp(this.help)}`,
      `# TYPE ${this.name} ${this.type}`,
      ...this.sampleLines(),
    ].join('\n');
  }
}

/** Counters and gauges: one value per label set, or a callback read at scrape time. */
abstract class ValueMetric extends Metric {
  private readonly values = new Map<string, Sample>();

  constructor(
    opts: MetricOptions,
    private readonly collect?: Collect,
  ) {
    super(opts);
  }

  protected entry(labels: Labels): Sample {
    if (this.collect) throw new Error(`metric ${this.name} is read from a callback and cannot be set`);
    const ordered = this.ordered(labels);
    const key = renderLabels(ordered);
    let e = this.values.get(key);
    if (!e) {
      e = { labels: ordered, value: 0 };
      this.values.set(key, e);
    }
    return e;
  }

  get(labels: Labels = {}): number {
    return this.values.get(renderLabels(this.ordered(labels)))?.value ?? 0;
  }

  protected sampleLines(): string[] {
    const samples = this.collect
      ? this.collect().map((s) => ({ labels: this.ordered(s.labels), value: s.value }))
      : [...this.values.values()];
    return samples.map((s) => `${this.name}${renderLabels(s.labels)} ${formatValue(s.value)}`);
  }
}

export class Counter extends ValueMetric {
  readonly type = 'counter';

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name} can only go up, got ${by}`);
    this.entry(labels).value += by;
  }
}

export class Gauge extends ValueMetric {
  readonly type = 'gauge';

  set(labels: Labels, value: number): void {
    this.entry(labels).value = value;
  }
}

interface Series {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  private readonly series = new Map<string, Series>();

  constructor(opts: MetricOptions & { buckets: number[] }) {
    super(opts);
    const b = [...opts.buckets].sort((x, y) => x - y);
    if (b.length === 0 || b.some((v, i) => !Number.isFinite(v) || (i > 0 && v === b[i - 1]))) {
      throw new Error(`histogram ${opts.name}: buckets must be distinct finite numbers`);
    }
    this.buckets = b;
  }

  observe(labels: Labels, value: number): void {
    const ordered = this.ordered(labels);
    const key = renderLabels(ordered);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: ordered, counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    // Stored per bucket; made cumulative when rendered.
    const i = this.buckets.findIndex((upper) => value <= upper);
    if (i !== -1) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** Per-bucket counts (not cumulative; the last entry counts those above every bucket) summed over every label set. */
  totals(): { buckets: readonly number[]; counts: number[]; count: number } {
    const counts = new Array<number>(this.buckets.length + 1).fill(0);
    let count = 0;
    for (const s of this.series.values()) {
      s.counts.forEach((c, i) => {
        counts[i] += c;
      });
      counts[this.buckets.length] += s.count - s.counts.reduce((a, b) => a + b, 0);
      count += s.count;
    }
    return { buckets: this.buckets, counts, count };
  }

  /** Observations so far for one label set (for tests and status). */
  countOf(labels: Labels): number {
    return this.series.get(renderLabels(this.ordered(labels)))?.count ?? 0;
  }

  protected sampleLines(): string[] {
    const lines: string[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((upper, i) => {
        cumulative += s.counts[i];
        lines.push(`${this.name}_bucket${renderLabels({ ...s.labels, le: formatValue(upper) })} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${renderLabels({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${renderLabels(s.labels)} ${formatValue(s.sum)}`);
      lines.push(`${this.name}_count${renderLabels(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

/** The registry: every metric the process exposes on /metrics. */
export class Metrics {
  private readonly metrics = new Map<string, Metric>();

  private add<M extends Metric>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} is already registered`);
    this.metrics.set(m.name, m);
    return m;
  }

  counter(opts: MetricOptions, collect?: Collect): Counter {
    return this.add(new Counter(opts, collect));
  }

  gauge(opts: MetricOptions, collect?: Collect): Gauge {
    return this.add(new Gauge(opts, collect));
  }

  histogram(opts: MetricOptions & { buckets: number[] }): Histogram {
    return this.add(new Histogram(opts));
  }

  has(name: string): boolean {
    return this.metrics.has(name);
  }

  /** A registered histogram by name (telemetry reads the request latencies). */
  histogramNamed(name: string): Histogram | undefined {
    const m = this.metrics.get(name);
    return m instanceof Histogram ? m : undefined;
  }

  /** The text exposition format, one block per metric in registration order. */
  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('\n') + '\n';
  }
}
