/*
 * docs/guides/config.example.yaml is the complete, commented config, and the
 * config tables of README.md and docs/design/daemon.md list the same keys as
 * the schema: this test keeps the three from drifting away from src/config/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, defaultConfig, envName, loadConfig } from '../src/config';
import { configLeaves } from '../src/config/schema';

const REPO = resolve(__dirname, '../..');
const EXAMPLE = join(REPO, 'docs/guides/config.example.yaml');
const LEAVES = configLeaves().map((l) => l.path.join('.'));
const ENV_OF = new Map(configLeaves().map((l) => [l.path.join('.'), envName(l.path)]));

/** A key line commented out: `# key: value` or `  # key: value` (prose comments never start with `word:`). */
const COMMENTED_KEY = /^(\s*)# (?=[A-Za-z]\w*:(\s|$))/;

function loadProblems(file: string): string[] {
  try {
    loadConfig({ file, env: {} });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.lines;
    throw err;
  }
}

function keysOf(node: unknown, prefix = ''): string[] {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return [prefix];
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) =>
    keysOf(v, prefix === '' ? k : `${prefix}.${k}`),
  );
}

function valueAt(config: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], config);
}

test('config.example.yaml loads with the real loader as it stands, and states the defaults', () => {
  assert.deepEqual(loadProblems(EXAMPLE), []);
  const { config } = loadConfig({ file: EXAMPLE, env: {} });
  assert.deepEqual(config, defaultConfig(), 'every active line of the example is the default');
});

test('config.example.yaml has every key of the schema (commented-out lines count), each valid and with its variable', (t) => {
  const text = readFileSync(EXAMPLE, 'utf8');
  const uncommented = text
    .split('\n')
    .map((line) => line.replace(COMMENTED_KEY, '$1'))
    .join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'deepend-config-example-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, uncommented);
  const problems = loadProblems(file).map((p) => `with every key uncommented: ${p}`);
  const present = new Set(keysOf(parseYaml(uncommented)));
  for (const key of LEAVES) {
    if (!present.has(key)) problems.push(`config.example.yaml lacks ${key}`);
    else if (!text.includes(ENV_OF.get(key)!))
      problems.push(`config.example.yaml does not name ${key}'s variable ${ENV_OF.get(key)}`);
  }
  assert.deepEqual(problems, []);
});

interface TableRow {
  line: number;
  keys: string[];
  variables: string[];
  defaults: string[];
}

/** The rows `| key(s) | variable(s) | default |` of a file's config table: those whose second cell names DEEPEND_. */
function configTable(file: string): TableRow[] {
  const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  return readFileSync(join(REPO, file), 'utf8')
    .split('\n')
    .map((text, i) => ({ text, line: i + 1 }))
    .filter(({ text }) => /^\| `/.test(text))
    .map(({ text, line }) => ({ line, cells: text.split('|').slice(1, -1) }))
    .filter(({ cells }) => cells.length >= 3 && /DEEPEND_/.test(cells[1]))
    .map(({ line, cells }) => ({
      line,
      keys: ticked(cells[0]),
      variables: ticked(cells[1]).flatMap((v) => v.split(/\s+/)),
      defaults: ticked(cells[2]),
    }));
}

/** Defaults that depend on the machine or the install: the tables describe them in words. */
const DESCRIBED_DEFAULTS = new Set(['home', 'deviceId', 'policy']);

for (const file of ['README.md', 'docs/design/daemon.md']) {
  test(`${file}: its config table lists exactly the schema's keys, with their variables and defaults`, () => {
    const rows = configTable(file);
    assert.ok(rows.length > 0, `${file} has a config table (| \`key\` | \`DEEPEND_...\` | default |)`);
    const problems: string[] = [];
    const listed = new Set<string>();
    const defaults = defaultConfig();
    for (const row of rows) {
      for (const key of row.keys) {
        listed.add(key);
        const env = ENV_OF.get(key);
        if (env === undefined) {
          problems.push(`${file}:${row.line}: ${key} is not a config key`);
          continue;
        }
        const named = row.variables.some((v) => v === env || (v.startsWith('..._') && env.endsWith(v.slice(3))));
        if (!named) problems.push(`${file}:${row.line}: ${key}'s variable ${env} is not in its row`);
        const value = valueAt(defaults, key);
        const checkable = typeof value === 'number' || (typeof value === 'string' && !DESCRIBED_DEFAULTS.has(key));
        if (checkable && !row.defaults.includes(String(value)))
          problems.push(`${file}:${row.line}: ${key}'s default \`${String(value)}\` is not in its row`);
      }
      for (const v of row.variables.filter((x) => x.startsWith('DEEPEND_')))
        if (![...ENV_OF.values()].includes(v)) problems.push(`${file}:${row.line}: ${v} is not a config variable`);
    }
    for (const key of LEAVES) if (!listed.has(key)) problems.push(`${file}: its config table lacks ${key}`);
    assert.deepEqual(problems, []);
  });
}
