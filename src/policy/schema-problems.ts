import type { ErrorObject } from 'ajv';
import { Document, LineCounter } from 'yaml';
import {
  explainSchemaError,
  fieldName,
  type PathSegment,
  type SchemaValidator,
  type SchemaWords,
} from '../util/schema-errors';
import { lineOf } from '../util/yaml-lines';
import { POLICY_BACKENDS } from './names';
import { validatePolicy } from './generated-validator';
import { PolicyProblem } from './types';

// POLICY_SCHEMA compiled ahead of time by `npm run gen:types` (scripts/lib/schema-validators.ts).
const validator: SchemaValidator = validatePolicy;

function validate(data: unknown): ErrorObject[] {
  return validator(data) ? [] : (validator.errors ?? []);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string '${value}'`;
  return `${typeof value} ${String(value)}`;
}

/** The errors only a policy has: a budget or rule list left empty, a backend that is neither a name nor a list. */
function policySpecial(e: ErrorObject, path: PathSegment[], value: unknown): [PathSegment[], string] | undefined {
  const last = path[path.length - 1];
  switch (e.keyword) {
    case 'minProperties':
      return [path, last === 'budget' ? 'needs epochs or minutes (or both)' : 'must not be empty'];
    case 'minItems':
      return [path, last === 'rules' ? 'must list at least one rule' : 'must not be an empty list'];
    case 'anyOf':
      return [path, `must be one of ${POLICY_BACKENDS.join(', ')} or a list of them, got ${describe(value)}`];
    default:
      return undefined;
  }
}

// Policy ranges have always shown the bare value ("got 0"), other values in words.
const POLICY_WORDS: SchemaWords = { shown: String, shownKind: describe, special: policySpecial };

/**
 * An anyOf (the backend name or list) fails with one error per branch plus its
 * own. Keep the errors about an element inside it (a bad name in the list) if
 * there are any, else only the anyOf's own message.
 */
function withoutBranchNoise(errors: ErrorObject[]): ErrorObject[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const deeper = (path: string) => errors.some((e) => e.instancePath.startsWith(`${path}/`));
  return errors.filter((e) => {
    if (e.keyword === 'anyOf') return !deeper(e.instancePath);
    return !(e.schemaPath.includes('/anyOf/') && anyOfPaths.has(e.instancePath));
  });
}

/** Schema problems with file, line and field, in the order ajv found them. */
export function schemaProblems(file: string, data: unknown, doc: Document, lines: LineCounter): PolicyProblem[] {
  const kept = withoutBranchNoise(validate(data));
  const seen = new Set<string>();
  const problems: PolicyProblem[] = [];
  for (const e of kept) {
    const [path, message] = explainSchemaError(e, data, POLICY_WORDS);
    const field = fieldName(path, 'policy');
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ file, line: lineOf(doc, lines, path), field, message });
  }
  return problems;
}
