/*
 * The page: static HTML, CSS and JS from ./static (no build step, nothing
 * fetched from outside; the Content-Security-Policy allows this origin only).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** src/fleet/console/static in the package (this file runs from dist/src/fleet/console/). */
export const STATIC_DIR = resolve(__dirname, '../../../../src/fleet/console/static');

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  '/console.mjs': { file: 'console.mjs', type: 'text/javascript; charset=utf-8' },
  '/charts.mjs': { file: 'charts.mjs', type: 'text/javascript; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

export interface StaticFile {
  body: Buffer;
  type: string;
}

/** Read once at start: a missing file is an installation fault, found then rather than on the first page load. */
export function loadStaticFiles(dir = STATIC_DIR): Map<string, StaticFile> {
  return new Map(
    Object.entries(FILES).map(([path, f]) => [path, { body: readFileSync(resolve(dir, f.file)), type: f.type }]),
  );
}
