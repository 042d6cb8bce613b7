import { Binding, bindGroup, checked, pipelineFor, readFloats, storageBuffer, u32Uniform, uniformBuffer } from './gpu';
import { paramLayout, ParamLayout, TensorSlot } from './layout';
import { layerSizes, TrainPlan } from './plan';
import { convFilterGradWgsl, convForwardWgsl, convGeometryWords, convInputGradWgsl } from './wgsl/conv';
import { elementwiseWorkgroups, MAX_POOL_WGSL, maxPoolGradWgsl, PoolGeometry, poolWords } from './wgsl/pool';
import { ADAM_MAX_WORKGROUPS, ADAM_PARAMS_BYTES, ADAM_WGSL } from './wgsl/adam';
import { BIAS_GRAD_WGSL } from './wgsl/bias-grad';
import { matmulWgsl, matmulWorkgroups } from './wgsl/matmul';
import { LOSS_MEAN_WGSL, SOFTMAX_CE_WGSL } from './wgsl/softmax-cross-entropy';

export interface TrainerOptions {
  /** Largest batch a step takes; activation buffers are sized for it. */
  maxBatch: number;
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  /** TF.js's Adam default (the float32 backend epsilon). */
  epsilon?: number;
  /** Read the losses back every this many steps (default 50): one copy and one map per window. */
  lossEvery?: number;
}

/** One recorded dispatch: its pipeline and bind group (made once), and how many workgroups at a given batch. */
interface Dispatch {
  pipeline: GPUComputePipeline;
  group: GPUBindGroup;
  workgroups: (batch: number) => [number, number];
  /** Rewrites its dims uniform for a new batch size (only the batch-dependent ones). */
  resize?: (batch: number) => void;
}

const MAX_PENDING_READBACKS = 2;

/**
 * Trains a classifier (TrainPlan: Dense, Conv2D, max pooling, ReLU) on a WebGPU device with deepend's WGSL
 * kernels. Weights, gradients and Adam's moments live in four flat GPU
 * buffers; pipelines and bind groups are made once, at create(); each step is
 * one command buffer (upload, forward, loss, backward, Adam). The per-step
 * mean losses collect on the GPU and come back asynchronously every
 * `lossEvery` steps, which also bounds how far the CPU runs ahead of the GPU.
 */
