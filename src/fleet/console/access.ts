/*
 * Who may use the console. Bound to loopback it needs no token, but every
 * request must name a loopback Host (a DNS-rebinding page cannot) and every
 * POST must come from the console's own Origin (a page of another origin
 * open in the operator's browser cannot drive the fleet). Bound elsewhere a
 * token is required: `Authorization: Bearer TOKEN`, or `?token=` on the
 * event stream, which an EventSource cannot give a header.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface AccessRules {
  /** Null: no token (loopback only). */
  token: string | null;
  /** True when the server listens on a loopback address. */
  loopback: boolean;
}

export type AccessOutcome = { ok: true } | { ok: false; why: string };

const LOOPBACK_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];

export function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function hostnameOf(hostHeader: string): string {
  return hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0];
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function givenToken(req: IncomingMessage, url: URL, allowQuery: boolean): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  return allowQuery ? url.searchParams.get('token') : null;
}

/** For every request: the Host a browser put there. */
export function checkHost(req: IncomingMessage, rules: AccessRules): AccessOutcome {
  const host = req.headers.host;
  if (!host) return { ok: false, why: 'no Host header' };
  if (rules.loopback && !LOOPBACK_HOSTNAMES.includes(hostnameOf(host).toLowerCase()))
    return { ok: false, why: `Host '${host}' is not this loopback console` };
  return { ok: true };
}

/** For /api/ requests: the token, when one is set. */
export function checkToken(req: IncomingMessage, url: URL, rules: AccessRules): AccessOutcome {
  if (rules.token === null) return { ok: true };
  const given = givenToken(req, url, req.method === 'GET');
  if (given === null) return { ok: false, why: 'the console token is required (Authorization: Bearer TOKEN)' };
  return sameSecret(given, rules.token) ? { ok: true } : { ok: false, why: 'wrong console token' };
}

/** For state-changing requests: the Origin must be this console's own (scheme, host and port of the Host header). */
export function checkOrigin(req: IncomingMessage): AccessOutcome {
  const origin = req.headers.origin;
  if (!origin) return { ok: false, why: 'no Origin header: actions are taken from the console page' };
  if (origin !== `http://${req.headers.host}`) return { ok: false, why: `Origin '${origin}' is not this console's` };
  return { ok: true };
}
