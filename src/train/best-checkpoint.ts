import { tf, tfl } from '../tf';

/** Which checkpoint a stage kept: where it was and what it scored on the validation part. */
export interface KeptCheckpoint {
  steps: number;
  seconds: number;
  validationAccuracy: number;
  /** Its validation cross-entropy, when the stage measured one. */
  validationLoss?: number;
  /** True when nothing after the stage's start beat it: the model as it entered the stage. */
  atStart: boolean;
}

/**
 * Keeps a copy of every weight (BatchNorm moving statistics included) of the
 * best model seen so far, and puts it back on request. The first model
 * offered (a stage's starting point) sets a floor: a later one is kept only
 * if its validation accuracy is at least the floor's, so a stage never ends
 * below where it started on the validation part. Above the floor the lowest
 * validation loss wins: on a validation part of a thousand samples near 98%,
 * accuracy moves in steps of 0.1 point and rarely beats the start strictly,
 * while the loss measures every sample and goes on falling as the model
 * improves. Without losses, only a strictly higher accuracy replaces the copy.
 */
export class BestCheckpoint {
  private weights: tf.Tensor[] | undefined;
  private info: KeptCheckpoint | undefined;
  private floor = Number.NEGATIVE_INFINITY;

  constructor(private readonly model: tfl.LayersModel) {}

  /** Offers the model as it is now; returns true when it became the best. */
  offer(steps: number, seconds: number, validationAccuracy: number, validationLoss?: number): boolean {
    if (this.info && !this.better(validationAccuracy, validationLoss)) return false;
    if (!this.info) this.floor = validationAccuracy;
    this.weights?.forEach((w) => {
      w.dispose();
    });
    this.weights = this.model.getWeights().map((w) => w.clone());
    this.info = { steps, seconds, validationAccuracy, atStart: steps === 0 };
    if (validationLoss !== undefined) this.info.validationLoss = validationLoss;
    return true;
  }

  private better(accuracy: number, loss: number | undefined): boolean {
    const kept = this.info!;
    if (loss === undefined || kept.validationLoss === undefined) return accuracy > kept.validationAccuracy;
    return accuracy >= this.floor && loss < kept.validationLoss;
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
