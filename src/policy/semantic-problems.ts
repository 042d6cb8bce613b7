import { validateDetailed } from 'node-cron';
import { Document, LineCounter } from 'yaml';
import { lineOf } from '../util/yaml-lines';
import { PolicyProblem } from './types';

interface RuleLike {
  name?: unknown;
  targetDepth?: unknown;
  blocksMore?: unknown;
  match?: unknown;
  window?: unknown;
}

/** Why a window is not a cron expression, or undefined when it is one. */
function cronProblem(window: string): string | undefined {
  const result = validateDetailed(window);
  if (result.valid) return undefined;
  const why = result.errors
    .map((e) => (e.field === 'expression' ? e.message : `${e.field} '${e.value ?? ''}' is out of range`))
    .join('; ');
  return `'${window}' is not a cron expression (${why || 'unparseable'}); use [second] minute hour day-of-month month day-of-week`;
}

function isEmptyMatch(match: unknown): boolean {
  return (
    match === undefined ||
    (match !== null && typeof match === 'object' && !Array.isArray(match) && Object.keys(match).length === 0)
  );
}

/**
 * Checks the schema cannot express: cron windows that do not parse, rule names
 * used twice (explanations and job records name rules), and rules that can
 * never be reached because an earlier rule matches every device.
 */
export function semanticProblems(file: string, data: unknown, doc: Document, lines: LineCounter): PolicyProblem[] {
  const rules = (data as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules)) return [];
  const problems: PolicyProblem[] = [];
  const at = (i: number, ...rest: string[]) => ({
    file,
    line: lineOf(doc, lines, ['rules', i, ...rest]),
    field: [`rules[${i}]`, ...rest].join('.'),
  });
  const firstByName = new Map<string, number>();
  let catchAll: number | undefined;
  rules.forEach((value: unknown, i) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const rule = value as RuleLike;
    const depths = [rule.targetDepth, rule.blocksMore].filter((v) => v !== undefined).length;
    if (depths !== 1)
      problems.push({
        ...at(i),
        message:
          depths === 0
            ? 'needs targetDepth (a depth) or blocksMore (blocks more than the imported model)'
            : 'gives both targetDepth and blocksMore: keep one',
      });
    const cronError =
      typeof rule.window === 'string' && rule.window.trim() !== '' ? cronProblem(rule.window) : undefined;
    if (cronError) problems.push({ ...at(i, 'window'), message: cronError });
    if (typeof rule.name === 'string') {
      const first = firstByName.get(rule.name);
      if (first === undefined) firstByName.set(rule.name, i);
      else
        problems.push({
          ...at(i, 'name'),
          message: `'${rule.name}' is already the name of rules[${first}] (line ${lineOf(doc, lines, ['rules', first, 'name'])})`,
        });
    }
    if (catchAll !== undefined) {
      problems.push({
        ...at(i),
        message: `can never match: rules[${catchAll}] (line ${lineOf(doc, lines, ['rules', catchAll])}) has no conditions and matches every device first`,
      });
    } else if (isEmptyMatch(rule.match)) {
      catchAll = i;
    }
  });
  return problems;
}
