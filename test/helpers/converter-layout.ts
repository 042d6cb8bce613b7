// Writes model directories the way tensorflowjs_converter does (several weight groups, shards cut at byte
// boundaries so that a weight spans two files, uint8/uint16/float16 quantization), independently of
// src/model/formats, so that the reader is checked against the layout rather than against its own writer.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tfl } from '../../src/tf';

export interface NamedArray {
  name: string;
  shape: number[];
  values: Float32Array;
}

export type Quantize = 'uint8' | 'uint16' | 'float16';

export interface ConverterOptions {
  shardBytes: number;
  groups?: number;
  quantize?: Quantize;
  /** undefined: 'layers-model'; null: no format key (converters before 1.3). */
  format?: string | null;
  generatedBy?: string;
  convertedBy?: string;
}

/** Weights in the order and with the names tfjs-layers saves them. */
export function weightsOf(model: tfl.LayersModel): NamedArray[] {
  return model.weights.map((w) => ({
    name: w.originalName,
    shape: [...(w.shape as number[])],
    values: Float32Array.from(w.read().dataSync()),
  }));
}

export function float32ToFloat16(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign | Math.round((mantissa | 0x800000) / 2 ** (14 - exponent));
  if (exponent >= 0x1f) return sign | 0x7c00;
  const rounded = (exponent << 10) + Math.round(mantissa / 0x2000);
  return sign | rounded;
}

interface Encoded {
  bytes: Uint8Array;
  quantization?: { dtype: Quantize; min?: number; scale?: number };
  /** The largest |dequantized - original| this encoding can cause. */
  step: number;
}

function encode(values: Float32Array, quantize?: Quantize): Encoded {
  if (!quantize) return { bytes: new Uint8Array(values.buffer.slice(0)), step: 0 };
  if (quantize === 'float16') {
    const out = new Uint16Array(values.length);
    values.forEach((v, i) => {
      out[i] = float32ToFloat16(v);
    });
    const max = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    return { bytes: new Uint8Array(out.buffer), quantization: { dtype: 'float16' }, step: max * 2 ** -10 };
  }
  const levels = quantize === 'uint8' ? 255 : 65535;
  const min = values.reduce((m, v) => Math.min(m, v), Infinity);
  const max = values.reduce((m, v) => Math.max(m, v), -Infinity);
  const scale = max > min ? (max - min) / levels : 1;
  const q = quantize === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  values.forEach((v, i) => {
    q[i] = Math.min(levels, Math.max(0, Math.round((v - min) / scale)));
  });
  return { bytes: new Uint8Array(q.buffer), quantization: { dtype: quantize, min, scale }, step: scale };
}

export interface WrittenDir {
  dir: string;
  /** Per weight name, the quantization step (0 when stored as float32). */
  steps: Map<string, number>;
  shardFiles: string[];
  /** True when at least one weight's bytes start in one shard and end in the next. */
  spansShards: boolean;
}

export function writeConverterDir(
  dir: string,
  topology: object,
  weights: NamedArray[],
  options: ConverterOptions,
): WrittenDir {
  mkdirSync(dir, { recursive: true });
  const groupCount = Math.min(options.groups ?? 1, Math.max(1, weights.length));
  const perGroup = Math.ceil(weights.length / groupCount);
  const steps = new Map<string, number>();
  const shardFiles: string[] = [];
  let spansShards = false;
  const weightsManifest = [];
  for (let g = 0; g < groupCount; g++) {
    const members = weights.slice(g * perGroup, (g + 1) * perGroup);
    const encoded = members.map((w) => encode(w.values, options.quantize));
    const total = encoded.reduce((s, e) => s + e.bytes.byteLength, 0);
    const data = new Uint8Array(total);
    let offset = 0;
    encoded.forEach((e, i) => {
      data.set(e.bytes, offset);
      const end = offset + e.bytes.byteLength;
      if (
        e.bytes.byteLength > 0 &&
        Math.floor(offset / options.shardBytes) !== Math.floor((end - 1) / options.shardBytes)
      )
        spansShards = true;
      offset = end;
      steps.set(members[i].name, e.step);
    });
    const count = Math.max(1, Math.ceil(total / options.shardBytes));
    const paths: string[] = [];
    for (let s = 0; s < count; s++) {
      const name = `group${g + 1}-shard${s + 1}of${count}.bin`;
      writeFileSync(join(dir, name), data.subarray(s * options.shardBytes, (s + 1) * options.shardBytes));
      paths.push(name);
      shardFiles.push(name);
    }
    const specs = members.map((w, i) => ({
      name: w.name,
      shape: w.shape,
      dtype: 'float32',
      ...(encoded[i].quantization ? { quantization: encoded[i].quantization } : {}),
    }));
    weightsManifest.push({ paths, weights: specs });
  }
  const json: Record<string, unknown> = {
    ...(options.format === null ? {} : { format: options.format ?? 'layers-model' }),
    generatedBy: options.generatedBy ?? 'keras v2.15.0',
    convertedBy: options.convertedBy ?? 'TensorFlow.js Converter v4.22.0',
    modelTopology: topology,
    weightsManifest,
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return { dir, steps, shardFiles, spansShards };
}
