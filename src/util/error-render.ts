import { DeependError, ERROR_CODES, type ErrorCode, firstLine } from './deepend-error';

/** Any thrown value as the CLI, the HTTP servers, the control socket and MQTT replies show it. */
export interface RenderedError {
  code: ErrorCode;
  message: string;
  hint?: string;
  /** What a command prints: one problem a line, the hint at the end of the last ("...; hint: ..."). */
  lines: string[];
  exitCode: number;
  httpStatus: number;
  headers: Record<string, string>;
  /** The JSON answer: {"error": message, "code", "hint"?, ...more}. */
  body: { error: string; code: ErrorCode; hint?: string; [more: string]: unknown };
}

function withHint(lines: string[], hint: string): string[] {
  return [...lines.slice(0, -1), `${lines[lines.length - 1] ?? ''}; hint: ${hint}`];
}

/**
 * The one place a thrown value becomes what users see. A DeependError keeps its
 * code; anything else is `internal`, shown by its first line (the log keeps the stack).
 */
export function renderError(err: unknown): RenderedError {
  if (err instanceof DeependError) {
    const hint = err.hint;
    return {
      code: err.code,
      message: err.message,
      ...(hint === undefined ? {} : { hint }),
      lines: hint === undefined ? err.lines : withHint(err.lines, hint),
      exitCode: err.exitCode,
      httpStatus: err.httpStatus,
      headers: err.headers,
      body: { ...err.body, error: err.message, code: err.code, ...(hint === undefined ? {} : { hint }) },
    };
  }
  const message = firstLine(err) || 'unknown error';
  return {
    code: 'internal',
    message,
    lines: [message],
    exitCode: ERROR_CODES.internal.exitCode,
    httpStatus: ERROR_CODES.internal.httpStatus,
    headers: {},
    body: { error: message, code: 'internal' },
  };
}
