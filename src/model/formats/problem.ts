/** The first meaningful line of a message, so that every import error stays one line. */
export function oneLine(text: string): string {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return (line ?? 'unknown error').replace(/\s+/g, ' ');
}

export function messageOf(err: unknown): string {
  return oneLine(err instanceof Error ? err.message : String(err));
}

/** `path: problem`, on one line. */
export function problem(path: string, message: string): Error {
  return new Error(`${path}: ${oneLine(message)}`);
}
