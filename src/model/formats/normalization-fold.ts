import { tf, tfl } from '../../tf';
import { KerasNormalization } from './keras-normalization';
import type { ModelArtifactsInMemory } from './types';
import { problem } from './problem';

type Entry = { class_name: string; config: Record<string, unknown>; inbound_nodes?: unknown; name?: string };

/** The layers of a (normalised) topology: a Sequential's or a functional model's list. */
function topologyLayers(topology: Record<string, unknown>): Entry[] {
  const config = (topology.model_config ?? topology) as { config?: { layers?: Entry[] } };
  return config.config?.layers ?? [];
}

function isLastAxis(axis: number | number[] | null, rank: number): boolean {
  if (axis === null) return false;
  const axes = Array.isArray(axis) ? axis : [axis];
  return axes.length === 1 && (axes[0] === -1 || axes[0] === rank - 1);
}

/** The serialised config tfjs-layers writes for a frozen linear Dense of `units` named `name`. */
function denseEntryConfig(name: string, units: number): Record<string, unknown> {
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ units, inputShape: [units], name, trainable: false, activation: 'linear' })],
  });
  try {
    const json = model.toJSON(null, false) as { config: { layers: Entry[] } };
    const config = { ...json.config.layers.at(-1)!.config };
    delete config.batch_input_shape;
    return config;
  } finally {
    model.dispose();
  }
}

/**
 * Turns every Normalization layer of the model's own graph into a frozen Dense that computes the same thing over
 * features (kernel diag(1 / std), bias -mean / std), in the artifacts: the model deepend hands back is then one any
 * TF.js or Keras user loads. A Normalization of images (any input but [batch, features]), over another axis, inverted,
 * or inside a nested model is refused in one line.
 */
export function foldNormalization(
  model: tfl.LayersModel,
  artifacts: ModelArtifactsInMemory,
  source: string,
): ModelArtifactsInMemory {
  const layers = model.layers.filter((l) => l instanceof KerasNormalization) as KerasNormalization[];
  const nested = model.layers.find(
    (l) => l instanceof tfl.LayersModel && l.layers.some((inner) => inner instanceof KerasNormalization),
  );
  if (nested)
    throw problem(
      source,
      `the nested model '${nested.name}' has a Normalization layer; deepend reads one at the model's top level only`,
    );
  if (layers.length === 0) return artifacts;
  const entries = topologyLayers(artifacts.modelTopology);
  const folded = new Map<string, { kernel: Float32Array; bias: Float32Array; units: number }>();
  for (const layer of layers) {
    const what = `layer '${layer.name}' (Normalization)`;
    if (layer.inboundNodes.length !== 1)
      throw problem(source, `${what} is used ${layer.inboundNodes.length} times; deepend reads one used once`);
    const shape = (layer.input as tfl.SymbolicTensor).shape;
    const units = shape[shape.length - 1];
    if (shape.length !== 2 || typeof units !== 'number')
      throw problem(
        source,
        `${what} normalises a [${shape.slice(1).join(', ')}] input; deepend reads Normalization over the features of a flat input only (for images, use Rescaling or --input-mean/--input-std)`,
      );
    if (!isLastAxis(layer.axis, shape.length))
      throw problem(
        source,
        `${what} normalises over axis ${JSON.stringify(layer.axis)}; deepend reads it over the last axis only`,
      );
    if (layer.invert) throw problem(source, `${what} is inverted (invert: true); deepend reads the forward one only`);
    const { mean, std } = layer.moments(units);
    const kernel = new Float32Array(units * units);
    const bias = new Float32Array(units);
    for (let i = 0; i < units; i++) {
      kernel[i * units + i] = 1 / std[i];
      bias[i] = -mean[i] / std[i];
    }
    folded.set(layer.name, { kernel, bias, units });
    const entry = entries.find((e) => e.config.name === layer.name);
    if (!entry) throw new Error(`${source}: internal error: Normalization '${layer.name}' not in the topology`);
    const batchInputShape = entry.config.batch_input_shape;
    entry.class_name = 'Dense';
    entry.config = denseEntryConfig(layer.name, units);
    // the first layer of a Sequential carries the model's input shape
    if (batchInputShape !== undefined) entry.config.batch_input_shape = batchInputShape;
  }
  return { ...artifacts, ...foldedWeights(artifacts, folded) };
}

/** The weights with each folded layer's mean, variance and count replaced by its kernel and bias. */
function foldedWeights(
  artifacts: ModelArtifactsInMemory,
  folded: Map<string, { kernel: Float32Array; bias: Float32Array; units: number }>,
): Pick<ModelArtifactsInMemory, 'weightSpecs' | 'weightData'> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: ArrayBuffer[] = [];
  let offset = 0;
  for (const spec of artifacts.weightSpecs) {
    const bytes = spec.shape.reduce((n, d) => n * d, 1) * 4;
    const data = artifacts.weightData.slice(offset, offset + bytes);
    offset += bytes;
    const layer = spec.name.split('/')[0];
    if (!folded.has(layer)) {
      specs.push(spec);
      parts.push(data);
    }
  }
  for (const [layer, { kernel, bias, units }] of folded) {
    specs.push({ name: `${layer}/kernel`, shape: [units, units], dtype: 'float32' });
    specs.push({ name: `${layer}/bias`, shape: [units], dtype: 'float32' });
    parts.push(kernel.buffer as ArrayBuffer, bias.buffer as ArrayBuffer);
  }
  return { weightSpecs: specs, weightData: tf.io.CompositeArrayBuffer.join(parts) };
}
