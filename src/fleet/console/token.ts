/* The console's token: read from --token-file, or generated when the console is bound off loopback without one. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../../cli-kit/args';

const MIN_TOKEN_CHARS = 16;

export interface ConsoleToken {
  token: string | null;
  /** True when the console made it: it is printed once, at start. */
  generated: boolean;
}

export function readTokenFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--token-file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN_CHARS || /\s/.test(token))
    throw new UsageError(`--token-file ${file}: the token must be one word of at least ${MIN_TOKEN_CHARS} characters`);
  return token;
}

export function consoleToken(opts: { tokenFile: string | undefined; loopback: boolean }): ConsoleToken {
  if (opts.tokenFile !== undefined) return { token: readTokenFile(opts.tokenFile), generated: false };
  if (opts.loopback) return { token: null, generated: false };
  return { token: randomBytes(24).toString('base64url'), generated: true };
}
