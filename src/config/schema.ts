/*
 * The config file's JSON Schema. Every key is optional (defaults fill the
 * rest), unknown keys are refused at every level. Each leaf is also settable
 * by an environment variable whose name derives from its path (env.ts).
 */

/** Device ids, fleet and model names end up in MQTT topics and paths: no '/', '+', '#', spaces. */
const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' } as const;

export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    home: { type: 'string', minLength: 1, description: 'State directory (absolute after loading).' },
    deviceId: NAME,
    fleet: NAME,
    http: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        maxConnections: {
          type: 'integer',
          minimum: 1,
          maximum: 65535,
          description: 'Open connections at most (more are closed as they arrive).',
        },
      },
    },
    policy: { type: 'string', minLength: 1, description: 'Policy file (absolute after loading).' },
    model: {
      type: 'object',
      description:
        "The served model: the shipped one, or the user's own (path: a TF.js model directory, .h5 or .keras file; absolute after loading).",
      additionalProperties: false,
      properties: {
        name: NAME,
        path: { type: 'string', minLength: 1 },
        freezeThrough: {
          type: 'string',
          minLength: 1,
          description: "Import options for `path`, as the CLI's --freeze-through, --input-scale and --labels.",
        },
        inputScale: { type: 'string', pattern: '^\\s*[0-9.eE+-]+\\s*(/\\s*[0-9.eE+-]+\\s*)?$' },
        labels: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
      },
    },
    data: {
      type: 'string',
      minLength: 1,
      description: 'Dataset source for growth and the gate: `mnist` or a path the data loader accepts.',
    },
    dataLimit: {
      type: 'integer',
      minimum: 0,
      description:
        'At most this many samples of `data` for a growth and its gate, taken evenly across the classes; 0: all. Bounds the time and memory a growth takes on a device with much local data.',
    },
    growthNice: {
      type: 'integer',
      minimum: 0,
      maximum: 19,
      description:
        "The growth process's CPU priority (Linux nice): 19 lets serving and the device's other work win the CPU whenever they want it; lower gives growth a larger share on a device that is always busy, where at 19 it may barely move.",
    },
    mqtt: {
      type: 'object',
      description: 'The fleet link (docs/design/fleet.md). Credentials and key files are never logged.',
      additionalProperties: false,
      properties: {
        url: {
          type: 'string',
          pattern: '^(mqtts?|wss?|tcp|tls)://',
          description:
            'The fleet broker; none (null after loading) starts the embedded broker on 127.0.0.1:embeddedPort.',
        },
        embeddedPort: {
          type: 'integer',
          minimum: 0,
          maximum: 65535,
          description: 'Port of the embedded broker; 0 picks a free one.',
        },
        protocolVersion: {
          type: 'integer',
          enum: [4, 5],
          description: '5 by default; a broker that refuses MQTT 5 is retried with 3.1.1 (4).',
        },
        username: { type: 'string', minLength: 1 },
        password: { type: 'string', minLength: 1 },
        ca: {
          type: 'string',
          minLength: 1,
          description:
            "PEM files for mqtts: the broker's CA, this device's certificate and key (absolute after loading).",
        },
        cert: { type: 'string', minLength: 1 },
        key: { type: 'string', minLength: 1 },
        maxPayloadBytes: {
          type: 'integer',
          minimum: 256,
          maximum: 268435455,
          description: 'Commands larger than this are answered with an error and not parsed.',
        },
        telemetrySeconds: {
          type: 'integer',
          minimum: 0,
          description: 'How often telemetry is sent; 0 turns it off.',
        },
        retainedJobs: {
          type: 'integer',
          minimum: 1,
          maximum: 10000,
          description:
            "The broker keeps the retained jobs/JOBID reports of this device's last N jobs; an older job's report is cleared (an empty retained message) once N newer jobs exist.",
        },
        keepaliveSeconds: { type: 'integer', minimum: 5, maximum: 65535 },
        reconnectMinMs: {
          type: 'integer',
          minimum: 10,
          description: 'Reconnect backoff: doubles from reconnectMinMs to reconnectMaxMs, with jitter.',
        },
        reconnectMaxMs: { type: 'integer', minimum: 10 },
      },
    },
    groups: { type: 'array', items: NAME, uniqueItems: true },
    detect: {
      type: 'object',
      additionalProperties: false,
      properties: {
        cron: { type: 'string', minLength: 1, description: 'When compute is re-detected (cron expression).' },
      },
    },
    memory: {
      type: 'object',
      additionalProperties: false,
      properties: {
        warnMB: { type: 'integer', minimum: 16, description: 'The memory watchdog warns when RSS stays above this.' },
      },
    },
    retention: {
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      description:
        "Committed model versions kept on disk (plus the committed one, the rollback target and the fleet's desired one).",
    },
    shutdown: {
      type: 'object',
      additionalProperties: false,
      properties: {
        graceSeconds: {
          type: 'integer',
          minimum: 1,
          maximum: 3600,
          description: 'A stop that takes longer than this ends the process anyway (exit 1).',
        },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      properties: {
        level: {
          type: 'string',
          enum: ['debug', 'info', 'warn', 'error'],
          description: "The daemon's log: lines below this level are not written.",
        },
      },
    },
  },
} as const;

export type LeafType = 'string' | 'integer' | 'string-list';

export interface Leaf {
  /** ['http', 'port'] */
  path: string[];
  type: LeafType;
}

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
}

/** Every settable key of the schema, in schema order. */
export function configLeaves(node: SchemaNode = CONFIG_SCHEMA as SchemaNode, prefix: string[] = []): Leaf[] {
  if (node.type === 'object' && node.properties) {
    return Object.entries(node.properties).flatMap(([key, child]) => configLeaves(child, [...prefix, key]));
  }
  return [{ path: prefix, type: leafType(node.type) }];
}

function leafType(schemaType: string | undefined): LeafType {
  if (schemaType === 'integer') return 'integer';
  return schemaType === 'array' ? 'string-list' : 'string';
}
