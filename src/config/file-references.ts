/*
 * The files a daemon's config names, checked before the daemon starts: the policy, the user's model
 * (model.path) and the MQTT TLS files. Each problem is reported where the value was set (file:line, or the
 * DEEPEND_* variable), all of them at once, as the schema's problems are; the stages that use the files
 * later keep their own checks.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { readFailureWords } from '../util/read-failure';
import type { PathSegment } from '../util/schema-errors';
import type { ConfigProblem } from './types';

/** Where a config value was set: the problem's source and line for the field at `path`. */
export type WhereSet = (path: PathSegment[], field: string) => Pick<ConfigProblem, 'source' | 'line'> | null;

/** Why `path` cannot be read as a file, or null when it can. */
function unreadableFile(path: string): string | null {
  try {
    if (statSync(path).isDirectory()) return 'is a directory';
    accessSync(path, constants.R_OK);
    return null;
  } catch (err) {
    return readFailureWords(err);
  }
}

interface Referenced {
  policy?: string;
  model?: { path?: string };
  mqtt?: { ca?: string; cert?: string; key?: string };
}

/** Every problem with the files `config` (paths resolved) names; `where` says where each value was set. */
export function fileReferenceProblems(config: Referenced, where: WhereSet): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: PathSegment[], message: string) => {
    const field = path.join('.');
    const at = where(path, field);
    // a value nobody set (a default) is the package's own: its checks belong to the stage that uses it
    if (at) problems.push({ ...at, field, message });
  };
  if (config.policy !== undefined) {
    const why = unreadableFile(config.policy);
    if (why) add(['policy'], `cannot read ${config.policy}: ${why}`);
  }
  const modelPath = config.model?.path;
  if (modelPath !== undefined && !existsSync(modelPath)) add(['model', 'path'], `${modelPath}: not found`);
  const mqtt = config.mqtt ?? {};
  for (const key of ['ca', 'cert', 'key'] as const) {
    const path = mqtt[key];
    if (path === undefined) continue;
    const why = unreadableFile(path);
    if (why) add(['mqtt', key], `cannot read ${path}: ${why}`);
  }
  if ((mqtt.cert === undefined) !== (mqtt.key === undefined)) {
    const [set, missing] = mqtt.cert === undefined ? ['key', 'cert'] : ['cert', 'key'];
    add(['mqtt', set], `mqtt.${missing} is missing: a client certificate needs both mqtt.cert and mqtt.key`);
  }
  // the file's problems in line order, then the variables'
  return problems.sort(
    (a, b) => (a.line === null ? 1 : 0) - (b.line === null ? 1 : 0) || (a.line ?? 0) - (b.line ?? 0),
  );
}
