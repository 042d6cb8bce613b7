import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, tfl } from '../src/tf';
import { selectBackend } from '../src/compute/backend';
import { mulberry32 } from '../src/data/random';
import { registerWasmTrainingKernels, useSimdLoops, WASM_TRAINING_KERNELS } from '../src/compute/wasm-kernels';

// Each check runs the same computation on the plain JS backend ('cpu', the
// reference) and on wasm with our kernels, from the same input values.

type Shape = number[];

/** Seeded values in [-0.5, 0.5). */
function seeded(seed: number): () => number {
  const random = mulberry32(seed);
  return () => random() - 0.5;
}

function values(shape: Shape, seed: number): Float32Array {
  const rand = seeded(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rand);
}

/** max |a - b| / max |b|: error relative to the reference's scale. */
function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, 'result sizes differ');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

async function onBackend<T extends tf.TensorContainer>(name: 'cpu' | 'wasm', fn: () => T): Promise<T> {
  assert.ok(await tf.setBackend(name), `backend ${name} did not initialise`);
  return tf.tidy(fn);
}

/** Runs `fn` on both backends; it returns flat results, compared one by one. */
async function assertSameOnBackends(label: string, fn: () => Float32Array[], tolerance = 1e-4): Promise<void> {
  const want = await onBackend('cpu', fn);
  const got = await onBackend('wasm', fn);
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    const err = relativeError(got[i], want[i]);
    assert.ok(
      Number.isFinite(err) && err <= tolerance,
      `${label} [output ${i}]: relative error ${err.toExponential(2)}`,
    );
  }
}

const read = (t: tf.Tensor) => t.dataSync() as Float32Array;

before(async () => {
  await selectBackend('cpu');
  await selectBackend('wasm');
});

describe('registration', () => {
  test('every kernel is registered for wasm and registering again is harmless', () => {
    registerWasmTrainingKernels();
    registerWasmTrainingKernels();
    for (const name of WASM_TRAINING_KERNELS) assert.ok(tf.getKernel(name, 'wasm'), `${name} missing`);
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
  });
});

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: Pad;
}

const CONV_CASES: ConvCase[] = [
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 4], stride: 2, pad: 'same' },
  { x: [3, 8, 8, 4], filter: [3, 3, 4, 8], stride: 2, pad: 'valid' },
  { x: [2, 9, 7, 1], filter: [3, 3, 1, 5], stride: 1, pad: 'valid' },
  { x: [2, 11, 10, 8], filter: [5, 5, 8, 6], stride: 2, pad: 'same' },
  { x: [2, 6, 6, 16], filter: [1, 1, 16, 2], stride: 2, pad: 'same' },
  { x: [3, 12, 12, 16], filter: [3, 3, 16, 32], stride: 1, pad: 'same' },
  { x: [2, 9, 9, 2], filter: [4, 4, 2, 3], stride: 1, pad: 'same' },
  {
    x: [2, 7, 7, 3],
    filter: [3, 3, 3, 2],
    stride: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [2, 13, 11, 5], filter: [4, 4, 5, 6], stride: 2, pad: 'same' },
  // filter rows (kh * kw * inC) up to 576 and output channels in fours: the direct filter gradient (filterGradTaps,
  // four rows a pass): the shipped model's first layer (9 rows: two passes and a row; 12 images in parts of five),
  // 12 rows, a 72x72 map (dY parted by rows), and 25 rows on a stride with padding
  { x: [12, 28, 28, 1], filter: [3, 3, 1, 16], stride: 1, pad: 'same' },
  { x: [2, 9, 8, 3], filter: [2, 2, 3, 8], stride: 1, pad: 'valid' },
  { x: [2, 72, 72, 1], filter: [3, 3, 1, 16], stride: 1, pad: 'same' },
  // Conv2D's own loops: eight channels then four, on a stride, the last four positions of a row overlapping
  { x: [2, 8, 10, 2], filter: [3, 3, 2, 12], stride: 2, pad: 'same' },
  {
    x: [2, 11, 12, 1],
    filter: [5, 5, 1, 8],
    stride: 2,
    pad: [
      [0, 0],
      [2, 1],
      [0, 2],
      [0, 0],
    ],
  },
  { x: [2, 10, 11, 3], filter: [3, 3, 3, 4], stride: 3, pad: 'valid' },
  {
    x: [2, 9, 9, 4],
    filter: [3, 3, 4, 4],
    stride: 2,
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
  },
];

