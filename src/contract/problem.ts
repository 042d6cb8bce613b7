import type { ErrorObject } from 'ajv';
import { fieldName, pointerToPath, PathSegment } from '../policy/positions';
import { explainCommon, TYPE_WORDS, valueAt } from '../util/schema-words';

/**
 * How a value must look, by the schema definition (or, for an inline pattern,
 * the field) whose pattern it fails. Lengths are checked before patterns, so
 * these need not repeat them.
 */
const PATTERN_WORDS: Record<string, string> = {
  ts: 'an RFC 3339 date-time like 2025-01-31T12:00:00.000Z',
  commandId: "letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
  rolloutId: "letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
  jobId: "letters, digits, '.', '_' or '-', starting with a letter or digit (it is part of MQTT topics)",
  name: "letters, digits, '.', '_' or '-', starting with a letter or digit (it is part of MQTT topics)",
  sha256: '64 lowercase hex digits',
  fingerprint: '64 lowercase hex digits, or empty when not known',
  hash: '64 lowercase hex digits, or empty when not known',
  source: "'device' or 'group:GROUP'",
  predictUrl: 'an http:// or https:// URL',
};

const SHOWN_CHARS = 40;

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
}

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => (t === 'null' ? 'null' : (TYPE_WORDS[String(t)] ?? String(t)))).join(' or ');
}

function patternWords(e: ErrorObject, path: PathSegment[]): string {
  const definition = /\/definitions\/([^/]+)\//.exec(e.schemaPath)?.[1];
  const field = [...path].reverse().find((s): s is string => typeof s === 'string') ?? '';
  return (
    PATTERN_WORDS[definition ?? ''] ??
    PATTERN_WORDS[field] ??
    `like ${String((e.params as { pattern?: unknown }).pattern)}`
  );
}

function explain(e: ErrorObject, data: unknown): [PathSegment[], string] {
  const path = pointerToPath(e.instancePath);
  const value = valueAt(data, path);
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'type') return [path, `must be ${typeWords(p.type)}, got ${shown(value)}`];
  const common = explainCommon(e, path, value, shown);
  if (common) return common;
  switch (e.keyword) {
    case 'required':
      // The reply schema's if/then: a refusal must say why.
      return [
        [...path, String(p.missingProperty)],
        e.schemaPath.includes('/then/') ? 'is required when ok is false' : 'is required',
      ];
    case 'enum':
      return [path, `must be one of ${(p.allowedValues as unknown[]).join(', ')}, got ${shown(value)}`];
    case 'maxLength':
      return [
        path,
        `must be at most ${String(p.limit)} characters, got ${typeof value === 'string' ? value.length : shown(value)}`,
      ];
    case 'pattern':
      return [path, `must be ${patternWords(e, path)}, got ${shown(value)}`];
    case 'uniqueItems':
      return [path, `lists ${shown(valueAt(data, [...path, Number(p.j)]))} twice`];
    default:
      return [path, e.message ?? e.keyword];
  }
}

const MAX_PROBLEM_CHARS = 300;

/** One ajv error as one line, "FIELD: what is wrong"; the message itself is `payload`. */
export function schemaProblem(e: ErrorObject, data: unknown): string {
  const [path, message] = explain(e, data);
  const line = `${path.length === 0 ? 'payload' : fieldName(path)}: ${message}`.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return line.length > MAX_PROBLEM_CHARS ? `${line.slice(0, MAX_PROBLEM_CHARS - 1)}…` : line;
}
