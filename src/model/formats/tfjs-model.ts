import { tf, tfl } from '../../tf';
import '../scaled-add';
import './keras-normalization';
import type { ModelArtifactsInMemory } from './types';
import { messageOf, problem } from './problem';

/** Saves `model` through tf.io.withSaveHandler: the topology and weights tfjs-layers itself writes, no native package. */
export async function artifactsOf(model: tfl.LayersModel): Promise<ModelArtifactsInMemory> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured?.modelTopology || !captured.weightSpecs || captured.weightData === undefined) {
    throw new Error(`model ${model.name}: TF.js returned no topology or weights when saving it`);
  }
  return {
    modelTopology: captured.modelTopology as Record<string, unknown>,
    weightSpecs: captured.weightSpecs,
    weightData: tf.io.CompositeArrayBuffer.join(captured.weightData),
  };
}

/** tfl.loadLayersModel on the artifacts in memory; a failure is one line. */
export async function loadArtifacts(a: ModelArtifactsInMemory, source = 'model artifacts'): Promise<tfl.LayersModel> {
  try {
    return await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: a.modelTopology, weightSpecs: a.weightSpecs, weightData: a.weightData }),
    );
  } catch (err) {
    throw problem(source, `TF.js could not load the model (${messageOf(err)})`);
  }
}

/** Builds the model a (normalised) topology describes, with freshly initialised weights the caller then overwrites. */
export async function modelFromTopology(topology: Record<string, unknown>, source: string): Promise<tfl.LayersModel> {
  // tfjs-layers warns on stderr that an Orthogonal initializer (an LSTM's recurrent kernel) is slow: its values are
  // overwritten by the file's, and the warning would break the one line a command prints
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('Orthogonal initializer is being called')) warn(...args);
  };
  try {
    return await tfl.models.modelFromJSON({ modelTopology: topology } as Parameters<
      typeof tfl.models.modelFromJSON
    >[0]);
  } catch (err) {
    throw problem(source, `TF.js could not build the model from its configuration (${messageOf(err)})`);
  } finally {
    console.warn = warn;
  }
}
