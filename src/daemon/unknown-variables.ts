import { BACKEND_ENV } from '../compute/backend';
import { WEBGPU_PROBE_ENV } from '../compute/webgpu/probe';
import { configEnvNames } from '../config';
import { CRASH_ENV } from '../jobs/crash';
import { closestName } from '../util/closest-name';
import { HARDWARE_FIXTURE_ENV } from './hardware-source';
import { PAUSE_ENV } from './start-stages';

/** Every DEEPEND_* variable the daemon reads: the config's, and the few that are not config keys. */
export function knownVariables(): Set<string> {
  return new Set([
    ...configEnvNames().map((n) => n.env),
    BACKEND_ENV,
    WEBGPU_PROBE_ENV,
    HARDWARE_FIXTURE_ENV,
    CRASH_ENV,
    PAUSE_ENV,
  ]);
}

/**
 * The DEEPEND_* variables of `env` the daemon does not read, each with the known one it was probably meant to be:
 * a misspelt DEEPEND_HTTP_PROT would otherwise be ignored without a word, and the port stay the default.
 */
export function unknownVariables(env: NodeJS.ProcessEnv): { name: string; meant?: string }[] {
  const known = knownVariables();
  return Object.keys(env)
    .filter((name) => name.startsWith('DEEPEND_') && !known.has(name))
    .sort()
    .map((name) => {
      const meant = closestName(name, known);
      return meant === undefined ? { name } : { name, meant };
    });
}