export class WebGpuTrainer {
  readonly layout: ParamLayout;
  private readonly buffers: GPUBuffer[] = [];
  private readonly params: GPUBuffer;
  private readonly grads: GPUBuffer;
  private readonly x: GPUBuffer;
  private readonly labels: GPUBuffer;
  private readonly lossLog: GPUBuffer;
  private readonly lossParams: GPUBuffer;
  private readonly adamParams: GPUBuffer;
  private readonly dispatches: Dispatch[] = [];
  private readonly staging: GPUBuffer[] = [];
  private readonly pending: Promise<Float32Array>[] = [];
  private readonly lossValues: number[] = [];
  private batch = -1;
  private stepCount = 0;
  private inWindow = 0;
  private lost: string | undefined;
  private readonly lossEvery: number;
  private readonly lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  private constructor(
    readonly device: GPUDevice,
    readonly plan: TrainPlan,
    weights: Float32Array[],
    readonly options: TrainerOptions,
  ) {
    this.lossEvery = Math.max(1, Math.floor(options.lossEvery ?? 50));
    this.lr = options.learningRate ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.layout = paramLayout(plan, device.limits.minStorageBufferOffsetAlignment);
    if (weights.length !== this.layout.slots.length)
      throw new Error(`expected ${this.layout.slots.length} weight tensors, got ${weights.length}`);
    const flat = new Float32Array(this.layout.totalFloats);
    this.layout.slots.forEach((s, i) => {
      if (weights[i].length !== s.length)
        throw new Error(
          `weight ${i} (layer ${plan.layers[s.layer].name} ${s.kind}) has ${weights[i].length} values, expected ${s.length}`,
        );
      flat.set(weights[i], s.offset);
    });
    const bytes = this.layout.totalFloats * 4;
    const B = options.maxBatch;
    this.params = this.own(storageBuffer(device, bytes, flat, 'params'));
    this.grads = this.own(storageBuffer(device, bytes, undefined, 'grads'));
    const m = this.own(storageBuffer(device, bytes, undefined, 'adam-m'));
    const v = this.own(storageBuffer(device, bytes, undefined, 'adam-v'));
    this.x = this.own(storageBuffer(device, B * plan.inputSize * 4, undefined, 'x'));
    this.labels = this.own(storageBuffer(device, B * 4, undefined, 'labels'));
    const acts = plan.layers.map((l) =>
      this.own(storageBuffer(device, B * layerSizes(l).out * 4, undefined, `act-${l.name}`)),
    );
    const deltas = plan.layers.map((l) =>
      this.own(storageBuffer(device, B * layerSizes(l).out * 4, undefined, `delta-${l.name}`)),
    );
    const rowLoss = this.own(storageBuffer(device, B * 4, undefined, 'row-loss'));
    this.lossLog = this.own(storageBuffer(device, this.lossEvery * 4, undefined, 'loss-log'));
    this.lossParams = this.own(u32Uniform(device, [B, 0]));
    this.adamParams = this.own(uniformBuffer(device, new Uint8Array(ADAM_PARAMS_BYTES)));

    const slot = (layer: number, kind: TensorSlot['kind'], buffer: GPUBuffer): Binding | undefined => {
      const s = this.layout.slots.find((t) => t.layer === layer && t.kind === kind);
      return s ? { buffer, offset: s.offset * 4, size: s.length * 4 } : undefined;
    };
    const L = plan.layers.length;
    const input = (l: number) => (l === 0 ? this.x : acts[l - 1]);
    // The ReLU mask the gradient into layer l's input passes through: the output of layer l-1 when it has a ReLU.
    const maskBelow = (l: number): GPUBuffer | undefined => {
      const below = plan.layers[l - 1];
      return below && below.kind !== 'maxpool' && below.relu ? acts[l - 1] : undefined;
    };
    // Whether anything below layer l has weights (else its input gradient is never needed).
    const trainsBelow = (l: number) => plan.layers.slice(0, l).some((b) => b.kind !== 'maxpool');
    const argmax = plan.layers.map((layer, l) =>
      layer.kind === 'maxpool'
        ? this.own(storageBuffer(device, B * layerSizes(layer).out * 4, undefined, `argmax-${l}`))
        : undefined,
    );

    // Forward: act[l] = relu?(layer(input(l))); the last layer's act holds the class scores.
    plan.layers.forEach((layer, l) => {
      if (layer.kind === 'dense') {
        const bias = slot(l, 'bias', this.params);
        this.gemm(
          matmulWgsl({ transA: false, transB: false, bias: bias !== undefined, relu: layer.relu, reluMask: false }),
          (b) => [b, layer.units, layer.inputs],
          [input(l), slot(l, 'kernel', this.params)!, acts[l], ...(bias ? [bias] : [])],
        );
      } else if (layer.kind === 'conv') {
        const g = layer.geometry;
        const geo = this.own(uniformBuffer(device, convGeometryWords(g)));
        const bias = slot(l, 'bias', this.params);
        this.gemm(
          convForwardWgsl({ bias: bias !== undefined, relu: layer.relu }),
          (b) => [b * g.OH * g.OW, g.CO, g.KH * g.KW * g.C],
          [input(l), slot(l, 'kernel', this.params)!, acts[l], ...(bias ? [bias] : []), geo],
        );
      } else {
        this.pool(MAX_POOL_WGSL, layer.geometry, (b) => b * layerSizes(layer).out, [input(l), acts[l], argmax[l]!]);
      }
    });
    // Loss and dL/dscores, then the batch mean into lossLog[slot].
    const ceParams = this.own(u32Uniform(device, [B, plan.classes, plan.output === 'softmax' ? 1 : 0]));
    this.add(
      SOFTMAX_CE_WGSL,
      [ceParams, acts[L - 1], this.labels, deltas[L - 1], rowLoss],
      (b) => [Math.ceil(b / 64), 1],
      (b) =>
        device.queue.writeBuffer(
          ceParams,
          0,
          Uint32Array.from([b, plan.classes, plan.output === 'softmax' ? 1 : 0, 0]),
        ),
    );
    this.add(LOSS_MEAN_WGSL, [this.lossParams, rowLoss, this.lossLog], () => [1, 1]);
    // Backward: delta[l] is the gradient at layer l's output before its ReLU (already masked).
    for (let l = L - 1; l >= 0; l--) {
      const layer = plan.layers[l];
      const mask = maskBelow(l);
      const needInputGrad = l > 0 && trainsBelow(l);
      if (layer.kind === 'maxpool') {
        if (needInputGrad)
          this.pool(maxPoolGradWgsl(mask !== undefined), layer.geometry, (b) => b * layerSizes(layer).in, [
            deltas[l],
            argmax[l]!,
            deltas[l - 1],
            ...(mask ? [mask] : []),
          ]);
        continue;
      }
      const rows = (b: number) => (layer.kind === 'dense' ? b : b * layer.geometry.OH * layer.geometry.OW);
      const units = layer.kind === 'dense' ? layer.units : layer.geometry.CO;
      if (layer.kind === 'dense') {
        // dW = input^T delta; delta[l-1] = (delta W^T) masked.
        this.gemm(
          matmulWgsl({ transA: true, transB: false, bias: false, relu: false, reluMask: false }),
          (b) => [layer.inputs, layer.units, b],
          [input(l), deltas[l], slot(l, 'kernel', this.grads)!],
        );
        if (needInputGrad)
          this.gemm(
            matmulWgsl({ transA: false, transB: true, bias: false, relu: false, reluMask: mask !== undefined }),
            (b) => [b, layer.inputs, layer.units],
            [deltas[l], slot(l, 'kernel', this.params)!, deltas[l - 1], ...(mask ? [mask] : [])],
          );
      } else {
        const g = layer.geometry;
        const geo = this.own(uniformBuffer(device, convGeometryWords(g)));
        this.gemm(convFilterGradWgsl(), (b) => [g.KH * g.KW * g.C, g.CO, b * g.OH * g.OW], [
          input(l),
          deltas[l],
          slot(l, 'kernel', this.grads)!,
          geo,
        ]);
        if (needInputGrad)
          this.gemm(convInputGradWgsl(mask !== undefined), (b) => [b * g.H * g.W, g.C, g.KH * g.KW * g.CO], [
            deltas[l],
            slot(l, 'kernel', this.params)!,
            deltas[l - 1],
            ...(mask ? [mask] : []),
            geo,
          ]);
      }
      // db = column sums of delta over every row (batch x output pixels).
      const db = slot(l, 'bias', this.grads);
      if (db) {
        const dims = this.own(u32Uniform(device, [rows(B), units]));
        this.add(
          BIAS_GRAD_WGSL,
          [dims, deltas[l], db],
          () => [Math.ceil(units / 64), 1],
          (b) => device.queue.writeBuffer(dims, 0, Uint32Array.from([rows(b), units, 0, 0])),
        );
      }
    }
    // Adam over the whole parameter buffer.
    const count = this.layout.totalFloats;
    this.add(ADAM_WGSL, [this.adamParams, this.params, this.grads, m, v], () => [
      Math.min(ADAM_MAX_WORKGROUPS, Math.ceil(count / 256)),
      1,
    ]);
    device.lost.then((info) => {
      this.lost = `the WebGPU device was lost (${info.reason}): ${info.message}`;
    });
  }

