import { DeependError } from '../util/deepend-error';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { HttpError, sendError, sendJson, sendText } from './http';
import { Metrics, PROMETHEUS_CONTENT_TYPE } from './metrics';
import { DEFAULT_MAX_BATCH, MicroBatcher } from './batcher';
import { modelMetadata, modelPredict, modelStatus, PredictContext, slotFor } from './model-api';
import { modelFeedback } from './feedback';
import { ModelSlot } from './model-slot';
import { Route, route } from './routes';
import { JobStateSource, registerServeMetrics, ServeMetrics } from './serve-metrics';

export interface ServerOptions {
  /** Default 127.0.0.1: serving is local unless configured otherwise. */
  host?: string;
  /** 0 picks a free port (see serverPort). */
  port: number;
  slots: Map<string, ModelSlot>;
  metrics: Metrics;
  /** Daemon facts merged into /healthz (device, job, ...). */
  status: () => object;
  /** The job states for deepend_job_state (none: the metric is left out). */
  jobs?: JobStateSource;
  /** Default 8 MiB. */
  maxBodyBytes?: number;
  /** Inputs per predict request; default 2048. */
  maxInstances?: number;
  /** Largest micro-batch of concurrent predict requests; 1 runs each request on its own. Default 32. */
  maxBatch?: number;
  /** Open connections at most; more are closed as they arrive. Default 256. */
  maxConnections?: number;
  /** A request whose headers take longer is answered 408 and closed. Default 10 s. */
  headersTimeoutMs?: number;
  /** A request (headers and body) that takes longer is answered 408 and closed. Default 30 s. */
  requestTimeoutMs?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_INSTANCES = 2048;
export const DEFAULT_MAX_CONNECTIONS = 256;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** How often Node checks the two timeouts (its default, 30 s, would let a 30 s limit run to 60 s). */
const TIMEOUT_CHECK_MS = 1000;
export { DEFAULT_MAX_BATCH };

const UNKNOWN_MODEL = '_unknown';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function readiness(slots: Map<string, ModelSlot>): { ready: boolean; models: Record<string, number | null> } {
  const models = Object.fromEntries([...slots].map(([name, slot]) => [name, slot.current()?.version ?? null]));
  return { ready: slots.size > 0 && Object.values(models).every((v) => v !== null), models };
}

async function dispatch(
  r: Route,
  req: IncomingMessage,
  res: ServerResponse,
  opts: ServerOptions,
  predict: PredictContext,
): Promise<void> {
  switch (r.kind) {
    case 'healthz': {
      let daemon: object;
      try {
        daemon = opts.status();
      } catch (err) {
        daemon = { statusError: message(err) };
      }
      return sendJson(res, 200, { status: 'ok', uptimeSeconds: Math.round(process.uptime()), ...daemon });
    }
    case 'readyz': {
      const r = readiness(opts.slots);
      return r.ready
        ? sendJson(res, 200, r)
        : sendJson(res, 503, { ...r, error: 'no model version is loaded and warmed up yet' });
    }
    case 'metrics':
      return sendText(res, 200, await opts.metrics.render(), PROMETHEUS_CONTENT_TYPE);
    case 'status':
      return modelStatus(res, slotFor(opts.slots, r.model), r.version);
    case 'metadata':
      return modelMetadata(res, slotFor(opts.slots, r.model), r.version);
    case 'predict':
      return modelPredict(req, res, slotFor(opts.slots, r.model), r.version, predict);
    case 'feedback':
      return modelFeedback(req, res, slotFor(opts.slots, r.model), predict.feedbackLabels);
  }
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  opts: ServerOptions,
  predict: PredictContext,
  m: ServeMetrics,
): Promise<void> {
  const started = process.hrtime.bigint();
  let r: Route | undefined;
  try {
    r = route(req.method, req.url ?? '/');
    await dispatch(r, req, res, opts, predict);
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
    } else if (err instanceof DeependError) {
      sendError(res, err);
    } else {
      sendError(res, new HttpError(500, `internal error: ${message(err)}`));
    }
  }
  if (r && 'model' in r) {
    const model = opts.slots.has(r.model) ? r.model : UNKNOWN_MODEL;
    m.requests.inc({ model, code: String(res.statusCode) });
    m.duration.observe({ model }, Number(process.hrtime.bigint() - started) / 1e9);
  }
}

/** Starts the HTTP server (TF Serving REST shapes, /healthz, /readyz, /metrics); resolves once it listens. */
export function startServer(opts: ServerOptions): Promise<Server> {
  const m = registerServeMetrics(opts.metrics, opts.slots, opts.jobs);
  const predict: PredictContext = {
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxInstances: opts.maxInstances ?? DEFAULT_MAX_INSTANCES,
    batcher: new MicroBatcher(opts.maxBatch ?? DEFAULT_MAX_BATCH),
    nonFinite: m.nonFinite,
    feedbackLabels: m.feedbackLabels,
  };
  const requestTimeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  // Node answers 408 and closes the connection itself when either timeout passes
  const server = createServer(
    {
      headersTimeout: Math.min(opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, requestTimeout),
      requestTimeout,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, requestTimeout),
    },
    (req, res) => void handle(req, res, opts, predict, m),
  );
  server.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function serverPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/** Stops accepting connections, lets open requests finish for up to `graceMs`, then closes what is left. */
export function stopServer(server: Server, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
