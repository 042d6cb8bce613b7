/**
 * The one error type users meet. Every failure a person or a fleet tool sees
 * carries a stable `code` (listed, with what to do, in
 * docs/guides/troubleshooting.md), a one-line `message` and an optional `hint`.
 * The code decides the exit code of a command, the HTTP status of an answer
 * and the `code` of a refused MQTT command; `renderError` (error-render.ts)
 * is the one place that turns any thrown value into those.
 */
export const ERROR_CODES = {
  usage: { exitCode: 2, httpStatus: 400, means: 'a command line or request that is malformed' },
  config: { exitCode: 1, httpStatus: 400, means: 'a config file or DEEPEND_* variable that cannot be used' },
  policy: { exitCode: 1, httpStatus: 400, means: 'a policy file that cannot be used' },
  data: { exitCode: 1, httpStatus: 400, means: 'a data set that cannot be read or does not fit the model' },
  model: { exitCode: 1, httpStatus: 400, means: 'a model that cannot be read, grown or served' },
  store: { exitCode: 1, httpStatus: 500, means: 'the database or a stored version is damaged or cannot be written' },
  'disk-full': { exitCode: 1, httpStatus: 507, means: 'not enough free space (or inodes) for the work' },
  'no-daemon': { exitCode: 1, httpStatus: 503, means: 'no daemon answers at that home directory' },
  unavailable: { exitCode: 1, httpStatus: 503, means: 'not ready yet: the daemon is starting or has no model loaded' },
  'not-found': { exitCode: 1, httpStatus: 404, means: 'no such job, version, device, model or endpoint' },
  'not-allowed': { exitCode: 1, httpStatus: 405, means: 'that HTTP method is not answered here' },
  forbidden: { exitCode: 1, httpStatus: 403, means: 'refused: a missing token or a foreign origin' },
  conflict: {
    exitCode: 1,
    httpStatus: 409,
    means: 'refused now: a job runs, the job is in another state, a port or home is taken',
  },
  'too-large': { exitCode: 1, httpStatus: 413, means: 'a request body over the limit' },
  'unsupported-type': { exitCode: 1, httpStatus: 415, means: 'a request body of the wrong content type' },
  timeout: {
    exitCode: 1,
    httpStatus: 408,
    means: 'a request or an answer that did not arrive in time (a command past its expiresAt)',
  },
  diverged: { exitCode: 1, httpStatus: 500, means: 'training diverged (NaN or infinite loss); nothing was saved' },
  aborted: { exitCode: 130, httpStatus: 409, means: 'interrupted or canceled; partial outputs were removed' },
  internal: { exitCode: 1, httpStatus: 500, means: 'a fault of deepend itself: the log has its stack' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface DeependErrorOptions {
  /** What the user can do about it, one line. */
  hint?: string;
  cause?: unknown;
  /** An HTTP status other than the code's (e.g. 503 for a retry), and headers to answer with. */
  httpStatus?: number;
  headers?: Record<string, string>;
  /** More fields for a JSON answer (HTTP, control socket), beside `error`, `code` and `hint`. */
  body?: Record<string, unknown>;
}

/** A thrown message's first line, whitespace folded: messages travel in logs, replies and status lines. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** The first line of what was thrown (an Error's message, or the value as text). */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].trim();
}

export class DeependError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
  private readonly statusOverride?: number;

  constructor(code: ErrorCode, message: string, options: DeependErrorOptions = {}) {
    super(oneLine(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeependError';
    this.code = code;
    if (options.hint !== undefined) this.hint = oneLine(options.hint);
    this.headers = options.headers ?? {};
    this.body = options.body ?? {};
    this.statusOverride = options.httpStatus;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exitCode;
  }

  get httpStatus(): number {
    return this.statusOverride ?? ERROR_CODES[this.code].httpStatus;
  }

  /** The lines a command prints for it (more than one only for files with several problems). */
  get lines(): string[] {
    return [this.message];
  }
}

const CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: 'usage',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-allowed',
  408: 'timeout',
  409: 'conflict',
  413: 'too-large',
  415: 'unsupported-type',
  503: 'unavailable',
  507: 'disk-full',
};

/** The code an HTTP status stands for, when an answer is known by its status first. */
export function codeOfStatus(status: number): ErrorCode {
  return CODE_OF_STATUS[status] ?? (status >= 500 ? 'internal' : 'usage');
}

/** An HTTP answer other than 2xx, thrown by a handler and answered as {"error", "code", "hint"} with this status. */
export class HttpError extends DeependError {
  constructor(
    status: number,
    message: string,
    headers: Record<string, string> = {},
    body: Record<string, unknown> = {},
  ) {
    super(codeOfStatus(status), message, { httpStatus: status, headers, body });
    this.name = 'HttpError';
  }

  get status(): number {
    return this.httpStatus;
  }
}
