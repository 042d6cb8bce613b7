import type { Block } from '../../model/arch';

/**
 * An imported block is started as the identity only where that is exact: after
 * a ReLU or ReLU6 its input is non-negative, so W = I passes it through its own
 * activation unchanged. After LeakyReLU, ELU, tanh or a BatchNorm, negative
 * values would pass the activation twice.
 */
export function inexactIdentityReason(b: Block): string | undefined {
  if (b.kind === 'res' || !b.keras || b.activation === 'relu' || b.activation === 'relu6') return undefined;
  const last = b.keras.layers[b.keras.layers.length - 1];
  return `identity insertion is exact only after ReLU or ReLU6; the unit of ${b.name} ends in ${last.className}${last.config.activation ? ` (${String(last.config.activation)})` : ''}`;
}