describe('Conv2D, Conv2DBackpropFilter and Conv2DBackpropInput against the cpu backend', () => {
  for (const c of CONV_CASES) {
    const label = `x ${c.x} filter ${c.filter} stride ${c.stride} pad ${JSON.stringify(c.pad)}`;
    test(label, async () => {
      const xv = values(c.x, 1);
      const wv = values(c.filter, 2);
      await assertSameOnBackends(label, () => {
        const x = tf.tensor4d(xv, c.x);
        const w = tf.tensor4d(wv, c.filter);
        const y = tf.conv2d(x, w, c.stride, c.pad);
        const r = tf.tensor(values(y.shape, 3), y.shape);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), r)),
        )([x, w]);
        return [read(y), read(dw), read(dx)];
      });
    });
  }
});

describe('FusedConv2D (inference) against the cpu backend', () => {
  const cases: Array<{ activation: tf.fused.Activation; bias: boolean; stride: number; filter: number[] }> = [
    { activation: 'relu', bias: true, stride: 1, filter: [3, 3, 3, 8] },
    { activation: 'linear', bias: true, stride: 2, filter: [3, 3, 3, 12] },
    { activation: 'relu', bias: false, stride: 1, filter: [5, 5, 2, 4] },
    { activation: 'elu', bias: true, stride: 1, filter: [3, 3, 3, 8] }, // not ours: upstream's kernel
  ];
  for (const c of cases) {
    const label = `${c.activation}${c.bias ? ' with a bias' : ''}, filter ${c.filter}, stride ${c.stride}`;
    test(label, async () => {
      const xShape = [2, 9, 11, c.filter[2]];
      const xv = values(xShape, 5);
      const wv = values(c.filter, 6);
      const bv = values([c.filter[3]], 7);
      await assertSameOnBackends(label, () => {
        const y = tf.fused.conv2d({
          x: tf.tensor4d(xv, xShape as [number, number, number, number]),
          filter: tf.tensor4d(wv, c.filter as [number, number, number, number]),
          strides: c.stride,
          pad: 'same',
          bias: c.bias ? tf.tensor1d(bv) : undefined,
          activation: c.activation,
        });
        return [read(y)];
      });
    });
  }
});

describe('AvgPoolGrad against the cpu backend', () => {
  const cases: Array<{ x: [number, number, number, number]; size: number; stride: number; pad: 'same' | 'valid' }> = [
    { x: [3, 8, 8, 16], size: 2, stride: 2, pad: 'valid' },
    { x: [2, 7, 9, 8], size: 2, stride: 2, pad: 'same' },
    { x: [2, 9, 9, 4], size: 3, stride: 2, pad: 'same' }, // overlapping windows
    { x: [2, 9, 9, 3], size: 3, stride: 1, pad: 'same' }, // channels not a multiple of 4: upstream's kernel
  ];
  for (const c of cases) {
    const label = `x ${c.x} pool ${c.size} stride ${c.stride} ${c.pad}`;
    test(label, async () => {
      const xv = values(c.x, 8);
      await assertSameOnBackends(label, () => {
        const x = tf.tensor4d(xv, c.x);
        const y = tf.avgPool(x, c.size, c.stride, c.pad);
        const r = tf.tensor(values(y.shape, 9), y.shape);
        const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, c.size, c.stride, c.pad), r)))(
          x,
        );
        return [read(y), read(dx)];
      });
    });
  }
});

