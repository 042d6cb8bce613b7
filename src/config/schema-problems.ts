import { validate as validCron } from 'node-cron';
import { Document, LineCounter } from 'yaml';
import {
  explainSchemaError,
  fieldName,
  type PathSegment,
  type SchemaValidator,
  type SchemaWords,
  valueAt,
} from '../util/schema-errors';
import { lineOf } from '../util/yaml-lines';
import { validateConfig } from './generated-validator';
import { ConfigProblem } from './types';

// CONFIG_SCHEMA compiled ahead of time by `npm run gen:types` (scripts/lib/schema-validators.ts).
const validator: SchemaValidator = validateConfig;

const PATTERN_WORDS: Record<string, string> = {
  deviceId: 'letters, digits, ".", "_" or "-" (it is part of MQTT topics)',
  fleet: 'letters, digits, ".", "_" or "-" (it is part of MQTT topics)',
  name: 'letters, digits, ".", "_" or "-" (it is a directory name)',
  groups: 'letters, digits, ".", "_" or "-"',
  url: 'a URL starting with mqtt://, mqtts://, ws://, wss://, tcp:// or tls://',
};

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

const CONFIG_WORDS: SchemaWords = { shown, patterns: PATTERN_WORDS };

/**
 * Schema problems of one partial config (the file's, or the one the
 * environment gives), plus the check the schema cannot make: detect.cron
 * must be a cron expression. `doc` gives line numbers when there is a file.
 */
export function configProblems(
  source: string,
  data: unknown,
  doc?: { doc: Document; lines: LineCounter },
): ConfigProblem[] {
  const errors = validator(data) ? [] : (validator.errors ?? []);
  const at = (path: PathSegment[]) => (doc ? lineOf(doc.doc, doc.lines, path) : null);
  const problems = errors.map((e) => {
    const [path, message] = explainSchemaError(e, data, CONFIG_WORDS);
    return { source, line: at(path), field: fieldName(path, 'config'), message };
  });
  const cron = valueAt(data, ['detect', 'cron']);
  if (typeof cron === 'string' && cron.trim() !== '' && !validCron(cron)) {
    problems.push({
      source,
      line: at(['detect', 'cron']),
      field: 'detect.cron',
      message: `'${cron}' is not a cron expression; use [second] minute hour day-of-month month day-of-week`,
    });
  }
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
