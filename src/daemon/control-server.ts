import { chmodSync, rmSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';

import { HttpError } from '../util/deepend-error';
import { renderError } from '../util/error-render';

export interface ControlRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

export type ControlHandler = (req: ControlRequest) => Promise<{ status?: number; body: object }>;

const MAX_BODY = 64 * 1024;

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_BODY) reject(new HttpError(413, 'request body too large'));
    });
    req.on('end', () => {
      if (text.trim() === '') return resolve({});
      try {
        const value: unknown = JSON.parse(text);
        if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
        resolve(value as Record<string, unknown>);
      } catch {
        reject(new HttpError(400, 'the request body must be a JSON object'));
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(req: IncomingMessage, res: ServerResponse, handler: ControlHandler): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://control');
    const body = req.method === 'POST' ? await readJson(req) : {};
    const answer = await handler({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body });
    send(res, answer.status ?? 200, answer.body);
  } catch (err) {
    const shown = renderError(err);
    send(res, shown.httpStatus, shown.body);
  }
}

/**
 * The control API: HTTP with JSON bodies on a Unix socket in the home
 * directory. Only the daemon's user (and its group) may connect: the socket
 * is the permission check, as for Docker's.
 */
export function startControlServer(
  path: string,
  handler: ControlHandler,
): Promise<{ server: Server; close: () => Promise<void> }> {
  const server = createServer((req, res) => void handle(req, res, handler));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      chmodSync(path, 0o660);
      const close = () =>
        new Promise<void>((done) => {
          server.close(() => {
            rmSync(path, { force: true });
            done();
          });
          server.closeAllConnections();
        });
      resolve({ server, close });
    });
  });
}
