import type { TrainPlan } from './plan';

/** Where one weight tensor lives inside the flat parameter buffer (and, at the same place, in the gradient and both Adam moments). */
export interface TensorSlot {
  layer: number;
  kind: 'kernel' | 'bias';
  shape: number[];
  /** In floats, a multiple of the device's storage offset alignment. */
  offset: number;
  length: number;
}

export interface ParamLayout {
  slots: TensorSlot[];
  totalFloats: number;
}

/**
 * One flat buffer for every trainable value, in tfjs-layers' getWeights()
 * order (each Dense: kernel [in, units], then bias [units]; each Conv2D:
 * kernel [KH, KW, C, CO], then bias [CO]; pooling has none). Each tensor
 * starts on `alignBytes` (minStorageBufferOffsetAlignment, 256 on most
 * devices) so that it can be bound on its own; the gaps stay zero and Adam
 * leaves zeros alone.
 */
export function paramLayout(plan: TrainPlan, alignBytes = 256): ParamLayout {
  const align = Math.max(1, alignBytes / 4);
  const slots: TensorSlot[] = [];
  let offset = 0;
  const place = (layer: number, kind: TensorSlot['kind'], shape: number[]) => {
    const length = shape.reduce((a, b) => a * b, 1);
    slots.push({ layer, kind, shape, offset, length });
    offset += Math.ceil(length / align) * align;
  };
  plan.layers.forEach((l, i) => {
    if (l.kind === 'maxpool') return;
    if (l.kind === 'dense') place(i, 'kernel', [l.inputs, l.units]);
    else place(i, 'kernel', [l.geometry.KH, l.geometry.KW, l.geometry.C, l.geometry.CO]);
    if (l.bias) place(i, 'bias', [l.kind === 'dense' ? l.units : l.geometry.CO]);
  });
  return { slots, totalFloats: Math.max(offset, align) };
}
