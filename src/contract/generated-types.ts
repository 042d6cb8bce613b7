// Generated from src/contract/schemas/*.schema.json by `npm run gen:types`: do not edit.
// The schema is the one source; test/schema-types.test.ts fails when this file is stale.

/**
 * deepend/v1/FLEET/DEVICE/state, retained, QoS 1. Also the MQTT Last Will (state 'lost'), so a device that vanishes is seen as lost.
 */
export interface StateMessage {
  /**
   * 'offline' is published before a clean disconnect, 'lost' is the Last Will.
   */
  state: 'init' | 'ready' | 'upgrading' | 'degraded' | 'offline' | 'lost';
  /**
   * The connection's session counter, increased before every connection attempt; a will from an older session than the latest state is stale.
   */
  session: number;
  /**
   * When the state was entered. For `lost` (the Last Will, written before it is needed) this is when the connection that left the will was made.
   */
  ts: string;
}

/**
 * A fleet, device, group or model name: one MQTT topic segment (letters, digits, '.', '_' or '-').
 */
export type Name = string;

/**
 * deepend/v1/FLEET/DEVICE/birth, retained, QoS 1: what the device is. Sent on every connect and on cmd/rebirth.
 */
export interface BirthMessage {
  /**
   * The device id (config deviceId, the topic's DEVICE).
   */
  device: string;
  /**
   * The fleet (config fleet, the topic's FLEET).
   */
  fleet: string;
  /**
   * The groups the device is configured into; it obeys groups/GROUP/desired for these.
   */
  groups: Name[];
  /**
   * The connection's session counter (see state).
   */
  session: number;
  /**
   * The deepend daemon's version.
   */
  daemonVersion: string;
  /**
   * Hardware facts as detected.
   */
  hardware: {
    /**
     * The CPU.
     */
    cpu: {
      /**
       * CPU model as the OS reports it (may be empty on some boards).
       */
      model: string;
      /**
       * Logical cores (0 when the OS does not say).
       */
      cores: number;
    };
    /**
     * Total system memory.
     */
    memoryBytes: number;
    /**
     * GPUs found, possibly none.
     */
    gpus: {
      /**
       * GPU vendor.
       */
      vendor: string;
      /**
       * GPU model.
       */
      model: string;
      /**
       * Dedicated memory (for unified-memory devices the shared system memory), null when unknown.
       */
      vramBytes: number | null;
    }[];
    /**
     * The NVIDIA Jetson module, null on anything else.
     */
    jetson: {
      /**
       * Jetson module model.
       */
      model: string;
      /**
       * L4T release, when known.
       */
      l4t?: string;
    } | null;
    /**
     * CPU and GPU share memory (Jetson, Apple silicon).
     */
    unifiedMemory: boolean;
    /**
     * Node's process.arch (x64, arm64, ...).
     */
    arch: string;
    /**
     * sha256 (64 lowercase hex digits) over the stable hardware facts, so it changes when the hardware does; empty until the hardware is detected.
     */
    fingerprint: string;
  };
  /**
   * The TF.js backend serving predictions (tensorflow, wasm, cpu, ...).
   */
  backend: string;
  /**
   * The upgrade policy in force.
   */
  policy: {
    /**
     * The policy's name.
     */
    name: string;
    /**
     * sha256 (64 lowercase hex digits) of the policy file's bytes; empty when no policy is loaded.
     */
    hash: string;
    /**
     * The rule matching this hardware, null when none does.
     */
    rule: string | null;
    /**
     * The matching rule's target depth, null when no rule matches.
     */
    targetDepth: number | null;
  };
  /**
   * The committed model.
   */
  model: {
    /**
     * A fleet, device, group or model name: one MQTT topic segment (letters, digits, '.', '_' or '-').
     */
    name: string;
    /**
     * The committed (serving) model version.
     */
    version: number;
    /**
     * The committed version's depth in blocks.
     */
    depth: number;
    /**
     * The committed version's validation accuracy, null when unknown.
     */
    accuracy: number | null;
    /**
     * sha256 of the committed version's weights.
     */
    sha256: string;
    /**
     * Present when the committed version failed its checksum or load at start: this older version serves instead, and fromVersion was quarantined.
     */
    fallback?: {
      /**
       * The version that was corrupt.
       */
      fromVersion: number;
      /**
       * Why the device fell back.
       */
      reason: 'corrupt';
    };
    /**
     * Where the committed model's lineage came from: deepend's own model, or a user's export deepend imported.
     */
    origin?: {
      /**
       * deepend for its own models; else the format the user's model was imported from.
       */
      format: 'deepend' | 'tfjs-layers' | 'keras-h5' | 'keras-v3';
      /**
       * What made the imported model (Keras version, converter), null when unknown.
       */
      producer?: string | null;
      /**
       * The depth the lineage started with; policies' blocksMore counts from it.
       */
      depthAtImport: number;
    };
  };
  /**
   * Present while the device serves read-only: it started on a disk it cannot write (full, read-only, failing) and runs no job until it can.
   */
  readOnly?: {
    /**
     * Why the disk cannot be written.
     */
    reason: string;
    /**
     * Since when.
     */
    since: string;
  };
  /**
   * The predict endpoint when serving, else null.
   */
  predictUrl: string | null;
  /**
   * When the snapshot was taken.
   */
  ts: string;
}

