/** Small WebGPU helpers the trainer and its tests share: buffers, pipelines made once, readback. */

/** A buffer or a 256-byte-aligned part of one, as a binding. */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** The compute pipeline for this WGSL on this device, compiled once and reused for every shape that shares it. */
export function pipelineFor(device: GPUDevice, code: string): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) {
    cache = new Map();
    pipelines.set(device, cache);
  }
  let pipeline = cache.get(code);
  if (!pipeline) {
    pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
    });
    cache.set(code, pipeline);
  }
  return pipeline;
}

/** Bindings 0..n-1 of group 0, in the order given. */
export function bindGroup(device: GPUDevice, pipeline: GPUComputePipeline, bindings: Binding[]): GPUBindGroup {
  return device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: bindings.map((b, binding) => ({
      binding,
      resource: 'buffer' in b ? { buffer: b.buffer, offset: b.offset, size: b.size } : { buffer: b },
    })),
  });
}

export const STORAGE_USAGE = (): number => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** A storage buffer of `bytes` (rounded up to 16), zero-filled, or holding `data`. */
export function storageBuffer(device: GPUDevice, bytes: number, data?: ArrayBufferView, label?: string): GPUBuffer {
  const size = Math.max(16, Math.ceil(bytes / 16) * 16);
  const buffer = device.createBuffer({ size, usage: STORAGE_USAGE(), label });
  if (data) device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/** A 16-byte-multiple uniform buffer holding `data`. */
export function uniformBuffer(device: GPUDevice, data: ArrayBufferView, label?: string): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buffer = device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label });
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/** Four u32 words as a uniform (the dims blocks of the kernels). */
export function u32Uniform(device: GPUDevice, words: number[], label?: string): GPUBuffer {
  return uniformBuffer(device, Uint32Array.from([...words, 0, 0, 0, 0].slice(0, Math.max(4, words.length))), label);
}

/** Copies `bytes` of a buffer (from `offset`) into a fresh mappable buffer and reads it back as floats. */
export async function readFloats(
  device: GPUDevice,
  source: GPUBuffer,
  bytes: number,
  offset = 0,
): Promise<Float32Array> {
  const size = Math.ceil(bytes / 4) * 4;
  const staging = device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(source, offset, staging, 0, size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out.subarray(0, bytes / 4);
}

/** Runs `fn` and throws the first WebGPU validation or out-of-memory error it caused. */
export async function checked<T>(device: GPUDevice, what: string, fn: () => T): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const result = fn();
  const validation = await device.popErrorScope();
  const memory = await device.popErrorScope();
  const error = validation ?? memory;
  if (error) throw new Error(`${what}: WebGPU ${validation ? 'validation' : 'out-of-memory'} error: ${error.message}`);
  return result;
}

/** One dispatch in its own command buffer (tests and one-off work; the trainer records whole steps). */
export function dispatchOnce(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  bindings: Binding[],
  workgroups: [number, number?, number?],
): void {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup(device, pipeline, bindings));
  pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
  pass.end();
  device.queue.submit([encoder.finish()]);
}
