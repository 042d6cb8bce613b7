import type { ErrorObject } from 'ajv';

export type PathSegment = string | number;

export const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
};

/** The value at a path inside parsed YAML/JSON, or undefined. */
export function valueAt(data: unknown, path: PathSegment[]): unknown {
  return path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<PathSegment, unknown>)[k] : undefined),
    data,
  );
}

/**
 * The words for the ajv errors every deepend YAML file shares (unknown key,
 * wrong type, out of range, empty), as [path of the field, message]; undefined
 * for a keyword the caller words itself. `shown` renders the offending value.
 */
export function explainCommon(
  e: ErrorObject,
  path: PathSegment[],
  value: unknown,
  shown: (v: unknown) => string,
): [PathSegment[], string] | undefined {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}).join(', ');
      return [[...path, String(p.additionalProperty)], `unknown key (allowed: ${allowed})`];
    }
    case 'type':
      return [path, `must be ${TYPE_WORDS[String(p.type)] ?? String(p.type)}, got ${shown(value)}`];
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
      return [path, `must be ${String(p.comparison)} ${String(p.limit)}, got ${shown(value)}`];
    case 'minLength':
      return [path, 'must not be empty'];
    default:
      return undefined;
  }
}