/**
 * deepend/v1/FLEET/DEVICE/jobs/JOBID, retained, QoS 1: the latest status of one job, on every transition and, while it runs, progress at most once a second.
 */
export interface JobMessage {
  /**
   * The job (also the topic's JOBID).
   */
  jobId: string;
  /**
   * The command that created the job, when a command did.
   */
  commandId?: string;
  /**
   * What the job does.
   */
  kind: 'upgrade' | 'rollback';
  /**
   * What started it: the policy, the local control API or CLI, or the fleet.
   */
  trigger: 'automatic' | 'manual' | 'fleet';
  /**
   * 'rejected': the gate refused the grown model (not an error); 'failed': something went wrong.
   */
  status: 'queued' | 'running' | 'succeeded' | 'rejected' | 'failed' | 'canceled';
  /**
   * The job's state machine step: queued, parked (queued by the daemon's stop, resumed at its next start), planning, growing, stage1, stage2, validating, swapping, or the terminal status.
   */
  step: string;
  /**
   * Progress through the whole job.
   */
  percent: number;
  /**
   * The committed depth when the job started.
   */
  depthBefore: number;
  /**
   * The depth the job grows to (or rolls back to: 0 for a user's model whose head had no hidden layer), null until planned.
   */
  depthAfter: number | null;
  /**
   * The starting model's validation accuracy, null until measured.
   */
  accuracyBefore: number | null;
  /**
   * The candidate's validation accuracy, null until measured.
   */
  accuracyAfter: number | null;
  /**
   * While growing: the candidate's latest validation accuracy (measured at the end of an epoch of its training), for the learning curve; absent before the first.
   */
  validationAccuracy?: number | null;
  /**
   * The held-out accuracy the candidate must reach to be committed: the policy gate's minAccuracy, or accuracyBefore plus its minGain, whichever is higher; absent until both are known.
   */
  gateAccuracy?: number | null;
  /**
   * Why the job was rejected, failed or canceled.
   */
  reason?: string;
  /**
   * The rollout this job carries out, when it came from a desired document.
   */
  rolloutId?: string;
  /**
   * The candidate's shadow run on live predict requests (policy `shadow`), once the job has ended: the requests and instances compared beside the served version, how often they disagreed, both models' forward times on the same inputs, and their accuracy on labels clients sent (POST :feedback).
   */
  shadow?: {
    /**
     * The version that served while the candidate shadowed it.
     */
    servedVersion: number;
    /**
     * Live predict requests the candidate answered beside the served version.
     */
    requests: number;
    /**
     * Instances in those requests.
     */
    instances: number;
    /**
     * Requests that went by uncompared (a comparison was busy, or the shadow's share of the serving thread was used up).
     */
    skipped: number;
    /**
     * Share of compared instances the candidate answered with another class; null with none.
     */
    disagreement: number | null;
    /**
     * Median forward time of the served version on the compared inputs (ms); null with none.
     */
    servedP50Ms: number | null;
    /**
     * 99th percentile forward time of the served version on the compared inputs (ms); null with none.
     */
    servedP99Ms: number | null;
    /**
     * Median forward time of the candidate on the same inputs, back to back (ms); null with none.
     */
    candidateP50Ms: number | null;
    /**
     * 99th percentile forward time of the candidate on the same inputs (ms); null with none.
     */
    candidateP99Ms: number | null;
    /**
     * Compared instances whose true labels clients sent (POST /v1/models/NAME:feedback) while the shadow ran.
     */
    labelled: number;
    /**
     * The served version's accuracy on those labels; null with none.
     */
    servedAccuracy: number | null;
    /**
     * The candidate's accuracy on those labels; null with none.
     */
    candidateAccuracy: number | null;
    /**
     * How long the shadow ran.
     */
    seconds: number;
    /**
     * What ended it: the requests it wanted were compared, its minutes passed, or the job was canceled or the daemon stopped.
     */
    endedBy: 'requests' | 'minutes' | 'stopped';
  };
  /**
   * The watch after the swap (policy `watch`): on the upgrade that swapped the version in, once the watch has ended; on the rollback it caused, from the start.
   */
  watch?: {
    /**
     * The version the upgrade swapped in.
     */
    version: number;
    /**
     * The version it replaced (and a rollback returns to).
     */
    fromVersion: number;
    /**
     * How long the watch ran.
     */
    seconds: number;
    /**
     * passed: its minutes ran out with every figure within its limit; rolled-back: a figure crossed its limit and the daemon rolled back; superseded: another version began to serve; stopped: the daemon stopped.
     */
    verdict: 'passed' | 'rolled-back' | 'superseded' | 'stopped';
    /**
     * Why it rolled back, with the figures; null otherwise.
     */
    reason: string | null;
    /**
     * Predict requests the new version answered during the watch.
     */
    requests: number;
    /**
     * Predict requests it failed to answer (5xx).
     */
    failures: number;
    /**
     * failures over all its requests; null with none.
     */
    errorRate: number | null;
    /**
     * Total variation distance between its answered classes and the old version's; null until both have enough instances.
     */
    shift: number | null;
    /**
     * Its p99 predict latency on the request path (ms); null with none.
     */
    p99Ms: number | null;
    /**
     * The old version's, before the swap (ms); null with none.
     */
    fromP99Ms: number | null;
    /**
     * Its answers whose labels clients sent (POST :feedback).
     */
    labelled: number;
    /**
     * Its accuracy on those labels; null with none.
     */
    accuracy: number | null;
    /**
     * The old version's accuracy on the labels sent for its answers; null with none.
     */
    fromAccuracy: number | null;
  };
  /**
   * When this status was recorded.
   */
  ts: string;
}

