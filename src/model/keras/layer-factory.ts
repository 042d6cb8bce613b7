import { tf, tfl } from '../../tf';
import { KerasLayer } from '../arch';

/** A Keras layer description of an existing tfjs layer: its class and its config as getConfig() gives it. */
export function describeLayer(layer: tfl.layers.Layer): KerasLayer {
  return {
    className: layer.getClassName(),
    config: JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>,
  };
}

/** A fresh (newly initialised) tfjs layer from a Keras layer description, through tfjs's own class registry. */
export function layerFromDescription(layer: KerasLayer): tfl.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[layer.className];
  if (!entry) throw new Error(`TF.js has no layer class ${layer.className}`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, JSON.parse(JSON.stringify(layer.config))) as unknown as tfl.layers.Layer;
}

export function nameOf(layer: KerasLayer): string {
  return String(layer.config.name);
}