  /** Builds every buffer, pipeline and bind group for `plan`; `weights` in tfjs-layers getWeights() order. */
  static async create(
    device: GPUDevice,
    plan: TrainPlan,
    weights: Float32Array[],
    options: TrainerOptions,
  ): Promise<WebGpuTrainer> {
    return checked(device, 'setting up the WebGPU trainer', () => new WebGpuTrainer(device, plan, weights, options));
  }

  get steps(): number {
    return this.stepCount;
  }

  private own(buffer: GPUBuffer): GPUBuffer {
    this.buffers.push(buffer);
    return buffer;
  }

  private add(
    code: string,
    bindings: Binding[],
    workgroups: Dispatch['workgroups'],
    resize?: Dispatch['resize'],
  ): void {
    const pipeline = pipelineFor(this.device, code);
    this.dispatches.push({ pipeline, group: bindGroup(this.device, pipeline, bindings), workgroups, resize });
  }

  /** A GEMM dispatch (dense or implicit-GEMM conv) whose dims [M, N, K] follow the batch size. */
  private gemm(code: string, dims: (batch: number) => [number, number, number], bindings: Binding[]): void {
    const uniform = this.own(u32Uniform(this.device, dims(this.options.maxBatch)));
    this.add(
      code,
      [uniform, ...bindings],
      (b) => {
        const [M, N] = dims(b);
        return matmulWorkgroups(M, N);
      },
      (b) => this.device.queue.writeBuffer(uniform, 0, Uint32Array.from([...dims(b), 0])),
    );
  }

  /** An elementwise pooling dispatch over `count(batch)` elements. */
  private pool(code: string, g: PoolGeometry, count: (batch: number) => number, bindings: Binding[]): void {
    const uniform = this.own(uniformBuffer(this.device, poolWords(g, count(this.options.maxBatch))));
    this.add(
      code,
      [uniform, ...bindings],
      (b) => elementwiseWorkgroups(count(b)),
      (b) => this.device.queue.writeBuffer(uniform, 0, poolWords(g, count(b))),
    );
  }