/**
 * deepend/v1/FLEET/DEVICE/cmd/deepen, QoS 1, not retained: grow the model to toDepth. Answered on cmd/reply (and the MQTT 5 response topic) with the job id.
 */
export interface DeepenCommand {
  /**
   * Unique per command: a redelivery with the same id is answered with the first answer and never run twice.
   */
  commandId: string;
  /**
   * When given and past on arrival, the command is not run and is answered with an error.
   */
  expiresAt?: string;
  /**
   * The depth to grow the model to, in blocks.
   */
  toDepth: number;
  /**
   * The growth method; absent means the matching policy rule's.
   */
  method?: 'dils' | 'identity' | 'morphism' | 'lookahead' | 'random';
}

/**
 * deepend/v1/FLEET/DEVICE/cmd/cancel, QoS 1, not retained: cancel a queued or running job.
 */
export interface CancelCommand {
  /**
   * Unique per command: a redelivery with the same id is answered with the first answer and never run twice.
   */
  commandId: string;
  /**
   * When given and past on arrival, the command is not run and is answered with an error.
   */
  expiresAt?: string;
  /**
   * The job to cancel.
   */
  jobId: string;
}

/**
 * deepend/v1/FLEET/DEVICE/cmd/rollback, QoS 1, not retained: serve an earlier model version again.
 */
