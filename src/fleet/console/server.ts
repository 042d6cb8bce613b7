/*
 * The console's HTTP server (node:http): the page, the fleet's state
 * (GET /api/state, /api/devices/ID), its changes as Server-Sent Events
 * (GET /api/events) and the actions (POST /api/deepen, /api/rollback,
 * /api/rollouts, /api/rollouts/ID/pause|resume|abort). Access rules in
 * access.ts; no command goes through GET.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AccessOutcome, type AccessRules, checkHost, checkOrigin, checkToken } from './access';
import {
  DeviceActions,
  type DeepenRequestBody,
  deepenBodyProblem,
  type RollbackRequestBody,
  rollbackBodyProblem,
} from './device-actions';
import type { FleetState } from './fleet-state';
import type { RolloutAction } from './rollout-action';
import { CONTROL_ACTIONS, type ControlAction, type RolloutControls } from '../cli/rollout-control';
import { HttpError } from '../../util/deepend-error';
import { renderError } from '../../util/error-render';
import { SseHub } from './sse';
import { loadStaticFiles, SECURITY_HEADERS } from './static-files';

const MAX_BODY_BYTES = 16 * 1024;
/** The state-changing requests (POST only, Origin checked). */
const ACTIONS: Record<string, 'deepen' | 'rollback' | 'rollout'> = {
  '/api/deepen': 'deepen',
  '/api/rollback': 'rollback',
  '/api/rollouts': 'rollout',
};

/** POST /api/rollouts/ID/ACTION, one path per rollout-control action. */
const CONTROL_PATH = new RegExp(`^/api/rollouts/([^/]+)/(${CONTROL_ACTIONS.join('|')})$`);

export interface ConsoleServerOptions {
  state: FleetState;
  actions: DeviceActions;
  rollouts: RolloutAction;
  controls: RolloutControls;
  access: AccessRules;
  /** Told about refused requests (one line each), for the console's log. */
  refused?: (line: string) => void;
}

export class ConsoleServer {
  readonly http: Server;
  private readonly hub = new SseHub();
  private readonly files = loadStaticFiles();

  constructor(private readonly opts: ConsoleServerOptions) {
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
    opts.state.onChange((c) => {
      if (c.kind === 'device') this.hub.send('device', c.device);
      else if (c.kind === 'sample') this.hub.send('sample', c);
      else if (c.kind === 'rollout') this.hub.send('rollout', c.rollout);
      else if (c.kind === 'rollout-gone') this.hub.send('rollout-gone', { id: c.id });
      else this.hub.send('link', { connected: c.connected });
    });
  }

  listen(port: number, host: string): Promise<{ port: number }> {
    return new Promise((resolve, reject) => {
      this.http.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(`port ${port} on ${host} is in use: pass another --port`)
            : new Error(`cannot listen on ${host}:${port}: ${err.code ?? err.message}`),
        ),
      );
      this.http.listen(port, host, () => {
        this.http.removeAllListeners('error');
        const address = this.http.address();
        resolve({ port: typeof address === 'object' && address ? address.port : port });
      });
    });
  }

  get streams(): number {
    return this.hub.size;
  }

  close(): Promise<void> {
    this.hub.close();
    return new Promise((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    this.allow(req, checkHost(req, this.opts.access));
    if (!url.pathname.startsWith('/api/')) return this.serveFile(req, res, url.pathname);
    this.allow(req, checkToken(req, url, this.opts.access));
    res.setHeader('Cache-Control', 'no-store');
    const control = CONTROL_PATH.exec(url.pathname);
    if (control) {
      if (req.method !== 'POST') throw new HttpError(405, 'POST only');
      this.allow(req, checkOrigin(req));
      const [, id, what] = control;
      return sendJson(res, 200, await this.opts.controls.send(decodeSegment(id), what as ControlAction));
    }
    const action = ACTIONS[url.pathname];
    if (action) {
      if (req.method !== 'POST') throw new HttpError(405, 'POST only');
      this.allow(req, checkOrigin(req));
      if (action === 'deepen') return this.deepen(req, res);
      if (action === 'rollback') return this.rollback(req, res);
      return sendJson(res, 200, await this.opts.rollouts.start(await readJson(req)));
    }
    if (req.method !== 'GET') throw new HttpError(405, 'GET only');
    if (url.pathname === '/api/state') return sendJson(res, 200, this.opts.state.snapshot());
    if (url.pathname === '/api/events')
      return this.hub.open(res, { event: 'snapshot', data: this.opts.state.snapshot() });
    const device = /^\/api\/devices\/([^/]+)$/.exec(url.pathname)?.[1];
    if (device !== undefined) {
      const id = decodeSegment(device);
      const detail = this.opts.state.detail(id);
      if (!detail) throw new HttpError(404, `no device '${id}'`);
      return sendJson(res, 200, detail);
    }
    throw new HttpError(404, `no ${url.pathname}`);
  }

  private allow(req: IncomingMessage, outcome: AccessOutcome): void {
    if (outcome.ok) return;
    this.opts.refused?.(`refused ${req.method} ${req.url?.split('?')[0]}: ${outcome.why}`);
    throw new HttpError(403, outcome.why);
  }

  private serveFile(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'GET only');
    const file = this.files.get(path);
    if (!file) throw new HttpError(404, `no ${path}`);
    res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length, 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  private async deepen(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const problem = deepenBodyProblem(body);
    if (problem) throw new HttpError(400, problem);
    const request = body as DeepenRequestBody;
    const targets = this.opts.actions.targets(request);
    if ('problem' in targets) throw new HttpError(404, targets.problem);
    const results = await this.opts.actions.deepen(targets.devices, {
      toDepth: request.toDepth,
      method: request.method ?? null,
    });
    sendJson(res, 200, { results });
  }

  private async rollback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const problem = rollbackBodyProblem(body);
    if (problem) throw new HttpError(400, problem);
    const targets = this.opts.actions.rollbackTargets(body as RollbackRequestBody);
    if ('problem' in targets) throw new HttpError(404, targets.problem);
    sendJson(res, 200, { results: await this.opts.actions.rollBack(targets.devices) });
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) return void res.end();
    const shown = renderError(err);
    sendJson(res, shown.httpStatus, shown.body);
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'malformed id in the path');
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
    throw new HttpError(415, 'the body must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'malformed JSON');
  }
}
