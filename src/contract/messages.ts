/*
 * Payload types of the fleet contract. The JSON Schemas in ./schemas/ are the
 * one source: what is validated on the wire, and, compiled by `npm run
 * gen:types`, the types in ./generated-types.ts that this module names.
 * Times are ISO 8601 strings in UTC.
 */
import type * as Wire from './generated-types';

export type * from './generated-types';

export type DeviceState = Wire.StateMessage['state'];
/** Every device state, in the schema's order (test/fleet-contract.test.ts checks it against the schema). */
export const DEVICE_STATES = [
  'init',
  'ready',
  'upgrading',
  'degraded',
  'offline',
  'lost',
] as const satisfies readonly DeviceState[];

export type BirthModel = Wire.BirthMessage['model'];

export type JobStatus = Wire.JobMessage['status'];
export const JOB_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'rejected',
  'failed',
  'canceled',
] as const satisfies readonly JobStatus[];

export type CommandMessage = Wire.DeepenCommand | Wire.CancelCommand | Wire.RollbackCommand | Wire.RebirthCommand;

export type ReportedStatus = Wire.ReportedMessage['status'];
export const REPORTED_STATUSES = ['running', 'succeeded', 'failed'] as const satisfies readonly ReportedStatus[];

export const ROLLOUT_STATUSES = [
  'running',
  'stopped',
  'completed',
] as const satisfies readonly Wire.RolloutMessage['status'][];
export const ROLLOUT_DEVICE_STATUSES = [
  'planned',
  'sent',
  'running',
  'succeeded',
  'failed',
  'pending',
] as const satisfies readonly Wire.RolloutMessage['devices'][number]['status'][];

/** Message kinds with a schema, by the file name under ./schemas/ (KIND.schema.json). */
export const MESSAGE_KINDS = [
  'state',
  'birth',
  'job',
  'deepen',
  'cancel',
  'rollback',
  'rebirth',
  'reply',
  'desired',
  'reported',
  'telemetry',
  'rollout',
  'rollout-control',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export interface MessageOfKind {
  state: Wire.StateMessage;
  birth: Wire.BirthMessage;
  job: Wire.JobMessage;
  deepen: Wire.DeepenCommand;
  cancel: Wire.CancelCommand;
  rollback: Wire.RollbackCommand;
  rebirth: Wire.RebirthCommand;
  reply: Wire.ReplyMessage;
  desired: Wire.DesiredMessage;
  reported: Wire.ReportedMessage;
  telemetry: Wire.TelemetryMessage;
  rollout: Wire.RolloutMessage;
  'rollout-control': Wire.RolloutControl;
}
