import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readBody, sendJson } from './http';
import type { Counter } from './metrics';
import type { ModelSlot } from './model-slot';

/** A feedback body is small: one label per instance of a predict request. */
const MAX_FEEDBACK_BYTES = 1024 * 1024;

function parse(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HttpError(400, 'the feedback body must be an object {"request_id": ..., "labels": [...]}');
  return value as Record<string, unknown>;
}

/** A label as a class index, or a class name of the served model. */
function classOf(label: unknown, names: readonly string[], i: number): number {
  if (typeof label === 'number' && Number.isInteger(label) && label >= 0 && label < Math.max(names.length, 2))
    return label;
  if (typeof label === 'string') {
    const k = names.indexOf(label);
    if (k >= 0) return k;
  }
  throw new HttpError(
    400,
    `labels[${i}] is ${JSON.stringify(label)}: give a class index from 0 to ${Math.max(names.length, 2) - 1} or one of the model's labels (${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''})`,
  );
}

/**
 * POST /v1/models/NAME:feedback {"request_id": ID, "labels": [...]}: the true
 * classes of an earlier predict request (its x-request-id answer header), one per
 * instance. Scored against what was answered, and handed to the slot's taps (a
 * shadow run, the watch after a swap), which score the candidate and the new version.
 */
export async function modelFeedback(
  req: IncomingMessage,
  res: ServerResponse,
  slot: ModelSlot,
  counted: Counter,
): Promise<void> {
  const body = parse(await readBody(req, MAX_FEEDBACK_BYTES));
  const requestId = body.request_id;
  if (requestId === undefined)
    throw new HttpError(400, 'request_id is missing: give the x-request-id header of the predict answer');
  if (typeof requestId !== 'string' || requestId.length === 0)
    throw new HttpError(400, `request_id must be the x-request-id header's text, got ${JSON.stringify(requestId)}`);
  if (body.labels === undefined && body.label === undefined)
    throw new HttpError(400, 'labels is missing: give one label per instance of the request');
  const raw = body.labels ?? [body.label];
  if (!Array.isArray(raw))
    throw new HttpError(400, `labels must be a list, one label per instance, got ${JSON.stringify(raw).slice(0, 40)}`);
  const answered = slot.answers.get(requestId);
  if (!answered)
    throw new HttpError(
      404,
      `request ${JSON.stringify(requestId)} is not among the last ${slot.answers.capacity} predict answers (${slot.answers.instanceCapacity} instances) of model ${slot.name}`,
    );
  if (answered.labelled)
    throw new HttpError(409, `the labels of request ${requestId} were already sent: each request is scored once`);
  if (raw.length !== answered.classes.length)
    throw new HttpError(
      400,
      `request ${requestId} had ${answered.classes.length} instance(s); got ${raw.length} label(s)`,
    );
  const names = slot.current()?.meta.labels ?? [];
  const labels = raw.map((label, i) => classOf(label, names, i));
  const correct = labels.filter((c, i) => c === answered.classes[i]).length;
  slot.answers.markLabelled(requestId);
  slot.observeFeedback({ requestId, version: answered.version, labels, classes: answered.classes });
  const version = String(answered.version);
  if (correct > 0) counted.inc({ model: slot.name, version, correct: 'true' }, correct);
  if (correct < labels.length) counted.inc({ model: slot.name, version, correct: 'false' }, labels.length - correct);
  sendJson(res, 200, { request_id: requestId, version: answered.version, instances: labels.length, correct });
}
