/*
 * The names of the growth methods and baselines: what a user, a policy rule,
 * a job, a fleet command or the MQTT contract may name. Kept at the bottom,
 * free of imports, so that every layer (policy, jobs, the daemon, the fleet's
 * tools, the CLI) can check a name without importing src/grow, which loads
 * TF.js; src/grow/methods/ has one implementation per name.
 */

export type GrowthMethodName = 'dils' | 'identity' | 'morphism' | 'lookahead' | 'random';
export const GROWTH_METHODS: readonly GrowthMethodName[] = ['dils', 'identity', 'morphism', 'lookahead', 'random'];

export function isGrowthMethod(name: unknown): name is GrowthMethodName {
  return (GROWTH_METHODS as readonly unknown[]).includes(name);
}
/** What a user, a policy rule or a job may ask for: a method, or `auto` (a short trial picks one: grow/auto.ts). */
export type MethodChoice = GrowthMethodName | 'auto';
export const METHOD_CHOICES: readonly MethodChoice[] = [...GROWTH_METHODS, 'auto'];
/** Baselines for every comparison: the target-depth net from random init, and the shallow net trained on. */
export type BaselineName = 'scratch' | 'continue';
export const BASELINES: readonly BaselineName[] = ['scratch', 'continue'];
