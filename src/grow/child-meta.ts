import { ModelMeta, META_FORMAT } from '../model/meta';
import { MetaWithoutDigest } from '../model/io';
import { GrowReport } from './report';

/** meta.json of a grown model: the parent's data contract, the new architecture and one more growth record. */
export function childMeta(parent: ModelMeta, report: GrowReport, name?: string): MetaWithoutDigest {
  return {
    format: META_FORMAT,
    name: name ?? parent.name,
    family: parent.family,
    depth: report.depthAfter,
    arch: report.spec,
    inputShape: parent.inputShape,
    labels: parent.labels,
    normalisation: parent.normalisation,
    parent: { weightsSha256: parent.weightsSha256, depth: parent.depth },
    growth: [
      ...parent.growth,
      {
        method: report.method,
        depthBefore: report.depthBefore,
        depthAfter: report.depthAfter,
        insertedBlocks: report.insertions.map((i) => i.inserted),
        accuracyBefore: report.accuracyBefore,
        accuracyAfter: report.accuracyAfter,
        seconds: report.seconds,
        at: new Date().toISOString(),
      },
    ],
    metrics: {
      accuracy: report.accuracyAfter,
      loss: report.lossAfter,
      splitFingerprint: report.split.fingerprint,
      data: parent.metrics.data,
    },
    createdAt: new Date().toISOString(),
    backend: report.backend,
    origin: parent.origin,
    inputContract: parent.inputContract,
    frozenThrough: parent.frozenThrough,
  };
}

/** The meta an in-memory grown model would have once saved (for chaining growth steps). */
export function provisionalMeta(parent: ModelMeta, report: GrowReport, parameters: number): ModelMeta {
  return { ...childMeta(parent, report), parameters, weightsSha256: parent.weightsSha256 };
}
