import { tf, tfl } from '../../tf';

/** Keras's `backend.epsilon()`: the floor of the standard deviation Normalization divides by. */
const EPSILON = 1e-7;

interface NormalizationConfig {
  name?: string;
  batchInputShape?: tfl.Shape;
  inputShape?: tfl.Shape;
  axis?: number | number[] | null;
  invert?: boolean;
  mean?: number | number[] | null;
  variance?: number | number[] | null;
}

/**
 * Keras's preprocessing layer `Normalization`, which tfjs-layers 4.22 lacks, read so that its adapted state can be:
 * `(x - mean) / max(sqrt(variance), epsilon)` over the last axis, with `mean`, `variance` and `count` as weights
 * (or mean and variance given in its config). deepend never hands it back: normalization-fold.ts turns it into a Dense.
 */
export class KerasNormalization extends tfl.layers.Layer {
  static readonly className = 'Normalization';
  readonly axis: number | number[] | null;
  readonly invert: boolean;
  readonly fixedMean: number | number[] | null;
  readonly fixedVariance: number | number[] | null;

  constructor(config: NormalizationConfig) {
    super({
      name: config.name,
      trainable: false,
      batchInputShape: config.batchInputShape,
      inputShape: config.inputShape,
    });
    // null (Keras's axis=None: one mean for every value) is kept, and refused when folding
    this.axis = config.axis === undefined ? -1 : config.axis;
    this.invert = config.invert ?? false;
    this.fixedMean = config.mean ?? null;
    this.fixedVariance = config.variance ?? null;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShape as tfl.Shape;
    const width = shape[shape.length - 1] ?? 1;
    if (this.fixedMean === null) {
      this.addWeight('mean', [width], 'float32', tfl.initializers.zeros(), undefined, false);
      this.addWeight('variance', [width], 'float32', tfl.initializers.ones(), undefined, false);
      this.addWeight('count', [], 'int32', tfl.initializers.zeros(), undefined, false);
    }
    this.built = true;
  }

  /** Mean and standard deviation per feature of the last axis, broadcast to `width`. */
  moments(width: number): { mean: Float32Array; std: Float32Array } {
    const spread = (v: number | number[] | Float32Array) =>
      typeof v === 'number' ? new Float32Array(width).fill(v) : Float32Array.from(v);
    const [mean, variance] =
      this.fixedMean !== null
        ? [spread(this.fixedMean), spread(this.fixedVariance ?? 1)]
        : [
            spread(this.weights[0].read().dataSync() as Float32Array),
            spread(this.weights[1].read().dataSync() as Float32Array),
          ];
    return { mean, std: variance.map((v) => Math.max(Math.sqrt(v), EPSILON)) };
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const { mean, std } = this.moments(x.shape[x.shape.length - 1]);
    return tf.tidy(() => (this.invert ? tf.add(tf.mul(x, std), mean) : tf.div(tf.sub(x, mean), std)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      axis: this.axis,
      invert: this.invert,
      mean: this.fixedMean,
      variance: this.fixedVariance,
    };
  }
}

tf.serialization.registerClass(KerasNormalization);