export interface RollbackCommand {
  /**
   * Unique per command: a redelivery with the same id is answered with the first answer and never run twice.
   */
  commandId: string;
  /**
   * When given and past on arrival, the command is not run and is answered with an error.
   */
  expiresAt?: string;
  /**
   * The model version to go back to; absent means the one before the committed one.
   */
  version?: number;
}

/**
 * deepend/v1/FLEET/DEVICE/cmd/rebirth, QoS 1, not retained: publish the birth again.
 */
export interface RebirthCommand {
  /**
   * Unique per command: a redelivery with the same id is answered with the first answer and never run twice.
   */
  commandId: string;
  /**
   * When given and past on arrival, the command is not run and is answered with an error.
   */
  expiresAt?: string;
}

/**
 * deepend/v1/FLEET/DEVICE/cmd/reply and, for MQTT 5 commands with a response topic, that topic with the correlation data: the answer to one command.
 */
export interface ReplyMessage {
  /**
   * The command answered; null when the payload was too malformed to hold a valid one.
   */
  commandId: string | null;
  /**
   * The command's name from its topic (deepen, cancel, rollback, rebirth, or the unknown name that was refused); null when unknown.
   */
  command: string | null;
  /**
   * True when the command was accepted.
   */
  ok: boolean;
  /**
   * The job the command created or acted on.
   */
  jobId?: string;
  /**
   * Why the command was refused (one line); required when ok is false.
   */
  error?: string;
  /**
   * What kind of refusal, by deepend's stable error codes (docs/guides/troubleshooting.md): usage, conflict, unavailable, not-found, data, model, store, disk-full, internal, ...; absent when ok is true, and in replies of daemons before 0.2.
   */
  code?: string;
  /**
   * True when this repeats the first answer to a command id already processed.
   */
  duplicate?: boolean;
  /**
   * When the answer was made.
   */
  ts: string;
}

/**
 * deepend/v1/FLEET/DEVICE/desired and deepend/v1/FLEET/groups/GROUP/desired, retained, QoS 1: where a rollout wants the device to be. Acted on once per rolloutId; a device-specific document wins over a group's.
 */
export interface DesiredMessage {
  /**
   * The rollout; the job that carries it out has the command id rollout:ROLLOUTID.
   */
  rolloutId: string;
  /**
   * The depth the rollout wants, in blocks.
   */
  toDepth: number;
  /**
   * The growth method; absent means the matching policy rule's.
   */
  method?: 'dils' | 'identity' | 'morphism' | 'lookahead' | 'random';
  /**
   * When the fleet side published the document.
   */
  ts: string;
}

/**
 * deepend/v1/FLEET/DEVICE/reported, retained, QoS 1: how far the device got towards the desired document it last acted on.
 */
export interface ReportedMessage {
  /**
   * The rollout answered.
   */
  rolloutId: string;
  /**
   * Which desired document: 'device' (the device's own) or 'group:GROUP'.
   */
  source: string;
  /**
   * The depth the desired document asked for.
   */
  toDepth: number;
  /**
   * 'failed' includes a job the gate rejected; reason says why.
   */
  status: 'running' | 'succeeded' | 'failed';
  /**
   * The job carrying the rollout out, null when none was created.
   */
  jobId: string | null;
  /**
   * The committed depth now.
   */
  depth: number;
  /**
   * The committed model version now.
   */
  modelVersion: number;
  /**
   * Why the rollout failed on this device; with running, what it waits for (the watch after the swap to vN, until when).
   */
  reason?: string;
  /**
   * When this was reported.
   */
  ts: string;
}

