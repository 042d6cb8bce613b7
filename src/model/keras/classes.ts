import { tfl } from '../../tf';
import { BlockActivation, KerasLayer } from '../arch';

/** Layers whose weights make a growth site when they are hidden and trainable. */
export const SITE_CLASSES = new Set(['Dense', 'Conv2D']);

/** Layers that belong to the unit of the Dense/Conv2D before them. */
export const UNIT_FOLLOWER_CLASSES = new Set([
  'BatchNormalization',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'PReLU',
  'ELU',
  'ThresholdedReLU',
]);

/** Every other layer a grown chain may hold: kept as the model has it. */
export const PASSIVE_CLASSES = new Set([
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'MaxPooling1D',
  'AveragePooling1D',
  'GlobalAveragePooling1D',
  'GlobalMaxPooling1D',
  'SpatialDropout1D',
  'Flatten',
  'Reshape',
  'Dropout',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'Rescaling',
  'ZeroPadding2D',
  'Softmax',
]);

/** Layers that scale raw input themselves: a model that begins with one takes raw pixels. */
export const INPUT_SCALING_CLASSES = new Set(['Rescaling']);

/** Layers that pass their input through unchanged at inference (an image augmentation layer is read as a linear Activation). */
const INFERENCE_IDENTITY_CLASSES = new Set([
  'InputLayer',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
]);

/**
 * Whether a layer computes the identity at inference: a dropout or noise layer, a linear Activation (what an
 * augmentation layer such as RandomFlip is read as), or a nested model made of such layers only (the Keras
 * tutorials' `data_augmentation` Sequential).
 */
export function isInferenceIdentity(layer: tfl.layers.Layer): boolean {
  if (layer instanceof tfl.LayersModel) return layer.layers.every(isInferenceIdentity);
  const className = layer.getClassName();
  if (className === 'Activation') return fromActivationName(layer.getConfig().activation) === 'linear';
  return INFERENCE_IDENTITY_CLASSES.has(className);
}

function fromActivationName(name: unknown): BlockActivation {
  if (name === undefined || name === null || name === 'linear') return 'linear';
  if (name === 'relu') return 'relu';
  if (name === 'relu6') return 'relu6';
  return 'nonlinear';
}

/** The nonlinearity a layer applies last, as far as identity insertion and DILS's eq. 12-15 care. */
export function activationOf(layer: KerasLayer): BlockActivation {
  const c = layer.config;
  switch (layer.className) {
    case 'Dense':
    case 'Conv2D':
    case 'Activation':
      return fromActivationName(c.activation);
    case 'ReLU': {
      const slope = Number(c.negativeSlope ?? 0);
      const threshold = Number(c.threshold ?? 0);
      if (slope !== 0 || threshold !== 0) return 'nonlinear';
      if (c.maxValue === undefined || c.maxValue === null) return 'relu';
      return Number(c.maxValue) === 6 ? 'relu6' : 'nonlinear';
    }
    case 'BatchNormalization':
      return 'linear';
    default:
      return 'nonlinear';
  }
}

/** The activation a unit ends in: its last layer's (a unit ending in BatchNorm is 'linear', whatever came before). */
export function unitActivation(layers: KerasLayer[]): BlockActivation {
  return activationOf(layers[layers.length - 1]);
}
