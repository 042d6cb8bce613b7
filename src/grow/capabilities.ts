import { ArchSpec } from '../model/arch';
import { kerasUnitWithPrelu } from '../model/keras/unit-after';
import { inexactIdentityReason } from './methods/identity-exact';
import { GROWTH_METHODS, GrowthMethodName } from './types';
import { seedRefusal } from './seed';

export interface MethodCapability {
  method: GrowthMethodName;
  ok: boolean;
  reason?: string;
}

function morphismReason(spec: ArchSpec): string | undefined {
  for (const b of spec.blocks) {
    if (b.kind === 'res' || !b.keras) continue;
    try {
      kerasUnitWithPrelu(b);
    } catch (err) {
      return (err as Error).message;
    }
  }
  return undefined;
}

/**
 * Which growth methods can grow this architecture, and why not where one cannot (as `deepend inspect` shows it);
 * `seedProblem` is what seedProblem() found in the model itself for a depth-0 head.
 */
export function methodCapabilities(spec: ArchSpec, seedProblem?: string): MethodCapability[] {
  const refusal = seedProblem ?? seedRefusal(spec);
  if (refusal) return GROWTH_METHODS.map((method) => ({ method, ok: false, reason: refusal }));
  return GROWTH_METHODS.map((method) => {
    const reason = whyNot(method, spec);
    return reason ? { method, ok: false, reason } : { method, ok: true };
  });
}

/** Why a method cannot grow this architecture exactly, or undefined when it can. */
function whyNot(method: GrowthMethodName, spec: ArchSpec): string | undefined {
  if (method === 'identity') return spec.blocks.map(inexactIdentityReason).find((r) => r);
  if (method === 'morphism') return morphismReason(spec);
  return undefined;
}
