import { DeependError } from '../../util/deepend-error';

/** The first meaningful line of a message, so that every import error stays one line. */
export function oneLine(text: string): string {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  // tfjs-layers's "Unknown layer: X. This may be due to one of the following reasons:" lists them on the next lines
  return (line ?? 'unknown error')
    .replace(/\s+/g, ' ')
    .replace(/\. This may be due to one of the following reasons:$/, '');
}

export function messageOf(err: unknown): string {
  return oneLine(err instanceof Error ? err.message : String(err));
}

/** `path: problem`, on one line: a model deepend cannot read or use (code `model`). */
export function problem(path: string, message: string): DeependError {
  return new DeependError('model', `${path}: ${oneLine(message)}`);
}
