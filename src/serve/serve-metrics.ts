import { tf } from '../tf';
import { activeBackend } from '../compute/backend';
import { Counter, Histogram, Metrics, Sample } from './metrics';
import { ModelSlot } from './model-slot';

/** Seconds; predictions of the shipped model take well under a millisecond to a few ms. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

/** The job states deepend_job_state lists (the store's names; `idle` is added), and the current job's. */
export interface JobStateSource {
  states: readonly string[];
  /** undefined when no job runs (`idle`). */
  current(): string | undefined;
}

export interface ServeMetrics {
  requests: Counter;
  duration: Histogram;
  nonFinite: Counter;
  feedbackLabels: Counter;
}

function perSlot(slots: Map<string, ModelSlot>, value: (slot: ModelSlot) => number | undefined): Sample[] {
  const out: Sample[] = [];
  for (const [model, slot] of slots) {
    const v = value(slot);
    if (v !== undefined) out.push({ labels: { model }, value: v });
  }
  return out;
}

/**
 * Registers deepend's serving metrics. Values owned elsewhere (versions, job
 * state, memory) are read when /metrics is scraped, never pushed.
 */
export function registerServeMetrics(
  metrics: Metrics,
  slots: Map<string, ModelSlot>,
  jobs?: JobStateSource,
): ServeMetrics {
  const requests = metrics.counter({
    name: 'deepend_requests_total',
    help: 'Model API requests by model and HTTP status code.',
    labelNames: ['model', 'code'],
  });
  const nonFinite = metrics.counter({
    name: 'deepend_nonfinite_predictions_total',
    help: 'Predict requests answered 500 because the model output NaN or Infinity.',
    labelNames: ['model'],
  });
  const feedbackLabels = metrics.counter({
    name: 'deepend_feedback_labels_total',
    help: 'Labels clients sent back (POST :feedback) by model, version that answered, and whether its answer was right.',
    labelNames: ['model', 'version', 'correct'],
  });
  const duration = metrics.histogram({
    name: 'deepend_request_duration_seconds',
    help: 'Model API request latency, from the request until its answer is written.',
    labelNames: ['model'],
    buckets: LATENCY_BUCKETS,
  });
  metrics.gauge(
    { name: 'deepend_model_version', help: 'The version serving new requests.', labelNames: ['model'] },
    () => perSlot(slots, (s) => s.current()?.version),
  );
  metrics.gauge(
    { name: 'deepend_model_depth', help: 'Depth (blocks) of the version serving new requests.', labelNames: ['model'] },
    () => perSlot(slots, (s) => s.current()?.meta.depth),
  );
  metrics.gauge(
    {
      name: 'deepend_inflight_requests',
      help: 'Predict requests holding a version, by version (draining versions included).',
      labelNames: ['model', 'version'],
    },
    () =>
      [...slots].flatMap(([model, slot]) =>
        slot.versions().map((v) => ({ labels: { model, version: String(v.version) }, value: v.inFlight })),
      ),
  );
  metrics.counter({ name: 'deepend_swaps_total', help: 'Hot swaps by result.', labelNames: ['model', 'result'] }, () =>
    [...slots].flatMap(([model, slot]) => [
      { labels: { model, result: 'ok' }, value: slot.swaps.ok },
      { labels: { model, result: 'failed' }, value: slot.swaps.failed },
    ]),
  );
  if (jobs) {
    metrics.gauge(
      {
        name: 'deepend_job_state',
        help: 'State of the current upgrade job (1 for the state it is in).',
        labelNames: ['state'],
      },
      () => {
        const now = jobs.current() ?? 'idle';
        const states = ['idle', ...jobs.states];
        if (!states.includes(now)) states.push(now);
        return states.map((state) => ({ labels: { state }, value: state === now ? 1 : 0 }));
      },
    );
  }
  metrics.gauge(
    { name: 'deepend_backend_info', help: 'The TF.js backend in use (value 1).', labelNames: ['backend'] },
    () => [{ labels: { backend: activeBackend()?.name ?? tf.getBackend() }, value: 1 }],
  );
  metrics.gauge({ name: 'deepend_tf_tensors', help: 'Live TF.js tensors (tf.memory().numTensors).' }, () => [
    { labels: {}, value: tf.memory().numTensors },
  ]);
  metrics.gauge({ name: 'deepend_tf_bytes', help: 'Bytes held by live TF.js tensors.' }, () => [
    { labels: {}, value: tf.memory().numBytes },
  ]);
  metrics.gauge({ name: 'process_resident_memory_bytes', help: 'Resident set size in bytes.' }, () => [
    { labels: {}, value: process.memoryUsage.rss() },
  ]);
  metrics.gauge({ name: 'process_heap_used_bytes', help: 'V8 heap in use, in bytes.' }, () => [
    { labels: {}, value: process.memoryUsage().heapUsed },
  ]);
  return { requests, duration, nonFinite, feedbackLabels };
}