/**
 * deepend/v1/FLEET/DEVICE/telemetry, QoS 0, not retained, every mqtt.telemetrySeconds while connected.
 */
export interface TelemetryMessage {
  /**
   * The TF.js backend serving predictions.
   */
  backend: string;
  /**
   * Predictions served per second since the previous telemetry message.
   */
  predictRate: number;
  /**
   * Predict latency over the same window.
   */
  latencyMs: {
    /**
     * Median predict latency, null without predictions.
     */
    p50: number | null;
    /**
     * 99th percentile predict latency, null without predictions.
     */
    p99: number | null;
  };
  /**
   * Memory use.
   */
  memory: {
    /**
     * Resident set size of the daemon.
     */
    rssBytes: number;
    /**
     * V8 heap in use.
     */
    heapUsedBytes: number;
    /**
     * Live TF.js tensors, null when not known.
     */
    tensors: number | null;
  };
  /**
   * Seconds since the daemon started.
   */
  uptimeSeconds: number;
  /**
   * When the sample was taken.
   */
  ts: string;
}

/**
 * An RFC 3339 (ISO 8601) date-time; deepend sends UTC with a Z, e.g. 2025-01-31T12:00:00.000Z.
 */
export type Ts = string;

/**
 * deepend/v1/FLEET/rollout/ROLLOUTID, retained, QoS 1, written by the fleet side that runs the rollout (deepend fleet rollout), never by a device: its plan and every device's progress, rewritten as it advances, so that another CLI or console sees it and `deepend fleet rollout --resume ROLLOUTID` can carry it on.
 */
