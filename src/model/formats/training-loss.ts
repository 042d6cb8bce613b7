/**
 * The loss a model file says its model was trained with: Keras .h5 keeps it in the `training_config` attribute,
 * a .keras archive in config.json's `compile_config`, tensorflowjs_converter in modelTopology.training_config and
 * LayersModel.save() in model.json's trainingConfig. A one-unit linear output is a two-class classifier when this
 * loss is binary cross-entropy from logits (the Keras image-classification and transfer-learning tutorials end so),
 * and a regression otherwise.
 */
export interface TrainingLoss {
  /** snake_case, as Keras names the function: binary_crossentropy, sparse_categorical_crossentropy, mse, ... */
  name: string;
  fromLogits: boolean;
}

/** BinaryCrossentropy, binaryCrossentropy and binary_crossentropy all as binary_crossentropy. */
function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
}

/**
 * The one loss of a training config, or undefined when it names none, or several (one per output). A string
 * names a Keras function (from_logits false); an object is a serialised loss class, Keras 2's
 * {class_name, config} or Keras 3's {module, class_name, config, registered_name}. A list or a dict by output
 * name of exactly one such loss (`loss=[...]`, `loss={'out': ...}` for a one-output model) is that loss.
 */
export function trainingLossOf(trainingConfig: unknown): TrainingLoss | undefined {
  if (!trainingConfig || typeof trainingConfig !== 'object') return undefined;
  return lossOf((trainingConfig as Record<string, unknown>).loss);
}

function isSerialisedLoss(value: object): boolean {
  return 'class_name' in value;
}

function lossOf(loss: unknown): TrainingLoss | undefined {
  if (Array.isArray(loss)) return loss.length === 1 ? lossOf(loss[0]) : undefined;
  if (loss && typeof loss === 'object' && !isSerialisedLoss(loss)) {
    const perOutput = Object.values(loss);
    return perOutput.length === 1 ? lossOf(perOutput[0]) : undefined;
  }
  if (typeof loss === 'string' && loss.length > 0) return { name: snakeCase(loss), fromLogits: false };
  if (!loss || typeof loss !== 'object' || Array.isArray(loss)) return undefined;
  const { class_name: className, config } = loss as Record<string, unknown>;
  if (typeof className !== 'string') return undefined;
  // Keras 3 serialises a loss function (not a class) as {class_name: 'function', config: 'binary_crossentropy'}
  if (className === 'function')
    return typeof config === 'string' ? { name: snakeCase(config), fromLogits: false } : undefined;
  const options = config && typeof config === 'object' ? (config as Record<string, unknown>) : {};
  return { name: snakeCase(className), fromLogits: options.from_logits === true };
}

/** The loss of a two-class model that answers one raw score: Keras's BinaryCrossentropy(from_logits=True). */
export const BINARY_FROM_LOGITS: TrainingLoss = { name: 'binary_crossentropy', fromLogits: true };

/** `loss` as Keras 3 serialises a loss class in config.json's compile_config (binary_crossentropy: BinaryCrossentropy). */
export function kerasLossConfig(loss: TrainingLoss): Record<string, unknown> {
  const className = loss.name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
  return {
    module: 'keras.losses',
    class_name: className,
    config: { name: loss.name, from_logits: loss.fromLogits },
    registered_name: null,
  };
}

/** Binary cross-entropy (plain or focal), on probabilities or from logits: one yes/no answer an output unit. */
export function isBinaryLoss(loss: TrainingLoss | undefined): boolean {
  return loss?.name === 'binary_crossentropy' || loss?.name === 'binary_focal_crossentropy';
}

/** Whether a one-unit linear output was trained as a two-class classifier's raw score (its logit). */
export function isBinaryFromLogits(loss: TrainingLoss | undefined): boolean {
  return loss?.fromLogits === true && isBinaryLoss(loss);
}

/** The training config's JSON text (an HDF5 attribute) as an object; undefined when absent or not JSON. */
export function parseTrainingConfig(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
