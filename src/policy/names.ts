import type { BackendName } from '../compute/backend';
import type { MethodChoice } from '../growth-methods';

/*
 * The names a policy may use. Kept here rather than imported from src/grow
 * and src/compute (both load TF.js) so `deepend policy check` starts fast; the
 * type assertions below stop compiling if a method or backend is added there
 * and not here.
 */

/** `auto` grows identity and, in a pause of its Stage II, tries dils for as many steps; dils replaces it only when
 * surely better on the device's validation data (src/grow/auto.ts). */
export const POLICY_METHODS = [
  'dils',
  'identity',
  'morphism',
  'lookahead',
  'random',
  'auto',
] as const satisfies readonly MethodChoice[];

/** TF.js backends a rule may name; webgpu is the planned next one (docs/ARCHITECTURE.md, decision 1). */
export const POLICY_BACKENDS = ['tensorflow', 'wasm', 'cpu', 'webgpu'] as const;

type Unlisted<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : false;
const everyMethodListed: Unlisted<MethodChoice, (typeof POLICY_METHODS)[number]> = true;
const everyBackendListed: Unlisted<BackendName, (typeof POLICY_BACKENDS)[number]> = true;
void everyMethodListed;
void everyBackendListed;
