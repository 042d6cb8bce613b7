import { tf, tfl } from '../tf';

interface ScaledAddConfig {
  ratio: number;
  name?: string;
}

/**
 * out = ratio * shortcut + branch: the scaled identity connection of the
 * morphism paper (section 3.2, residual ratio r). Inputs: [shortcut, branch].
 */
export class ScaledAdd extends tfl.layers.Layer {
  static readonly className = 'ScaledAdd';
  readonly ratio: number;

  constructor(config: ScaledAddConfig) {
    super({ name: config.name });
    this.ratio = config.ratio;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return (inputShape as tfl.Shape[])[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [shortcut, branch] = inputs as tf.Tensor[];
    return tf.tidy(() => (this.ratio === 1 ? tf.add(shortcut, branch) : tf.add(tf.mul(shortcut, this.ratio), branch)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ratio: this.ratio };
  }
}

tf.serialization.registerClass(ScaledAdd);
