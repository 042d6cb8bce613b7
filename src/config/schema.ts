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
    home: { type: 'string', minLength: 1 },
    deviceId: NAME,
    fleet: NAME,
    http: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        maxConnections: { type: 'integer', minimum: 1, maximum: 65535 },
      },
    },
    policy: { type: 'string', minLength: 1 },
    model: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: NAME,
        path: { type: 'string', minLength: 1 },
        freezeThrough: { type: 'string', minLength: 1 },
        inputScale: { type: 'string', pattern: '^\\s*[0-9.eE+-]+\\s*(/\\s*[0-9.eE+-]+\\s*)?$' },
        labels: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
      },
    },
    data: { type: 'string', minLength: 1 },
    mqtt: {
      type: 'object',
      additionalProperties: false,
      properties: {
        url: { type: 'string', pattern: '^(mqtts?|wss?|tcp|tls)://' },
        embeddedPort: { type: 'integer', minimum: 0, maximum: 65535 },
        protocolVersion: { type: 'integer', enum: [4, 5] },
        username: { type: 'string', minLength: 1 },
        password: { type: 'string', minLength: 1 },
        ca: { type: 'string', minLength: 1 },
        cert: { type: 'string', minLength: 1 },
        key: { type: 'string', minLength: 1 },
        maxPayloadBytes: { type: 'integer', minimum: 256, maximum: 268435455 },
        telemetrySeconds: { type: 'integer', minimum: 0 },
        keepaliveSeconds: { type: 'integer', minimum: 5, maximum: 65535 },
        reconnectMinMs: { type: 'integer', minimum: 10 },
        reconnectMaxMs: { type: 'integer', minimum: 10 },
      },
    },
    groups: { type: 'array', items: NAME, uniqueItems: true },
    detect: { type: 'object', additionalProperties: false, properties: { cron: { type: 'string', minLength: 1 } } },
    memory: { type: 'object', additionalProperties: false, properties: { warnMB: { type: 'integer', minimum: 16 } } },
    retention: { type: 'integer', minimum: 1, maximum: 1000 },
    shutdown: {
      type: 'object',
      additionalProperties: false,
      properties: { graceSeconds: { type: 'integer', minimum: 1, maximum: 3600 } },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      properties: { level: { type: 'string', enum: ['debug', 'info', 'warn', 'error'] } },
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
