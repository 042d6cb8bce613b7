import { oneLine } from '../util/deepend-error';
/*
 * Every message sent or received goes through here: checked against its
 * kind's JSON Schema (./schemas/), with what is wrong said in one line.
 */
import type { SchemaValidator } from '../util/schema-errors';
import * as compiled from './generated-validators';
import { MessageKind, MessageOfKind } from './messages';
import { schemaProblem } from './problem';
import { isCommandName, ParsedTopic } from './topics';

export type MessageResult<K extends MessageKind> =
  | { ok: true; value: MessageOfKind[K] }
  | { ok: false; problem: string };

/** Same as the config's mqtt.maxPayloadBytes default. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 65536;

// Compiled from ./schemas/ ahead of time by `npm run gen:types` (scripts/lib/schema-validators.ts).
const VALIDATORS: Readonly<Record<MessageKind, SchemaValidator>> = {
  state: compiled.state,
  birth: compiled.birth,
  job: compiled.job,
  deepen: compiled.deepen,
  cancel: compiled.cancel,
  rollback: compiled.rollback,
  rebirth: compiled.rebirth,
  reply: compiled.reply,
  desired: compiled.desired,
  reported: compiled.reported,
  telemetry: compiled.telemetry,
  rollout: compiled.rollout,
  'rollout-control': compiled.rolloutControl,
};

export function validateMessage<K extends MessageKind>(kind: K, payload: unknown): MessageResult<K> {
  const validator = VALIDATORS[kind];
  if (validator(payload)) return { ok: true, value: payload as MessageOfKind[K] };
  const error = validator.errors?.[0];
  return { ok: false, problem: error ? schemaProblem(error, payload) : 'payload: does not match the schema' };
}

/** A received payload: at most maxBytes, UTF-8 JSON, valid for its kind. */
export function decodeMessage<K extends MessageKind>(
  kind: K,
  bytes: Buffer,
  maxBytes = DEFAULT_MAX_PAYLOAD_BYTES,
): MessageResult<K> {
  if (bytes.length > maxBytes)
    return { ok: false, problem: `payload of ${bytes.length} bytes is over the limit of ${maxBytes}` };
  if (bytes.length === 0) return { ok: false, problem: 'empty payload' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, problem: 'malformed JSON: not UTF-8 text' };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, problem: `malformed JSON: ${oneLine((e as Error).message)}` };
  }
  return validateMessage(kind, data);
}

/**
 * The JSON text of a message about to be sent. What is checked is the text's
 * parse, i.e. what goes on the wire (undefined fields dropped, NaN become null).
 * Throws an Error naming the kind and the problem when it is invalid.
 */
export function encodeMessage<K extends MessageKind>(kind: K, value: MessageOfKind[K]): string {
  const text = JSON.stringify(value);
  const checked = validateMessage(kind, text === undefined ? undefined : JSON.parse(text));
  if (!checked.ok) throw new Error(`invalid ${kind} message: ${checked.problem}`);
  return text;
}

/** The kind of message a topic carries; null for a command name the contract does not have. */
export function messageKindOfTopic(parsed: ParsedTopic | { kind: 'rollout' | 'rollout-control' }): MessageKind | null {
  switch (parsed.kind) {
    case 'job':
      return 'job';
    case 'group-desired':
      return 'desired';
    case 'command':
      return isCommandName(parsed.command) ? parsed.command : null;
    default:
      return parsed.kind;
  }
}
