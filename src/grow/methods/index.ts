import { GROWTH_METHODS, GrowthMethod, GrowthMethodName } from '../types';
import { identityMethod } from './identity';
import { lookaheadMethod } from './lookahead';
import { randomMethod } from './random';

const REGISTRY: Partial<Record<GrowthMethodName, GrowthMethod>> = {
  identity: identityMethod,
  lookahead: lookaheadMethod,
  random: randomMethod,
};

export function methodByName(name: string): GrowthMethod {
  const method = REGISTRY[name as GrowthMethodName];
  if (!method) throw new Error(`unknown growth method '${name}': use ${GROWTH_METHODS.join(', ')}`);
  return method;
}
