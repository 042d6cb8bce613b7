/*
 * The fleet contract's topic tree (docs/design/fleet/asyncapi.yaml). Every topic a
 * device publishes or obeys is built and parsed here, nowhere else.
 *
 *   deepend/v1/FLEET/DEVICE/state | birth | jobs/JOBID | cmd/NAME | cmd/reply
 *                          /desired | reported | telemetry
 *   deepend/v1/FLEET/groups/GROUP/desired
 *   deepend/v1/FLEET/rollout/ROLLOUTID      (fleet side only: a rollout's plan and progress)
 *   deepend/v1/FLEET/rollout/ROLLOUTID/control   (fleet side only: pause, resume, abort)
 */

export const TOPIC_ROOT = 'deepend/v1';

/** Commands a device obeys on cmd/NAME. */
export const COMMAND_NAMES = ['deepen', 'cancel', 'rollback', 'rebirth'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** 'groups' is the group subtree's segment, so no device may be called that. */
export const GROUPS_SEGMENT = 'groups';

/** 'rollout' is the rollouts' subtree, so no device may be called that either. */
export const ROLLOUT_SEGMENT = 'rollout';

/** Segments that are not device ids. */
export const RESERVED_SEGMENTS: readonly string[] = [GROUPS_SEGMENT, ROLLOUT_SEGMENT];

/** Fleet, device, group and job ids are one topic segment: no '/', '+', '#' or spaces (config's NAME pattern). */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isTopicSegment(s: string): boolean {
  return SEGMENT.test(s);
}

function segment(what: string, s: string): string {
  if (!isTopicSegment(s))
    throw new Error(
      `${what} '${s}' cannot be an MQTT topic segment: use letters, digits, '.', '_' or '-' (at most 128, starting with a letter or digit)`,
    );
  return s;
}

export interface DeviceTopics {
  /** deepend/v1/FLEET/DEVICE */
  base: string;
  state: string;
  birth: string;
  job(jobId: string): string;
  /** deepend/v1/FLEET/DEVICE/jobs/+ */
  jobs: string;
  command(name: CommandName): string;
  /** deepend/v1/FLEET/DEVICE/cmd/+ (also matches cmd/reply, which a device ignores) */
  commands: string;
  reply: string;
  desired: string;
  reported: string;
  telemetry: string;
}

export function deviceTopics(fleet: string, device: string): DeviceTopics {
  segment('fleet', fleet);
  segment('device id', device);
  if (device === GROUPS_SEGMENT) throw new Error(`device id '${device}' is reserved for group topics`);
  if (device === ROLLOUT_SEGMENT) throw new Error(`device id '${device}' is reserved for rollout topics`);
  const base = `${TOPIC_ROOT}/${fleet}/${device}`;
  return {
    base,
    state: `${base}/state`,
    birth: `${base}/birth`,
    job: (jobId) => `${base}/jobs/${segment('job id', jobId)}`,
    jobs: `${base}/jobs/+`,
    command: (name) => `${base}/cmd/${name}`,
    commands: `${base}/cmd/+`,
    reply: `${base}/cmd/reply`,
    desired: `${base}/desired`,
    reported: `${base}/reported`,
    telemetry: `${base}/telemetry`,
  };
}

export function groupDesiredTopic(fleet: string, group: string): string {
  return `${TOPIC_ROOT}/${segment('fleet', fleet)}/${GROUPS_SEGMENT}/${segment('group', group)}/desired`;
}

/** deepend/v1/FLEET/rollout/ROLLOUTID: retained, written by the fleet side that runs the rollout (never by a device). */
export function rolloutTopic(fleet: string, rolloutId: string): string {
  return `${TOPIC_ROOT}/${segment('fleet', fleet)}/${ROLLOUT_SEGMENT}/${segment('rollout id', rolloutId)}`;
}

/** deepend/v1/FLEET/rollout/ROLLOUTID/control: the operator's pause, resume and abort, obeyed by the process running it. */
export function rolloutControlTopic(fleet: string, rolloutId: string): string {
  return `${rolloutTopic(fleet, rolloutId)}/control`;
}

/** Every rollout of a fleet. */
export function rolloutWildcard(fleet: string): string {
  return `${TOPIC_ROOT}/${segment('fleet', fleet)}/${ROLLOUT_SEGMENT}/+`;
}

/** A rollout topic's fleet and id, or null: kept out of parseTopic, which is what devices obey. */
export function parseRolloutTopic(
  topic: string,
): { fleet: string; rolloutId: string; kind: 'rollout' | 'rollout-control' } | null {
  const parts = topic.split('/');
  if (parts.length < 5 || parts.length > 6 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT || parts[3] !== ROLLOUT_SEGMENT)
    return null;
  if (parts.length === 6 && parts[5] !== 'control') return null;
  const [fleet, , rolloutId] = parts.slice(2);
  if (!isTopicSegment(fleet) || !isTopicSegment(rolloutId)) return null;
  return { fleet, rolloutId, kind: parts.length === 6 ? 'rollout-control' : 'rollout' };
}

/** Wildcards a fleet-side client subscribes to: every device's topic of one kind in a fleet ('+' for all fleets). */
export function fleetWildcard(
  fleet: string,
  leaf: 'state' | 'birth' | 'jobs/+' | 'reported' | 'telemetry' | 'cmd/reply' | '#',
): string {
  return `${TOPIC_ROOT}/${fleet === '+' ? '+' : segment('fleet', fleet)}/+/${leaf}`;
}

export type ParsedTopic =
  | { fleet: string; device: string; kind: 'state' | 'birth' | 'desired' | 'reported' | 'telemetry' | 'reply' }
  | { fleet: string; device: string; kind: 'job'; jobId: string }
  | { fleet: string; device: string; kind: 'command'; command: string }
  | { fleet: string; group: string; kind: 'group-desired' };

/** What a topic of the contract is, or null for anything else. Unknown command names parse (to be answered with an error). */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length < 4 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  const [fleet, second, ...rest] = parts.slice(2);
  if (!isTopicSegment(fleet) || !isTopicSegment(second)) return null;
  if (second === GROUPS_SEGMENT) {
    return rest.length === 2 && isTopicSegment(rest[0]) && rest[1] === 'desired'
      ? { fleet, group: rest[0], kind: 'group-desired' }
      : null;
  }
  const device = second;
  if (device === ROLLOUT_SEGMENT) return null;
  if (rest.length === 1) {
    const leaf = rest[0];
    if (leaf === 'state' || leaf === 'birth' || leaf === 'desired' || leaf === 'reported' || leaf === 'telemetry')
      return { fleet, device, kind: leaf };
    return null;
  }
  if (rest.length === 2 && rest[0] === 'jobs' && isTopicSegment(rest[1]))
    return { fleet, device, kind: 'job', jobId: rest[1] };
  if (rest.length === 2 && rest[0] === 'cmd')
    return rest[1] === 'reply'
      ? { fleet, device, kind: 'reply' }
      : { fleet, device, kind: 'command', command: rest[1] };
  return null;
}

export function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}
