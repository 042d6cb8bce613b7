import type { IncomingMessage, ServerResponse } from 'node:http';

import { HttpError } from '../util/deepend-error';
import { renderError } from '../util/error-render';

export { HttpError };

/**
 * Reads the whole body, refusing (413) as soon as it exceeds `limit` bytes, by
 * Content-Length when the client sends one, else while streaming.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(413, `request body is larger than the limit of ${limit} bytes`, { connection: 'close' });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks, size));
      done = true;
    });
    req.on('error', (err) => {
      if (!done) reject(err);
      done = true;
    });
    // a request cut off by its timeout (408) or by the client never ends
    req.on('close', () => {
      if (!done) reject(new HttpError(408, 'the request body did not arrive in time'));
      done = true;
    });
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** An error in TF Serving's shape, {"error": message}, with deepend's `code` (and `hint`) beside it. */
export function sendError(res: ServerResponse, err: unknown): void {
  const shown = renderError(err);
  sendJson(res, shown.httpStatus, shown.body, shown.headers);
}
