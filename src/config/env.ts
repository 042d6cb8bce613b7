import { configLeaves, Leaf } from './schema';
import { ConfigProblem } from './types';

/** ['http', 'port'] -> DEEPEND_HTTP_PORT, ['deviceId'] -> DEEPEND_DEVICE_ID. */
export function envName(path: string[]): string {
  return `DEEPEND_${path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`;
}

/** Every variable the config reads, with the key it sets (for usage text and docs). */
export function configEnvNames(): { env: string; key: string }[] {
  return configLeaves().map((l) => ({ env: envName(l.path), key: l.path.join('.') }));
}

function coerce(leaf: Leaf, raw: string): unknown {
  if (leaf.type === 'integer') return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (leaf.type === 'string-list')
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return raw;
}

export interface EnvOverlay {
  /** A partial config in the file's shape, to validate with the same schema. */
  values: Record<string, unknown>;
  /** 'http.port' -> 'DEEPEND_HTTP_PORT=abc', to name the variable in problems. */
  sources: Map<string, string>;
}

/**
 * Reads DEEPEND_* variables into a partial config. An empty variable counts as
 * unset. Integers that do not parse are kept as strings so the schema reports
 * them like a bad value in the file.
 */
export function readEnv(env: NodeJS.ProcessEnv): EnvOverlay {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const leaf of configLeaves()) {
    const name = envName(leaf.path);
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    let node = values;
    for (const key of leaf.path.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    node[leaf.path[leaf.path.length - 1]] = coerce(leaf, raw);
    sources.set(leaf.path.join('.'), `${name}=${raw}`);
  }
  return { values, sources };
}

/** Re-labels a problem found in the env overlay with the variable that caused it. */
export function envProblem(overlay: EnvOverlay, p: ConfigProblem): ConfigProblem {
  const key = [...overlay.sources.keys()].find(
    (k) => p.field === k || p.field.startsWith(`${k}[`) || p.field.startsWith(`${k}.`),
  );
  return { ...p, source: key ? overlay.sources.get(key)! : 'environment', line: null };
}
