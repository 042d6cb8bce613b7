import {
  BASELINES,
  BaselineName,
  GROWTH_METHODS,
  GrowthMethod,
  GrowthMethodName,
  METHOD_CHOICES,
  MethodChoice,
} from '../types';
import { continueBaseline, scratchBaseline } from './baselines';
import { dilsMethod } from './dils';
import { identityMethod } from './identity';
import { lookaheadMethod } from './lookahead';
import { morphismMethod } from './morphism';
import { randomMethod } from './random';

const REGISTRY: Partial<Record<GrowthMethodName | BaselineName, GrowthMethod>> = {
  dils: dilsMethod,
  identity: identityMethod,
  lookahead: lookaheadMethod,
  morphism: morphismMethod,
  random: randomMethod,
  scratch: scratchBaseline,
  continue: continueBaseline,
};

/** Checks a method name a user may give: a growth method or 'auto'. */
export function checkMethodChoice(name: string): MethodChoice {
  if (name === 'auto') return name;
  if (!(GROWTH_METHODS as readonly string[]).includes(name))
    throw new Error(`unknown growth method '${name}': use ${METHOD_CHOICES.join(', ')}`);
  return name as GrowthMethodName;
}

/** A growth method or, with `allowBaselines`, a baseline (for benchmarks). */
export function methodByName(name: string, allowBaselines = false): GrowthMethod {
  const known = allowBaselines || (GROWTH_METHODS as readonly string[]).includes(name);
  const method = known ? REGISTRY[name as GrowthMethodName | BaselineName] : undefined;
  if (!method) {
    const names = allowBaselines ? [...GROWTH_METHODS, ...BASELINES] : GROWTH_METHODS;
    throw new Error(`unknown growth method '${name}': use ${names.join(', ')}`);
  }
  return method;
}
