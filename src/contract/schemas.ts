/*
 * The JSON Schema of every message kind (./schemas/KIND.schema.json), the
 * documents docs/design/fleet/asyncapi.yaml refers to. tsc copies them to dist.
 */
import birth from './schemas/birth.schema.json';
import cancel from './schemas/cancel.schema.json';
import deepen from './schemas/deepen.schema.json';
import desired from './schemas/desired.schema.json';
import job from './schemas/job.schema.json';
import rebirth from './schemas/rebirth.schema.json';
import reply from './schemas/reply.schema.json';
import reported from './schemas/reported.schema.json';
import rollback from './schemas/rollback.schema.json';
import rollout from './schemas/rollout.schema.json';
import rolloutControl from './schemas/rollout-control.schema.json';
import state from './schemas/state.schema.json';
import telemetry from './schemas/telemetry.schema.json';
import type { MessageKind } from './messages';

export const MESSAGE_SCHEMAS: Readonly<Record<MessageKind, object>> = {
  state,
  birth,
  job,
  deepen,
  cancel,
  rollback,
  rebirth,
  reply,
  desired,
  reported,
  telemetry,
  rollout,
  'rollout-control': rolloutControl,
};

/** A kind's schema file name, relative to ./schemas/. */
export function schemaFileName(kind: MessageKind): string {
  return `${kind}.schema.json`;
}
