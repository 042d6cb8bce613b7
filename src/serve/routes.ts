import { HttpError } from './http';

/** What a request URL asks for. */
export type Route =
  | { kind: 'healthz' | 'readyz' | 'metrics' }
  | { kind: 'status' | 'metadata'; model: string; version?: number }
  | { kind: 'predict'; model: string; version?: number }
  | { kind: 'feedback'; model: string };

const MODEL_PATH = /^\/v1\/models\/([^/:]+)(?:\/versions\/([^/:]+))?(\/metadata)?(?::([A-Za-z]+))?$/;

function parseVersion(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(text))
    throw new HttpError(400, `model version must be a whole number from 1, got ${JSON.stringify(text)}`);
  return Number(text);
}

function decodeName(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new HttpError(400, `model name ${JSON.stringify(text)} is not valid URL encoding`);
  }
}

function expectMethod(method: string | undefined, allowed: 'GET' | 'POST'): void {
  const ok = allowed === 'GET' ? method === 'GET' || method === 'HEAD' : method === 'POST';
  if (!ok)
    throw new HttpError(405, `${method} is not allowed here; use ${allowed}`, {
      allow: allowed === 'GET' ? 'GET, HEAD' : 'POST',
    });
}

/** Maps method + path to a route; throws 404/405/400 HttpErrors in TF Serving's error shape. */
export function route(method: string | undefined, url: string): Route {
  const path = url.split('?')[0];
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') {
    expectMethod(method, 'GET');
    return { kind: path.slice(1) as 'healthz' | 'readyz' | 'metrics' };
  }
  const m = MODEL_PATH.exec(path);
  if (!m) throw new HttpError(404, `no such endpoint: ${path}`);
  const [, rawName, rawVersion, metadata, verb] = m;
  const model = decodeName(rawName);
  const version = parseVersion(rawVersion);
  if (verb !== undefined) {
    if (metadata) throw new HttpError(404, `no such endpoint: ${path}`);
    if (verb !== 'predict' && verb !== 'feedback')
      throw new HttpError(404, `:${verb} is not supported; this server answers :predict and :feedback`);
    expectMethod(method, 'POST');
    if (verb === 'feedback') {
      if (version !== undefined)
        throw new HttpError(404, 'feedback names no version: POST /v1/models/NAME:feedback (the request id knows it)');
      return { kind: 'feedback', model };
    }
    return { kind: 'predict', model, version };
  }
  expectMethod(method, 'GET');
  return { kind: metadata ? 'metadata' : 'status', model, version };
}
