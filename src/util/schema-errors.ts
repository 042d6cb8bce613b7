import type { ErrorObject } from 'ajv';

/*
 * The one translator of ajv errors into words, for every schema deepend checks:
 * the config file, policy files and the fleet contract's messages. Each gives
 * its own SchemaWords (how to show a value, what its patterns mean, the few
 * errors it words its own way); everything else is worded here.
 */

export type PathSegment = string | number;

/** A validator compiled ahead of time (ajv standalone code, `npm run gen:types`): the errors of its last call. */
export type SchemaValidator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

export const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  null: 'null',
};

/** "/rules/0/gate/minGain" (an ajv instancePath) -> ['rules', 0, 'gate', 'minGain']. */
export function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** ['rules', 0, 'gate', 'minGain'] -> "rules[0].gate.minGain"; the empty path is `root`. */
export function fieldName(path: PathSegment[], root: string): string {
  if (path.length === 0) return root;
  return path
    .map((p, i) => {
      if (typeof p === 'number') return `[${p}]`;
      return i === 0 ? p : `.${p}`;
    })
    .join('');
}

/** The value at a path inside parsed YAML/JSON, or undefined. */
export function valueAt(data: unknown, path: PathSegment[]): unknown {
  return path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<PathSegment, unknown>)[k] : undefined),
    data,
  );
}

/** What one schema says in its own words. */
export interface SchemaWords {
  /** Renders an offending value. */
  shown(value: unknown): string;
  /** Renders the value in a wrong-type or not-one-of error (default: shown). */
  shownKind?(value: unknown): string;
  /** How a value must look, by the schema definition (or else the field) whose pattern it fails. */
  patterns?: Readonly<Record<string, string>>;
  /** Words for an error this schema says its own way; undefined: the common words. */
  special?(e: ErrorObject, path: PathSegment[], value: unknown): [PathSegment[], string] | undefined;
}

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

function patternWords(e: ErrorObject, path: PathSegment[], patterns: Readonly<Record<string, string>>): string {
  const definition = /\/definitions\/([^/]+)\//.exec(e.schemaPath)?.[1];
  const field = [...path].reverse().find((s): s is string => typeof s === 'string') ?? '';
  return patterns[definition ?? ''] ?? patterns[field] ?? `like ${String((e.params as { pattern?: unknown }).pattern)}`;
}

/** One ajv error (run with verbose: true) as [path of the field it is about, what is wrong, in words]. */
export function explainSchemaError(e: ErrorObject, data: unknown, words: SchemaWords): [PathSegment[], string] {
  const path = pointerToPath(e.instancePath);
  const value = valueAt(data, path);
  const special = words.special?.(e, path, value);
  if (special) return special;
  const p = e.params as Record<string, unknown>;
  const { shown } = words;
  const kind = words.shownKind ?? shown;
  switch (e.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}).join(', ');
      return [[...path, String(p.additionalProperty)], `unknown key (allowed: ${allowed})`];
    }
    case 'required':
      return [[...path, String(p.missingProperty)], 'is required'];
    case 'type':
      return [path, `must be ${typeWords(p.type)}, got ${kind(value)}`];
    case 'enum':
      return [path, `must be one of ${(p.allowedValues as unknown[]).join(', ')}, got ${kind(value)}`];
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return [path, `must be ${String(p.comparison)} ${String(p.limit)}, got ${shown(value)}`];
    case 'minLength':
      return [path, 'must not be empty'];
    case 'maxLength':
      return [
        path,
        `must be at most ${String(p.limit)} characters, got ${typeof value === 'string' ? value.length : shown(value)}`,
      ];
    case 'pattern':
      return [path, `must be ${patternWords(e, path, words.patterns ?? {})}, got ${shown(value)}`];
    case 'uniqueItems':
      return [path, `lists ${shown(valueAt(data, [...path, Number(p.j)]))} twice`];
    default:
      return [path, e.message ?? e.keyword];
  }
}