describe('MaxPoolGrad against the cpu backend', () => {
  const cases: Array<{ x: [number, number, number, number]; size: number; stride: number; pad: 'same' | 'valid' }> = [
    { x: [3, 8, 8, 16], size: 2, stride: 2, pad: 'valid' },
    { x: [2, 7, 9, 8], size: 2, stride: 2, pad: 'same' },
    { x: [2, 9, 9, 4], size: 3, stride: 2, pad: 'same' },
    { x: [2, 8, 7, 12], size: 3, stride: 2, pad: 'valid' },
    { x: [2, 9, 9, 3], size: 3, stride: 2, pad: 'same' }, // channels not a multiple of 4: the JS path
    { x: [2, 6, 6, 5], size: 2, stride: 2, pad: 'valid' },
  ];
  for (const c of cases) {
    const label = `x ${c.x} pool ${c.size} stride ${c.stride} ${c.pad}`;
    test(label, async () => {
      // Few distinct values, so windows hold ties (also apart, as in 2, 1, 2): the first maximum wins on both backends.
      const xv = values(c.x, 4).map((v) => Math.max(0, Math.round(v * 6)));
      await assertSameOnBackends(label, () => {
        const x = tf.tensor4d(xv, c.x);
        const y = tf.maxPool(x, c.size, c.stride, c.pad);
        const r = tf.tensor(values(y.shape, 5), y.shape);
        const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.size, c.stride, c.pad), r)))(
          x,
        );
        return [read(dx)];
      });
    });
  }
});

describe('Sum, Mean, Tile, BatchMatMul and Slice against the cpu backend', () => {
  test('sums over leading axes (fast path) and others (upstream)', async () => {
    const xv = values([4, 5, 6, 8], 6);
    await assertSameOnBackends('sum', () => {
      const x = tf.tensor4d(xv, [4, 5, 6, 8]);
      const outs = [
        tf.sum(x, [0, 1, 2]),
        tf.sum(x, [0, 1], true),
        tf.sum(x, 0),
        tf.sum(x, [1, 2]),
        tf.sum(x),
        tf.sum(tf.slice(tf.reshape(x, [20, 6, 8]), [0, 0, 0], [20, 6, 6]), [0, 1]),
      ];
      assert.deepEqual(outs[1].shape, [1, 1, 6, 8]);
      return outs.map(read);
    });
  });

  test('means over leading axes (fast path) and others (upstream)', async () => {
    const xv = values([4, 5, 6, 8], 11);
    await assertSameOnBackends('mean', () => {
      const x = tf.tensor4d(xv, [4, 5, 6, 8]);
      return [
        tf.mean(x, [0, 1, 2]),
        tf.mean(x, [0, 1], true),
        tf.mean(x, [1, 2]),
        tf.mean(x),
        tf.mean(tf.slice(x, [0, 0, 0, 0], [4, 5, 6, 3]), [0, 1, 2]),
      ].map(read);
    });
  });

  test('tile and broadcastTo, any rank, float32, int32 and bool', async () => {
    const xv = values([2, 1, 3], 12);
    await assertSameOnBackends('tile', () => {
      const x = tf.tensor3d(xv, [2, 1, 3]);
      const v = tf.tensor4d(values([1, 1, 1, 5], 13), [1, 1, 1, 5]);
      const ints = tf.tensor2d([1, -2, 3, 4, 5, -6], [3, 2], 'int32');
      const bools = tf.tensor1d([true, false, true], 'bool');
      const outs = [
        tf.tile(x, [3, 4, 2]),
        tf.tile(x, [1, 1, 1]),
        tf.broadcastTo(v, [3, 4, 2, 5]),
        tf.tile(tf.tensor1d([2.5]), [7]),
      ];
      return [
        ...outs.map(read),
        Float32Array.from(tf.tile(ints, [2, 3]).dataSync()),
        Float32Array.from(tf.tile(bools, [4]).dataSync()),
      ];
    });
  });

  test('transposed products take the fast path and match', async () => {
    const av = values([37, 19], 7);
    const bv = values([19, 23], 8);
    await assertSameOnBackends('matMul', () => {
      const a = tf.tensor2d(av, [37, 19]);
      const b = tf.tensor2d(bv, [19, 23]);
      const aT = tf.transpose(a);
      const bT = tf.transpose(b);
      const batched = tf.matMul(tf.stack([a, a]) as tf.Tensor3D, tf.stack([b, b]) as tf.Tensor3D, false, false);
      return [
        tf.matMul(a, b),
        tf.matMul(aT, b, true, false),
        tf.matMul(a, bT, false, true),
        tf.matMul(aT, bT, true, true),
        batched,
      ].map(read);
    });
  });

  test('gather: batches of rows, any axis, batchDims, repeated and no indices, float32, int32 and bool', async () => {
    const xv = values([9, 4, 5, 3], 15);
    await assertSameOnBackends('gather', () => {
      const x = tf.tensor4d(xv, [9, 4, 5, 3]);
      const rows = tf.tensor1d([8, 0, 3, 3, 7], 'int32');
      const outs = [
        tf.gather(x, rows),
        tf.gather(x, tf.tensor1d([2, 0], 'int32'), 1),
        tf.gather(x, tf.tensor2d([4, 1, 1, 0], [2, 2], 'int32'), 2),
        tf.gather(x, tf.tensor1d([2, 0, 1], 'int32'), -1),
        tf.gather(x, tf.tensor2d([3, 1, 0, 0, 2, 3, 1, 2, 0, 1, 3, 3, 2, 2, 1, 0, 0, 0], [9, 2], 'int32'), 1, 1),
        tf.gather(tf.tensor1d(values([9], 16)), rows),
      ];
      assert.deepEqual(outs[0].shape, [5, 4, 5, 3]);
      assert.deepEqual(outs[2].shape, [9, 4, 2, 2, 3]);
      const empty = tf.gather(x, tf.tensor1d([], 'int32'));
      assert.deepEqual(empty.shape, [0, 4, 5, 3]);
      const ints = tf.gather(tf.tensor2d([1, -2, 3, 4, 5, -6], [3, 2], 'int32'), tf.tensor1d([2, 0, 2], 'int32'));
      const bools = tf.gather(tf.tensor1d([true, false, true], 'bool'), tf.tensor1d([1, 1, 0], 'int32'));
      assert.equal(ints.dtype, 'int32');
      assert.equal(bools.dtype, 'bool');
      return [...outs.map(read), Float32Array.from(ints.dataSync()), Float32Array.from(bools.dataSync())];
    });
    await onBackend('wasm', () =>
      assert.throws(
        () => tf.gather(tf.zeros([3, 2]), tf.tensor1d([1, 3], 'int32')),
        /GatherV2: the index value 3 is not in \[0, 2\]/,
      ),
    );
  });

  test('contiguous slices (fast path) and strided ones (upstream), float32 and int32', async () => {
    const xv = values([9, 4, 5, 3], 10);
    const iv = Int32Array.from({ length: 60 }, (_, i) => i * 7 - 100);
    await assertSameOnBackends('slice', () => {
      const x = tf.tensor4d(xv, [9, 4, 5, 3]);
      const ints = tf.tensor2d(iv, [12, 5], 'int32');
      const outs = [
        tf.slice(x, 3, 4),
        tf.slice(x, [2, 1], [1, 2]),
        tf.slice(x, [0, 1, 1, 0], [9, 2, 3, 2]),
        tf.slice(x, [8, 3, 4, 2], [1, 1, 1, 1]),
      ];
      assert.deepEqual(outs[0].shape, [4, 4, 5, 3]);
      const intSlice = tf.slice(ints, [5, 0], [3, 5]);
      assert.equal(intSlice.dtype, 'int32');
      return [...outs.map(read), Float32Array.from(intSlice.dataSync())];
    });
  });
});

