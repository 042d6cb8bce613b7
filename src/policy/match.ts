import { ComputeFacts, GpuFacts } from '../compute/hardware/types';
import { Policy, PolicyMatch, PolicyRule } from './types';

const GB = 1e9;

export interface ConditionResult {
  condition: keyof PolicyMatch;
  ok: boolean;
  /** What was required and what this device has, in words. */
  reason: string;
}

export interface RuleMatch {
  rule: PolicyRule | null;
  index: number;
  /** One line per rule tried: why each earlier rule did not match, why the chosen one did. */
  explanation: string[];
}

function gb(bytes: number): string {
  return `${(bytes / GB).toFixed(2)} GB`;
}

function describeGpu(g: GpuFacts): string {
  return `${g.vendor} ${g.model} (${g.vramBytes === null ? 'VRAM unknown' : gb(g.vramBytes)})`;
}

function sameVendor(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Each condition the rule sets, checked against the facts; none set means the rule matches every device. */
export function checkConditions(match: PolicyMatch, facts: ComputeFacts): ConditionResult[] {
  const results: ConditionResult[] = [];
  const gpuList = facts.gpus.length === 0 ? 'no GPU' : facts.gpus.map(describeGpu).join(', ');
  if (match.gpu !== undefined) {
    const has = facts.gpus.length > 0;
    results.push({
      condition: 'gpu',
      ok: has === match.gpu,
      reason: `${match.gpu ? 'a GPU' : 'no GPU'} required, found ${gpuList}`,
    });
  }
  const ofVendor =
    match.vendor === undefined ? facts.gpus : facts.gpus.filter((g) => sameVendor(g.vendor, match.vendor!));
  if (match.vendor !== undefined) {
    results.push({
      condition: 'vendor',
      ok: ofVendor.length > 0,
      reason: `${match.vendor} GPU required, found ${gpuList}`,
    });
  }
  if (match.minVramGB !== undefined) {
    const need = match.minVramGB * GB;
    const ok = ofVendor.some((g) => g.vramBytes !== null && g.vramBytes >= need);
    const which = match.vendor === undefined ? 'GPU' : `${match.vendor} GPU`;
    results.push({
      condition: 'minVramGB',
      ok,
      reason: `${which} with >= ${match.minVramGB} GB required, found ${gpuList}`,
    });
  }
  if (match.unifiedMemory !== undefined) {
    const ok = facts.unifiedMemory === match.unifiedMemory;
    results.push({
      condition: 'unifiedMemory',
      ok,
      reason: `unified memory ${match.unifiedMemory ? 'required' : 'excluded'}, this device ${facts.unifiedMemory ? 'has it' : 'has none'}`,
    });
  }
  if (match.minCores !== undefined) {
    results.push({
      condition: 'minCores',
      ok: facts.cpu.cores >= match.minCores,
      reason: `>= ${match.minCores} cores required, found ${facts.cpu.cores}`,
    });
  }
  if (match.minMemoryGB !== undefined) {
    const ok = facts.memoryBytes >= match.minMemoryGB * GB;
    results.push({
      condition: 'minMemoryGB',
      ok,
      reason: `>= ${match.minMemoryGB} GB memory required, found ${gb(facts.memoryBytes)}`,
    });
  }
  if (match.backend !== undefined) {
    const allowed = Array.isArray(match.backend) ? match.backend : [match.backend];
    results.push({
      condition: 'backend',
      ok: (allowed as readonly string[]).includes(facts.backend),
      reason: `backend ${allowed.join(' or ')} required, loaded ${facts.backend}`,
    });
  }
  return results;
}

function describeRule(rule: PolicyRule, index: number): string {
  return `rules[${index}] '${rule.name}'`;
}

/** First match wins; the explanation says why every earlier rule was passed over and why this one was taken. */
export function matchRule(policy: Pick<Policy, 'rules'>, facts: ComputeFacts): RuleMatch {
  const explanation: string[] = [];
  for (const [index, rule] of policy.rules.entries()) {
    const results = checkConditions(rule.match, facts);
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0) {
      explanation.push(
        `${describeRule(rule, index)} does not match: ${failed.map((r) => `${r.condition}: ${r.reason}`).join('; ')}`,
      );
      continue;
    }
    const why =
      results.length === 0
        ? 'it has no conditions (matches every device)'
        : results.map((r) => `${r.condition}: ${r.reason}`).join('; ');
    explanation.push(`${describeRule(rule, index)} matches: ${why}`);
    return { rule, index, explanation };
  }
  explanation.push('no rule matches: this device gets no upgrades from this policy');
  return { rule: null, index: -1, explanation };
}
