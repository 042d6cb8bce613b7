import { trainClassifier, trainableVariables } from '../../train/classifier';
import { GrowthMethod, InitialiseContext, Initialised } from '../types';
import { insertPlanned, layersOfBlock } from './inserted';

/**
 * Look-ahead initialisation (incremental-training-lookahead.txt, section 3):
 * the new sub-network S_{k+1} is trained for a few epochs on the features of
 * the already-trained network, whose weights stay frozen; then training goes on
 * with the whole network (Stage II in grow/run.ts).
 */
export const lookaheadMethod: GrowthMethod = {
  name: 'lookahead',
  usesInitBudget: true,
  async initialise(ctx: InitialiseContext): Promise<Initialised> {
    const grown = insertPlanned(ctx);
    const variables = trainableVariables(grown.newBlocks.flatMap((b) => layersOfBlock(grown.model, b)));
    const result = await trainClassifier(grown.model, ctx.data.train, {
      stage: 'lookahead',
      detail: `training ${grown.newBlocks.map((b) => b.name).join(', ')} on the frozen network`,
      budget: ctx.budget,
      batchSize: ctx.batchSize,
      learningRate: ctx.learningRate,
      seed: ctx.seed,
      variables,
      validation: ctx.data.validation,
      validateEverySamples: 2048,
      onProgress: ctx.onProgress,
      signal: ctx.signal,
    });
    return {
      model: grown.model,
      spec: grown.spec,
      insertions: grown.insertions,
      curves: [
        {
          stage: 'lookahead',
          metric: 'loss',
          epochs: result.epochs,
          checkpoints: result.checkpoints,
          seconds: result.seconds,
        },
      ],
      details: {
        trainedVariables: variables.length,
        lookaheadEpochs: result.epochs.length,
        stoppedBy: result.stoppedBy,
      },
    };
  },
};