describe('per-channel broadcasts and BatchNorm against the cpu backend', () => {
  test('add, sub, mul and div with a channel vector on either side', async () => {
    const big = values([3, 4, 5, 8], 14);
    const vec = values([8], 15).map((v) => v + 2); // away from zero: it divides
    const rows = values([5, 8], 16).map((v) => v + 2);
    await assertSameOnBackends('channel ops', () => {
      const x = tf.tensor4d(big, [3, 4, 5, 8]);
      const v = tf.tensor1d(vec);
      const v4 = tf.reshape(v, [1, 1, 1, 8]);
      const r = tf.tensor2d(rows, [5, 8]);
      const outs: tf.Tensor[] = [];
      for (const op of [tf.add, tf.sub, tf.mul, tf.div]) {
        outs.push(op(x, v), op(v, x), op(x, v4), op(v4, x), op(x, r), op(r, x));
      }
      // Not a trailing channel vector, or a channel count not a multiple of 4: upstream.
      outs.push(tf.mul(x, tf.ones([3, 1, 1, 8])), tf.sub(tf.slice(x, [0, 0, 0, 0], [3, 4, 5, 6]), tf.slice(v, 0, 6)));
      return outs.map(read);
    });
  });

  test('batchNorm with and without offset and scale', async () => {
    const xv = values([4, 3, 5, 8], 17);
    await assertSameOnBackends('batchNorm', () => {
      const x = tf.tensor4d(xv, [4, 3, 5, 8]);
      const mean = tf.tensor1d(values([8], 18));
      const variance = tf.tensor1d(values([8], 19).map((v) => v + 0.6));
      const offset = tf.tensor1d(values([8], 20));
      const scale = tf.tensor1d(values([8], 21).map((v) => v * 3));
      return [
        tf.batchNorm(x, mean, variance, offset, scale, 1e-3),
        tf.batchNorm(x, mean, variance, undefined, scale, 1e-3),
        tf.batchNorm(x, mean, variance),
        tf.batchNorm(tf.slice(x, [0, 0, 0, 0], [4, 3, 5, 6]), tf.slice(mean, 0, 6), tf.slice(variance, 0, 6)),
      ].map(read);
    });
  });
});