export interface RolloutMessage {
  /**
   * The rollout (also the topic's ROLLOUTID).
   */
  rolloutId: string;
  /**
   * The fleet (also the topic's FLEET).
   */
  fleet: string;
  /**
   * 'running': unfinished (resumable); 'stopped': a wave or batch failed its rule; 'completed': every wave or batch went out.
   */
  status: 'running' | 'stopped' | 'completed';
  /**
   * What the rollout was started with; a resumed rollout keeps them.
   */
  params: {
    /**
     * Only the devices whose birth lists this group; null: the whole fleet.
     */
    group: string | null;
    /**
     * The depth the rollout grows devices to.
     */
    toDepth: number;
    /**
     * How new layers start; null: each device's policy rule.
     */
    method: 'dils' | 'identity' | 'morphism' | 'lookahead' | 'random' | null;
    /**
     * Share of the devices in the canary batch (0 with waves or without a canary).
     */
    canaryPct: number;
    /**
     * Share of the devices per batch after the canary.
     */
    batchPct: number;
    /**
     * The most devices that may fail or be rejected, in % of those that answered: of the rollout for batches, of each wave with waves.
     */
    maxFailuresPct: number;
    /**
     * The waves' cumulative percentages of the target set; null: canary and batches.
     *
     * @minItems 1
     */
    wavesPct: number[] | null;
    /**
     * Seconds between two waves or batches.
     */
    pauseS: number;
    /**
     * A wave passes only if the median of its measured gains (points) is at least this; null: no such rule.
     */
    minMedianGain: number | null;
    /**
     * A wave passes only if none of its devices lost more points than this; null: no such rule.
     */
    maxLoss: number | null;
    /**
     * The wave that stopped the rollout is rolled back.
     */
    rollbackOnStop: boolean;
  };
  /**
   * Batch 0 is a canary.
   */
  hasCanary: boolean;
  /**
   * How many waves or batches the plan has.
   */
  batchCount: number;
  /**
   * The wave or batch (from 0) being sent or waited for; batchCount once all are done.
   */
  currentBatch: number;
  /**
   * When the current wave may be sent (the pause after the one before); null: at once.
   */
  nextBatchAt: Ts | null;
  /**
   * Set while the operator holds the rollout (rollout/ROLLOUTID/control `pause`): no further wave or batch is sent until `resume`; absent or null: not paused.
   */
  paused?: {
    /**
     * An RFC 3339 (ISO 8601) date-time; deepend sends UTC with a Z, e.g. 2025-01-31T12:00:00.000Z.
     */
    at: string;
    /**
     * Who paused it (rollout-control's `by`).
     */
    by: string;
  } | null;
  /**
   * The group's desired document was published (devices that join the group later converge).
   */
  groupPublished: boolean;
  /**
   * The wave or batch that stopped the rollout, the rule it failed and its figures; null unless stopped.
   */
  stop: {
    /**
     * The wave or batch, from 0.
     */
    batch: number;
    /**
     * The rule it failed ('no-success': no device of the first wave or canary succeeded; 'aborted': the operator aborted it before this wave or batch was sent, from the console).
     */
    rule: 'max-failures' | 'min-median-gain' | 'max-loss' | 'no-success' | 'aborted';
    /**
     * The rule and its figures in one line.
     */
    why: string;
  } | null;
  /**
   * Devices of the target set that were lost or offline when the rollout was planned (in the plan all the same).
   */
  lostAtPlan: {
    /**
     * The device.
     */
    device: string;
    /**
     * Its retained state then.
     */
    state: 'lost' | 'offline';
    /**
     * When it went lost or offline (its state's ts).
     */
    since: Ts | null;
  }[];
  /**
   * Every device of the plan, sorted by wave or batch, then id.
   */
  devices: {
    /**
     * The device.
     */
    device: string;
    /**
     * Its wave or batch, from 0.
     */
    batch: number;
    /**
     * planned: not sent yet; sent: desired published, no answer; running, succeeded, failed: its `reported`; pending: its wave ended before it answered.
     */
    status: 'planned' | 'sent' | 'running' | 'succeeded' | 'failed' | 'pending';
    /**
     * Its depth as it last reported it.
     */
    depth: number | null;
    /**
     * The job that carried the rollout out on the device.
     */
    jobId: string | null;
    /**
     * That job's last status: tells a rejected candidate from a failure.
     */
    jobStatus: 'queued' | 'running' | 'succeeded' | 'rejected' | 'failed' | 'canceled' | null;
    /**
     * The job's held-out accuracy of the model it started from.
     */
    accuracyBefore: number | null;
    /**
     * The job's held-out accuracy of the candidate.
     */
    accuracyAfter: number | null;
    /**
     * Why it failed, as it reported.
     */
    reason: string | null;
    /**
     * --rollback-on-stop: 'sent', 'done' or 'failed: WHY'; null when not asked.
     */
    rollback: string | null;
  }[];
  /**
   * An RFC 3339 (ISO 8601) date-time; deepend sends UTC with a Z, e.g. 2025-01-31T12:00:00.000Z.
   */
  createdAt: string;
  /**
   * An RFC 3339 (ISO 8601) date-time; deepend sends UTC with a Z, e.g. 2025-01-31T12:00:00.000Z.
   */
  ts: string;
}

/**
 * deepend/v1/FLEET/rollout/ROLLOUTID/control, QoS 1, not retained, fleet side only: the operator's pause, resume or abort of a rollout, obeyed by whichever process runs it (a CLI or a console). It answers by rewriting rollout/ROLLOUTID.
 */
export interface RolloutControl {
  /**
   * Chosen by the sender, unique per command; a redelivery with the same id is obeyed once.
   */
  commandId: string;
  /**
   * The rollout, as in the topic.
   */
  rolloutId: string;
  /**
   * pause: no further wave or batch is sent until resumed (devices already sent their desired document carry it out); resume: carry on; abort: end it stopped by the rule 'aborted' before the next wave or batch, sending nothing more.
   */
  action: 'pause' | 'resume' | 'abort';
  /**
   * Who asked, for the rollout's record and its progress lines (e.g. 'console on ops-laptop').
   */
  by: string;
  /**
   * When it was sent: an RFC 3339 (ISO 8601) date-time in UTC.
   */
  ts: string;
}