  /**
   * One training step on `batch` samples: x is [batch, inputSize] row-major,
   * labels are class ids. Submits one command buffer; waits only when more
   * than two loss readbacks are still in flight.
   */
  async step(x: Float32Array, labels: Uint32Array, batch: number, learningRate = this.lr): Promise<void> {
    if (this.lost) throw new Error(this.lost);
    const { device, plan } = this;
    if (batch < 1 || batch > this.options.maxBatch)
      throw new Error(`batch ${batch} is outside 1..${this.options.maxBatch}`);
    if (x.length < batch * plan.inputSize || labels.length < batch)
      throw new Error('x or labels hold fewer samples than the batch');
    if (batch !== this.batch) {
      for (const d of this.dispatches) d.resize?.(batch);
      this.batch = batch;
    }
    const t = this.stepCount + 1;
    device.queue.writeBuffer(this.x, 0, x.buffer, x.byteOffset, batch * plan.inputSize * 4);
    device.queue.writeBuffer(this.labels, 0, labels.buffer, labels.byteOffset, batch * 4);
    device.queue.writeBuffer(this.lossParams, 0, Uint32Array.from([batch, this.inWindow, 0, 0]));
    const adam = new ArrayBuffer(ADAM_PARAMS_BYTES);
    new Uint32Array(adam, 0, 4).set([this.layout.totalFloats]);
    new Float32Array(adam, 16, 6).set([
      learningRate,
      this.beta1,
      this.beta2,
      this.epsilon,
      1 - this.beta1 ** t,
      1 - this.beta2 ** t,
    ]);
    device.queue.writeBuffer(this.adamParams, 0, adam);
    if (this.inWindow === 0) {
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
    }
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (const d of this.dispatches) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.group);
      const [wx, wy] = d.workgroups(batch);
      pass.dispatchWorkgroups(wx, wy);
    }
    pass.end();
    this.stepCount++;
    this.inWindow++;
    const full = this.inWindow === this.lossEvery;
    const staging = full ? this.copyLosses(encoder) : undefined;
    device.queue.submit([encoder.finish()]);
    if (staging) await this.startReadback(staging, this.lossEvery);
  }

  private copyLosses(encoder: GPUCommandEncoder): GPUBuffer {
    const size = this.lossEvery * 4;
    const staging =
      this.staging.pop() ??
      this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.copyBufferToBuffer(this.lossLog, 0, staging, 0, size);
    return staging;
  }

  private async startReadback(staging: GPUBuffer, count: number): Promise<void> {
    this.inWindow = 0;
    const validation = this.device.popErrorScope();
    const memory = this.device.popErrorScope();
    this.pending.push(
      (async () => {
        const [v, m] = await Promise.all([validation, memory]);
        if (v || m) throw new Error(`a training step failed on the GPU: ${(v ?? m)!.message}`);
        await staging.mapAsync(GPUMapMode.READ);
        const values = new Float32Array(staging.getMappedRange().slice(0, count * 4));
        staging.unmap();
        this.staging.push(staging);
        return values;
      })(),
    );
    while (this.pending.length > MAX_PENDING_READBACKS) this.collect(await this.pending.shift()!);
  }

  private collect(values: Float32Array): void {
    for (const v of values) this.lossValues.push(v);
  }

  /** Waits for every submitted step and returns the mean loss of each step so far, in order. */
  async losses(): Promise<number[]> {
    if (this.inWindow > 0) {
      const encoder = this.device.createCommandEncoder();
      const count = this.inWindow;
      const staging = this.copyLosses(encoder);
      this.device.queue.submit([encoder.finish()]);
      await this.startReadback(staging, count);
    }
    while (this.pending.length > 0) this.collect(await this.pending.shift()!);
    return [...this.lossValues];
  }

  private async readSlots(buffer: GPUBuffer): Promise<Float32Array[]> {
    const all = await readFloats(this.device, buffer, this.layout.totalFloats * 4);
    return this.layout.slots.map((s) => all.slice(s.offset, s.offset + s.length));
  }

  /** The trained weights, in tfjs-layers getWeights() order (kernel [in, units], then bias, per Dense). */
  async readWeights(): Promise<Float32Array[]> {
    await this.losses();
    return this.readSlots(this.params);
  }

  /** The last step's gradients, in the same order (for tests and diagnostics). */
  async readGradients(): Promise<Float32Array[]> {
    await this.losses();
    return this.readSlots(this.grads);
  }

  /** Frees every GPU buffer this trainer made (the device stays the caller's). */
  destroy(): void {
    for (const b of [...this.buffers, ...this.staging]) b.destroy();
    this.buffers.length = 0;
    this.staging.length = 0;
  }
}
