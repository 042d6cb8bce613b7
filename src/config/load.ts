import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { MNIST_SOURCE } from '../data/mnist';
import { CONFIG_FILE_NAME, defaultConfig, defaultHome } from './defaults';
import { envName, envProblem, readEnv } from './env';
import { ConfigError } from './errors';
import { configProblems } from './schema-problems';
import { fileReferenceProblems, type WhereSet } from './file-references';
import { valueAt } from '../util/schema-errors';
import { lineOf } from '../util/yaml-lines';
import { Config, ConfigProblem, LoadedConfig } from './types';

export interface LoadConfigOptions {
  /** --config FILE: must exist. Without it, $DEEPEND_HOME/config.yaml is read when present. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Base for relative paths given by environment variables (default process.cwd()). */
  cwd?: string;
  /** Also check the files the config names (the daemon's start: policy, model.path, MQTT TLS files). */
  checkFiles?: boolean;
}

type Partial = Record<string, unknown>;

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

function resolvePath(p: string, base: string): string {
  return resolve(base, expandHome(p));
}

interface FileData {
  data: Partial;
  problems: ConfigProblem[];
  /** The parsed YAML and its line counter, for the line of a key. */
  doc?: { doc: Document; lines: LineCounter };
}

function readFileData(file: string, explicit: boolean): FileData | null {
  if (!existsSync(file)) {
    if (!explicit) return null;
    return { data: {}, problems: [{ source: file, line: null, field: 'file', message: 'cannot read: no such file' }] };
  }
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {
      data: {},
      problems: [{ source: file, line: null, field: 'file', message: `cannot read: ${(err as Error).message}` }],
    };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      source: file,
      line: e.linePos?.[0].line ?? null,
      field: 'yaml',
      message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''),
    }));
    return { data: {}, problems };
  }
  const data: unknown = doc.toJS() ?? {};
  const problems = configProblems(file, data, { doc, lines });
  return { data: problems.length === 0 ? (data as Partial) : {}, problems, doc: { doc, lines } };
}

function merge(base: Partial, over: Partial): Partial {
  const out: Partial = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      b && v && typeof b === 'object' && typeof v === 'object' && !Array.isArray(b) && !Array.isArray(v)
        ? merge(b as Partial, v as Partial)
        : v;
  }
  return out;
}

/** Relative paths in the file are relative to the file; those from the environment to the working directory. */
function resolvePaths(values: Partial, base: string): Partial {
  const out = { ...values };
  if (typeof out.home === 'string') out.home = resolvePath(out.home, base);
  if (typeof out.policy === 'string') out.policy = resolvePath(out.policy, base);
  if (typeof out.data === 'string' && out.data !== MNIST_SOURCE) out.data = resolvePath(out.data, base);
  const model = out.model as Record<string, unknown> | undefined;
  if (model && typeof model.path === 'string') out.model = { ...model, path: resolvePath(model.path, base) };
  if (out.mqtt && typeof out.mqtt === 'object') {
    const mqtt = { ...(out.mqtt as Partial) };
    for (const key of ['ca', 'cert', 'key'])
      if (typeof mqtt[key] === 'string') mqtt[key] = resolvePath(mqtt[key] as string, base);
    out.mqtt = mqtt;
  }
  return out;
}

/**
 * The daemon's configuration: defaults, then the YAML file, then DEEPEND_*
 * variables (env wins). Throws a ConfigError naming file:line and field, or
 * the variable, of every problem.
 */
export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const overlay = readEnv(env);
  const envProblems = configProblems('environment', overlay.values).map((p) => envProblem(overlay, p));

  const envHome = env[envName(['home'])]?.trim();
  const file =
    opts.file !== undefined
      ? resolve(cwd, opts.file)
      : join(envHome ? resolvePath(envHome, cwd) : defaultHome(), CONFIG_FILE_NAME);
  const fromFile = readFileData(file, opts.file !== undefined);
  const problems = [...(fromFile?.problems ?? []), ...envProblems];
  if (problems.length > 0) throw new ConfigError(problems);

  const merged = merge(
    merge(defaultConfig() as unknown as Partial, resolvePaths(fromFile?.data ?? {}, fromFile ? dirname(file) : cwd)),
    resolvePaths(overlay.values, cwd),
  );
  if (opts.checkFiles) {
    const where: WhereSet = (path, field) => {
      if (overlay.sources.has(field)) return { source: overlay.sources.get(field)!, line: null };
      if (fromFile?.doc && valueAt(fromFile.data, path) !== undefined)
        return { source: file, line: lineOf(fromFile.doc.doc, fromFile.doc.lines, path) };
      return null;
    };
    const fileProblems = fileReferenceProblems(merged, where);
    if (fileProblems.length > 0) throw new ConfigError(fileProblems);
  }
  return {
    config: merged as unknown as Config,
    file: fromFile ? file : null,
    fromEnv: [...overlay.sources.values()].map((s) => s.slice(0, s.indexOf('='))),
  };
}