describe('fallbacks when the SIMD loops are unavailable', () => {
  test('pooling, reductions, broadcasts, BatchNorm and strided conv gradients still match', async () => {
    const xv = values([2, 9, 9, 8], 22).map((v) => Math.max(0, Math.round(v * 6)));
    const wv = values([3, 3, 8, 4], 23);
    const compute = () => {
      const x = tf.tensor4d(xv, [2, 9, 9, 8]);
      const v = tf.tensor1d(values([8], 24).map((a) => a + 2));
      const w = tf.tensor4d(wv, [3, 3, 8, 4]);
      const pool = tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 3, 2, 'same')))(x);
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, w, 2, 'same')))(x);
      return [
        pool,
        dx,
        tf.sum(x, [0, 1, 2]),
        tf.mean(x, [0, 1]),
        tf.div(x, v),
        tf.sub(v, x),
        tf.batchNorm(x, v, tf.abs(v)),
      ].map(read);
    };
    const want = await onBackend('cpu', compute);
    await tf.setBackend('wasm');
    useSimdLoops(false);
    try {
      const got = tf.tidy(compute);
      got.forEach((g, i) => {
        assert.ok(relativeError(g, want[i]) <= 1e-4, `output ${i}`);
      });
    } finally {
      useSimdLoops(true);
    }
  });
});

describe('Identity and Cast share memory instead of copying', () => {
  test('a clone outlives its source and ignores later assignments to a variable', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    const c = tf.cast(a, 'float32');
    a.dispose();
    assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3]);
    assert.deepEqual(Array.from(c.dataSync()), [1, 2, 3]);
    const v = tf.variable(tf.tensor1d([4, 5]));
    const snapshot = tf.clone(v);
    v.assign(tf.tensor1d([6, 7]));
    assert.deepEqual(Array.from(snapshot.dataSync()), [4, 5]);
    assert.deepEqual(Array.from(tf.cast(tf.tensor1d([1.7, -2.2]), 'int32').dataSync()), [1, -2]);
    tf.dispose([b, c, v, snapshot]);
  });
});

function smallCnn(): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [11, 11, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.conv2d({ filters: 12, kernelSize: 3, strides: 2, padding: 'valid', useBias: false }));
  m.add(tfl.layers.batchNormalization({}));
  m.add(tfl.layers.reLU({}));
  m.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.globalAveragePooling2d({}));
  m.add(tfl.layers.dense({ units: 5, activation: 'softmax' }));
  return m;
}

describe('a whole CNN training step', () => {
  test('tf.variableGrads of a small CNN match between backends', async () => {
    const batch = 6;
    const xv = values([batch, 11, 11, 3], 9);
    const labels = Array.from({ length: batch }, (_, i) => i % 5);
    let weights: Float32Array[] | undefined;
    const step = () => {
      const model = smallCnn();
      // Same random weights on both backends; BatchNorm's moving variance must stay positive.
      weights ??= model.weights.map((w, i) =>
        values(w.shape as number[], 100 + i).map((v) => (w.name.includes('variance') ? 0.5 + Math.abs(v) : v * 0.5)),
      );
      model.setWeights(model.getWeights().map((w, i) => tf.tensor(weights![i], w.shape)));
      const x = tf.tensor4d(xv, [batch, 11, 11, 3]);
      const y = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 5), 'float32');
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        vars,
      );
      const out = [read(value), ...vars.map((v) => read(grads[v.name]))];
      model.dispose();
      return out;
    };
    await assertSameOnBackends('cnn step', step);
  });
});
