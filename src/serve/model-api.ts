// The TF Serving REST endpoints under /v1/models/NAME.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { activeBackend } from '../compute/backend';
import { tf } from '../tf';
import { MicroBatcher } from './batcher';
import type { Counter } from './metrics';
import { HttpError, readBody, sendJson } from './http';
import { parseBatch } from './instances';
import { ModelSlot } from './model-slot';
import { outputWidth, ServedModel, servingNormalisationOf } from './served-model';
import { originOf } from '../model/meta';
import { outputReading } from '../model/arch';
import { classesOf } from './predict-tap';

export const VERSION_HEADER = 'x-model-version';
/** A predict answer's id, for POST :feedback; a client's own id in this header is kept when it is a plain token. */
export const REQUEST_ID_HEADER = 'x-request-id';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's own id when it is a plain token this slot has not answered yet (feedback must name one answer), else a UUID. */
function requestIdOf(req: IncomingMessage, slot: ModelSlot): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && REQUEST_ID.test(given) && !slot.answers.has(given) ? given : randomUUID();
}

export interface PredictContext {
  maxBodyBytes: number;
  maxInstances: number;
  batcher: MicroBatcher;
  /** Counts predict requests the model answered with NaN or Infinity, by model. */
  nonFinite: Counter;
  /** Counts the labels of POST :feedback, by model, version and whether the answer was right. */
  feedbackLabels: Counter;
}

/** The first output that is not a finite number, as `input I, output J`, or undefined. */
function firstNonFinite(rows: number[][]): string | undefined {
  for (let i = 0; i < rows.length; i++) {
    const j = rows[i].findIndex((v) => !Number.isFinite(v));
    if (j >= 0) return `input ${i}, output ${j} is ${rows[i][j]}`;
  }
  return undefined;
}

export function slotFor(slots: Map<string, ModelSlot>, name: string): ModelSlot {
  const slot = slots.get(name);
  if (!slot)
    throw new HttpError(
      404,
      `model ${JSON.stringify(name)} is not served here (served: ${[...slots.keys()].join(', ') || 'none'})`,
    );
  return slot;
}

function noVersion(slot: ModelSlot): HttpError {
  return new HttpError(503, `model ${slot.name} has no version loaded yet`, { 'retry-after': '1' });
}

function checkVersion(slot: ModelSlot, served: ServedModel, version: number | undefined): void {
  if (version !== undefined && version !== served.version) {
    throw new HttpError(404, `model ${slot.name} version ${version} is not serving (version ${served.version} is)`);
  }
}

/** GET /v1/models/NAME[/versions/N]: TF Serving's model_version_status. */
export function modelStatus(res: ServerResponse, slot: ModelSlot, version: number | undefined): void {
  let versions = slot.versions();
  if (versions.length === 0) throw noVersion(slot);
  if (version !== undefined) {
    versions = versions.filter((v) => v.version === version);
    if (versions.length === 0) throw new HttpError(404, `model ${slot.name} has no version ${version} loaded`);
  }
  sendJson(res, 200, {
    model_version_status: versions.map((v) => ({
      version: String(v.version),
      state: v.state,
      status: { error_code: 'OK', error_message: '' },
    })),
  });
}

function tensorInfo(name: string, shape: readonly (number | null)[]) {
  return {
    dtype: 'DT_FLOAT',
    tensor_shape: { dim: shape.map((d) => ({ size: String(d ?? -1), name: '' })), unknown_rank: false },
    name,
  };
}

/** GET /v1/models/NAME[/versions/N]/metadata: a TF Serving signature plus deepend's own facts. */
export function modelMetadata(res: ServerResponse, slot: ModelSlot, version: number | undefined): void {
  const served = slot.current();
  if (!served) throw noVersion(slot);
  checkVersion(slot, served, version);
  const { model, meta } = served;
  const signature = {
    inputs: { [model.inputs[0].name]: tensorInfo(model.inputs[0].name, [-1, ...meta.inputShape]) },
    outputs: { [model.outputs[0].name]: tensorInfo(model.outputs[0].name, [-1, outputWidth(served)]) },
    method_name: 'tensorflow/serving/predict',
  };
  sendJson(
    res,
    200,
    {
      model_spec: { name: slot.name, signature_name: '', version: String(served.version) },
      metadata: {
        signature_def: { signature_def: { serving_default: signature } },
        deepend: {
          version: served.version,
          family: meta.family,
          depth: meta.depth,
          inputShape: meta.inputShape,
          labels: meta.labels,
          output: outputReading(meta.arch.output, outputWidth(served)),
          normalisation: servingNormalisationOf(meta),
          inputContract: meta.inputContract ?? null,
          origin: originOf(meta),
          parameters: meta.parameters,
          sha256: meta.weightsSha256,
          accuracy: meta.metrics.accuracy ?? null,
          createdAt: meta.createdAt,
          backend: activeBackend()?.name ?? tf.getBackend(),
        },
      },
    },
    { [VERSION_HEADER]: String(served.version) },
  );
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * POST /v1/models/NAME[/versions/N]:predict. The body is read before a version
 * is leased, so a slow upload never holds a version back from being disposed.
 */
export async function modelPredict(
  req: IncomingMessage,
  res: ServerResponse,
  slot: ModelSlot,
  version: number | undefined,
  ctx: PredictContext,
): Promise<void> {
  const body = parseJson(await readBody(req, ctx.maxBodyBytes));
  const requestId = requestIdOf(req, slot);
  const lease = slot.acquire();
  if (!lease) throw noVersion(slot);
  let rows: number[][];
  let format: 'row' | 'columnar';
  let x: Float32Array;
  let count: number;
  let ms: number;
  try {
    checkVersion(slot, lease.served, version);
    const batch = parseBatch(body, lease.served.meta.inputShape, ctx.maxInstances);
    ({ format, x, count } = batch);
    const started = performance.now();
    try {
      rows = await ctx.batcher.predict(lease.served, x, count);
    } catch (err) {
      slot.observeFailure(lease.served.version);
      throw err;
    }
    ms = performance.now() - started;
    const bad = firstNonFinite(rows);
    if (bad) {
      ctx.nonFinite.inc({ model: slot.name });
      slot.observeFailure(lease.served.version);
      throw new HttpError(
        500,
        `model ${slot.name} version ${lease.served.version} answered a non-finite value (${bad}): the input is outside what the model can handle`,
      );
    }
  } finally {
    lease.release();
  }
  const answer = format === 'row' ? { predictions: rows } : { outputs: rows };
  sendJson(res, 200, answer, { [VERSION_HEADER]: String(lease.served.version), [REQUEST_ID_HEADER]: requestId });
  slot.observePredict({
    requestId,
    served: lease.served,
    x,
    count,
    classes: classesOf(rows, lease.served.meta.arch.output),
    ms,
  });
}
