import { request } from 'node:http';
import { resolve } from 'node:path';
import { loadConfig } from '../config';
import { CONTROL_SOCKET, controlSocketPath } from './control-socket';
import { codeOfStatus, DeependError, ERROR_CODES, type ErrorCode } from '../util/deepend-error';

export interface ControlAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** The daemon is not there to ask: one line that says where it was looked for. */
export class NoDaemonError extends DeependError {
  constructor(home: string, why: string) {
    super('no-daemon', `no daemon running at ${home} (${why})`, {
      hint: 'start it with `deepend start`, or point --home (DEEPEND_HOME) at its home directory',
    });
    this.name = 'NoDaemonError';
  }
}

/** An answer other than 2xx: the daemon's `error`, `code` and `hint`, with the body for callers that want more. */
export class ControlCallError extends DeependError {
  constructor(
    readonly status: number,
    body: Record<string, unknown>,
  ) {
    const code =
      typeof body.code === 'string' && body.code in ERROR_CODES ? (body.code as ErrorCode) : codeOfStatus(status);
    super(code, typeof body.error === 'string' ? body.error : `the daemon answered ${status}`, {
      httpStatus: status,
      body,
      ...(typeof body.hint === 'string' ? { hint: body.hint } : {}),
    });
    this.name = 'ControlCallError';
  }
}

/** Talks to the running daemon of one home directory over its control socket. */
export class ControlClient {
  readonly socket: string;

  constructor(readonly home: string) {
    this.socket = controlSocketPath(home);
  }

  call(method: 'GET' | 'POST', path: string, body?: object): Promise<ControlAnswer> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath: this.socket,
          method,
          path,
          headers:
            payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            try {
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
            } catch {
              reject(
                new Error(`the daemon at ${this.home} answered ${res.statusCode} with something that is not JSON`),
              );
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') reject(new NoDaemonError(this.home, `${CONTROL_SOCKET} missing`));
        else if (err.code === 'ECONNREFUSED')
          reject(new NoDaemonError(this.home, `${CONTROL_SOCKET} is stale: nothing listens on it`));
        else if (err.code === 'EACCES')
          reject(new Error(`${this.socket}: permission denied (run as the daemon's user or a member of its group)`));
        else if (err.code === 'ECONNRESET')
          reject(new Error(`the daemon at ${this.home} closed the connection (is it stopping?)`));
        else reject(err);
      });
      req.end(payload);
    });
  }

  /** Like call(), but a non-2xx answer throws its error text. */
  async ok<T = Record<string, unknown>>(method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
    const answer = await this.call(method, path, body);
    if (answer.status < 200 || answer.status >= 300) throw new ControlCallError(answer.status, answer.body);
    return answer.body as T;
  }
}

/**
 * The home directory a CLI command talks to, found as `deepend start` finds
 * it: --home, else the config (--config FILE, DEEPEND_HOME, ~/.deepend).
 */
export function clientFor(opts: { home?: string; config?: string; env?: NodeJS.ProcessEnv }): ControlClient {
  if (opts.home !== undefined) return new ControlClient(resolve(opts.home));
  return new ControlClient(loadConfig({ file: opts.config, env: opts.env }).config.home);
}
