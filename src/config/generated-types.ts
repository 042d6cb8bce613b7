// Generated from CONFIG_SCHEMA in src/config/schema.ts by `npm run gen:types`: do not edit.
// The schema is the one source; test/schema-types.test.ts fails when this file is stale.

export interface ConfigFile {
  /**
   * State directory (absolute after loading).
   */
  home?: string;
  deviceId?: string;
  fleet?: string;
  http?: {
    host?: string;
    port?: number;
    /**
     * Open connections at most (more are closed as they arrive).
     */
    maxConnections?: number;
  };
  /**
   * Policy file (absolute after loading).
   */
  policy?: string;
  /**
   * The served model: the shipped one, or the user's own (path: a TF.js model directory, .h5 or .keras file; absolute after loading).
   */
  model?: {
    name?: string;
    path?: string;
    /**
     * Import options for `path`, as the CLI's --freeze-through, --input-scale and --labels.
     */
    freezeThrough?: string;
    inputScale?: string;
    /**
     * @minItems 1
     */
    labels?: string[];
  };
  /**
   * Dataset source for growth and the gate: `mnist` or a path the data loader accepts.
   */
  data?: string;
  /**
   * At most this many samples of `data` for a growth and its gate, taken evenly across the classes; 0: all. Bounds the time and memory a growth takes on a device with much local data.
   */
  dataLimit?: number;
  /**
   * The growth process's CPU priority (Linux nice): 19 lets serving and the device's other work win the CPU whenever they want it; lower gives growth a larger share on a device that is always busy, where at 19 it may barely move.
   */
  growthNice?: number;
  /**
   * The fleet link (docs/design/fleet.md). Credentials and key files are never logged.
   */
  mqtt?: {
    /**
     * The fleet broker; none (null after loading) starts the embedded broker on 127.0.0.1:embeddedPort.
     */
    url?: string;
    /**
     * Port of the embedded broker; 0 picks a free one.
     */
    embeddedPort?: number;
    /**
     * 5 by default; a broker that refuses MQTT 5 is retried with 3.1.1 (4).
     */
    protocolVersion?: 4 | 5;
    username?: string;
    password?: string;
    /**
     * PEM files for mqtts: the broker's CA, this device's certificate and key (absolute after loading).
     */
    ca?: string;
    cert?: string;
    key?: string;
    /**
     * Commands larger than this are answered with an error and not parsed.
     */
    maxPayloadBytes?: number;
    /**
     * How often telemetry is sent; 0 turns it off.
     */
    telemetrySeconds?: number;
    /**
     * The broker keeps the retained jobs/JOBID reports of this device's last N jobs; an older job's report is cleared (an empty retained message) once N newer jobs exist.
     */
    retainedJobs?: number;
    keepaliveSeconds?: number;
    /**
     * Reconnect backoff: doubles from reconnectMinMs to reconnectMaxMs, with jitter.
     */
    reconnectMinMs?: number;
    reconnectMaxMs?: number;
  };
  groups?: string[];
  detect?: {
    /**
     * When compute is re-detected (cron expression).
     */
    cron?: string;
  };
  memory?: {
    /**
     * The memory watchdog warns when RSS stays above this.
     */
    warnMB?: number;
  };
  /**
   * Committed model versions kept on disk (plus the committed one, the rollback target and the fleet's desired one).
   */
  retention?: number;
  shutdown?: {
    /**
     * A stop that takes longer than this ends the process anyway (exit 1).
     */
    graceSeconds?: number;
  };
  log?: {
    /**
     * The daemon's log: lines below this level are not written.
     */
    level?: 'debug' | 'info' | 'warn' | 'error';
  };
}
