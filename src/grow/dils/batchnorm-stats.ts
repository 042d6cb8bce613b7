import { tf, tfl } from '../../tf';

/**
 * After the Stage I fit (done with BatchNorm in inference mode), the moving
 * statistics of g's and f's BatchNorm layers no longer describe the data that
 * reaches them (f's start as mean 0, variance 1). Stage II trains with batch
 * statistics, so each layer's moving mean and variance are re-estimated on the
 * local data and γ, β are refolded so that the inference function is unchanged:
 *   γ' = γ sqrt(σ² + ε) / sqrt(v + ε),  β' = β + γ (μ - m) / sqrt(v + ε).
 * Returns the names of the layers restandardised.
 */
export function restandardiseBatchNorm(local: tfl.LayersModel, z: tf.Tensor, batchSize = 256): string[] {
  const layers = local.layers.filter((l) => l.getClassName() === 'BatchNormalization');
  if (layers.length === 0) return [];
  const tap = tfl.model({ inputs: local.inputs, outputs: layers.map((l) => l.input as tfl.SymbolicTensor) });
  const channels = layers.map((l) => l.getWeights()[0].shape[0]);
  const sums = channels.map((c) => new Float64Array(c));
  const squares = channels.map((c) => new Float64Array(c));
  let perChannel = 0;
  const count = z.shape[0];
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const stats = tf.tidy(() => {
      const outs = tap.apply(tf.slice(z, start, size), { training: false });
      const list = Array.isArray(outs) ? (outs as tf.Tensor[]) : [outs as tf.Tensor];
      return list.map((t) => {
        const axes = t.shape.slice(0, -1).map((_, i) => i);
        return [
          tf.sum(t, axes).dataSync(),
          tf.sum(tf.square(t), axes).dataSync(),
          t.size / t.shape[t.shape.length - 1],
        ] as const;
      });
    });
    stats.forEach(([s, q], i) => {
      for (let c = 0; c < channels[i]; c++) {
        sums[i][c] += s[c];
        squares[i][c] += q[c];
      }
    });
    perChannel += stats[0][2];
  }
  layers.forEach((layer, i) => {
    const epsilon = (layer.getConfig().epsilon as number | undefined) ?? 1e-3;
    const [gamma, beta, movingMean, movingVariance] = layer.getWeights().map((w) => w.dataSync());
    const c = channels[i];
    const g2 = new Float32Array(c);
    const b2 = new Float32Array(c);
    const m2 = new Float32Array(c);
    const v2 = new Float32Array(c);
    for (let k = 0; k < c; k++) {
      const mean = sums[i][k] / perChannel;
      const variance = Math.max(0, squares[i][k] / perChannel - mean * mean);
      const oldScale = Math.sqrt(movingVariance[k] + epsilon);
      g2[k] = (gamma[k] * Math.sqrt(variance + epsilon)) / oldScale;
      b2[k] = beta[k] + (gamma[k] * (mean - movingMean[k])) / oldScale;
      m2[k] = mean;
      v2[k] = variance;
    }
    tf.tidy(() => layer.setWeights([tf.tensor1d(g2), tf.tensor1d(b2), tf.tensor1d(m2), tf.tensor1d(v2)]));
  });
  return layers.map((l) => l.name);
}
