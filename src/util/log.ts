export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A line from another part (the job runner): `msg` and `level` are read from it when present. */
  line(line: object): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function isLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && value in ORDER;
}

function readable(value: unknown): string {
  if (typeof value === 'string') return /\s|=|"/.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value) ?? String(value);
}

function clock(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** An Error field becomes its message, and its stack goes beside it (`error` -> `errorStack`). */
function jsonSafe(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (!(v instanceof Error)) {
      out[k] = v;
      continue;
    }
    out[k] = v.message;
    if (v.stack) out[`${k}Stack`] = v.stack;
  }
  return out;
}

export interface LoggerOptions {
  /** JSON lines (for journald and log shippers) or readable lines (a terminal). Default: JSON unless the stream is a TTY. */
  json?: boolean;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  level?: LogLevel;
  now?: () => Date;
}

/** Logs one line per event to stdout: JSON lines when not a terminal, readable lines on a terminal. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const stream = opts.stream ?? process.stdout;
  const json = opts.json ?? !stream.isTTY;
  const min = ORDER[opts.level ?? 'info'];
  const now = opts.now ?? (() => new Date());
  // A log that cannot be written (full disk, a closed pipe) must not take the daemon down: lines are lost, serving goes on.
  if (
    typeof (stream as NodeJS.EventEmitter).on === 'function' &&
    (stream as NodeJS.EventEmitter).listenerCount('error') === 0
  ) {
    (stream as NodeJS.EventEmitter).on('error', () => undefined);
  }

  function write(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (ORDER[level] < min) return;
    const at = now();
    if (json) {
      stream.write(`${JSON.stringify({ time: at.toISOString(), level, msg, ...jsonSafe(fields) })}\n`);
    } else {
      const extra = Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${readable(v)}`)
        .join(' ');
      stream.write(`${clock(at)} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? `  ${extra}` : ''}\n`);
    }
  }

  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    line(line) {
      const { msg, level, ...fields } = line as LogFields;
      write(isLevel(level) ? level : 'info', typeof msg === 'string' ? msg : 'job', fields);
    },
  };
}
