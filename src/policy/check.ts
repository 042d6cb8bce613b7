import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { schemaProblems } from './schema-problems';
import { semanticProblems } from './semantic-problems';
import { PolicyProblem, PolicyRule } from './types';
import { readFailureWords } from '../util/read-failure';

export interface PolicyAnalysis {
  problems: PolicyProblem[];
  /** The file's name, when it was readable. */
  name?: string;
  hash?: string;
  /** Set only when there are no problems. */
  rules?: PolicyRule[];
}

function yamlMessage(message: string): string {
  const firstLine = message.split('\n')[0];
  return firstLine.replace(/ at line \d+, column \d+:?$/, '');
}

/** Parses and checks one policy file's bytes; `file` is only used to name it in problems. */
export function analysePolicy(file: string, bytes: Buffer): PolicyAnalysis {
  const hash = createHash('sha256').update(bytes).digest('hex');
  const lines = new LineCounter();
  const doc = parseDocument(bytes.toString('utf8'), { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) {
    // One syntax error tends to set off more on the same line: keep the first per line.
    const problems = doc.errors
      .map((e) => ({ file, line: e.linePos?.[0].line ?? null, field: 'yaml', message: yamlMessage(e.message) }))
      .filter((p, i, all) => all.findIndex((q) => q.line === p.line) === i);
    return { problems, hash };
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined)
    return {
      problems: [{ file, line: 1, field: 'policy', message: "is empty: expected a mapping with 'rules'" }],
      hash,
    };
  const problems = [...schemaProblems(file, data, doc, lines), ...semanticProblems(file, data, doc, lines)].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0),
  );
  const body = data as { name?: string; rules?: PolicyRule[] };
  const name = typeof body.name === 'string' ? body.name : basename(file, extname(file));
  if (problems.length > 0) return { problems, name, hash };
  const rules = body.rules!.map((r) => ({ ...r, match: r.match ?? {} }));
  return { problems, name, hash, rules };
}

/** Reads a policy file and returns every problem in it (empty when it is fine); for `deepend policy check`. */
export function checkPolicy(file: string): PolicyProblem[] {
  return readPolicy(file).problems;
}

export function readPolicy(file: string): PolicyAnalysis {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    return { problems: [{ file, line: null, field: 'file', message: `cannot read: ${readFailureWords(err)}` }] };
  }
  return analysePolicy(file, bytes);
}
