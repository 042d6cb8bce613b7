// Serving: TF Serving REST shapes over node:http, hot-swappable model slots,
// and a Prometheus registry. See docs/design/serving.md.
export { ModelSlot, Lease, SlotOptions, SlotVersion, VersionState } from './model-slot';
export { ServedModel, loadServedModel } from './served-model';
export {
  startServer,
  stopServer,
  serverPort,
  ServerOptions,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_INSTANCES,
  DEFAULT_MAX_BATCH,
} from './server';
export { Metrics, Counter, Gauge, Histogram, PROMETHEUS_CONTENT_TYPE } from './metrics';
export { VERSION_HEADER } from './model-api';
