import type { ErrorObject } from 'ajv';
import { explainSchemaError, fieldName, type PathSegment, type SchemaWords } from '../util/schema-errors';

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

/** The reply schema's if/then: a refusal must say why. */
function contractSpecial(e: ErrorObject, path: PathSegment[]): [PathSegment[], string] | undefined {
  if (e.keyword !== 'required' || !e.schemaPath.includes('/then/')) return undefined;
  return [
    [...path, String((e.params as { missingProperty?: unknown }).missingProperty)],
    'is required when ok is false',
  ];
}

const CONTRACT_WORDS: SchemaWords = { shown, patterns: PATTERN_WORDS, special: contractSpecial };

const MAX_PROBLEM_CHARS = 300;

/** One ajv error as one line, "FIELD: what is wrong"; the message itself is `payload`. */
export function schemaProblem(e: ErrorObject, data: unknown): string {
  const [path, message] = explainSchemaError(e, data, CONTRACT_WORDS);
  const line = `${fieldName(path, 'payload')}: ${message}`.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return line.length > MAX_PROBLEM_CHARS ? `${line.slice(0, MAX_PROBLEM_CHARS - 1)}…` : line;
}
