import { tf, tfl } from '../tf';

/** Which checkpoint a stage kept: where it was and what it scored on the validation part. */
export interface KeptCheckpoint {
  steps: number;
  seconds: number;
  validationAccuracy: number;
  /** True when nothing after the stage's start beat it: the model as it entered the stage. */
  atStart: boolean;
}

/**
 * Keeps a copy of every weight (BatchNorm moving statistics included) of the
 * best model seen so far by validation accuracy, and puts it back on request.
 * Only a strictly higher accuracy replaces the copy, so on a tie the earlier
 * (shorter-trained) model is kept, and a stage offered its starting point
 * first never ends below it on the validation part.
 */
export class BestCheckpoint {
  private weights: tf.Tensor[] | undefined;
  private info: KeptCheckpoint | undefined;

  constructor(private readonly model: tfl.LayersModel) {}

  /** Offers the model as it is now; returns true when it became the best. */
  offer(steps: number, seconds: number, validationAccuracy: number): boolean {
    if (this.info && !(validationAccuracy > this.info.validationAccuracy)) return false;
    this.weights?.forEach((w) => {
      w.dispose();
    });
    this.weights = this.model.getWeights().map((w) => w.clone());
    this.info = { steps, seconds, validationAccuracy, atStart: steps === 0 };
    return true;
  }

  get kept(): KeptCheckpoint | undefined {
    return this.info;
  }

  /** Sets the model's weights to the kept copy (if any) and frees the copy. */
  restore(): KeptCheckpoint | undefined {
    if (this.weights) this.model.setWeights(this.weights);
    this.dispose();
    return this.info;
  }

  dispose(): void {
    this.weights?.forEach((w) => {
      w.dispose();
    });
    this.weights = undefined;
  }
}
