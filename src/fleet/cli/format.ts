/** Small formatting helpers shared by the fleet subcommands. */

/** `3s ago`, `5m ago`, `2h ago`, `4d ago`; a timestamp ahead of this clock counts as now. */
export function ago(iso: string | null, now: number = Date.now()): string {
  if (iso === null) return '-';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '-';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function accuracyText(a: number | null | undefined): string {
  return a === null || a === undefined ? '-' : `${(a * 100).toFixed(2)}%`;
}

export function orDash(v: string | number | null | undefined): string | number {
  return v === null || v === undefined ? '-' : v;
}

/** HH:MM:SS in local time, for `fleet watch` lines. */
export function clock(d: Date = new Date()): string {
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Job ids are long: the first 8 characters and an ellipsis. */
export function shortId(id: string): string {
  return id.length > 9 ? `${id.slice(0, 8)}…` : id;
}
