import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';
import { GROWTH_METHODS } from '../src/grow/types';
import { JOB_KINDS, JOB_TRIGGERS } from '../src/store/job-states';
import {
  DEVICE_STATES,
  JOB_STATUSES,
  MESSAGE_KINDS,
  MessageKind,
  MessageOfKind,
  REPORTED_STATUSES,
} from '../src/contract/messages';
import { MESSAGE_SCHEMAS, schemaFileName } from '../src/contract/schemas';
import {
  COMMAND_NAMES,
  deviceTopics,
  fleetWildcard,
  groupDesiredTopic,
  parseRolloutTopic,
  parseTopic,
  rolloutTopic,
  rolloutControlTopic,
  ParsedTopic,
} from '../src/contract/topics';
import { decodeMessage, encodeMessage, messageKindOfTopic, validateMessage } from '../src/contract/validate';

const REPO = resolve(__dirname, '../..');
const SCHEMA_DIR = join(REPO, 'src/contract/schemas');
const ASYNCAPI = join(REPO, 'docs/design/fleet/asyncapi.yaml');
const TS = '2025-01-31T12:00:00.000Z';
const SHA = 'a'.repeat(64);
const JOB = '2b0c3a4e-9d1f-4c55-8f3e-1a2b3c4d5e6f';

type Examples = { [K in MessageKind]: { full: MessageOfKind[K]; minimal: MessageOfKind[K] } };

/** `full` sets every optional field and `minimal` none, typed against messages.ts, so the schemas' fields can be compared to the types'. */
const EXAMPLES: Examples = {
  state: { full: { state: 'ready', session: 3, ts: TS }, minimal: { state: 'lost', session: 0, ts: TS } },
  birth: {
    full: {
      device: 'jetson-01',
      fleet: 'default',
      groups: ['line-a', 'line-b'],
      session: 3,
      daemonVersion: '0.1.0',
      hardware: {
        cpu: { model: 'ARMv8', cores: 6 },
        memoryBytes: 8e9,
        gpus: [{ vendor: 'NVIDIA', model: 'Orin', vramBytes: null }],
        jetson: { model: 'Orin Nano', l4t: '36.3.0' },
        unifiedMemory: true,
        arch: 'arm64',
        fingerprint: SHA,
      },
      backend: 'tensorflow',
      policy: { name: 'default', hash: SHA, rule: 'gpu', targetDepth: 8 },
      model: {
        name: 'default',
        version: 2,
        depth: 6,
        accuracy: 0.98,
        sha256: SHA,
        origin: { format: 'keras-v3', producer: 'Keras 3.8.0', depthAtImport: 4 },
        fallback: { fromVersion: 3, reason: 'corrupt' },
      },
      predictUrl: 'http://127.0.0.1:8501/v1/models/default:predict',
      readOnly: { reason: 'the disk is full: 0 bytes free in /var/lib/deepend', since: TS },
      ts: TS,
    },
    minimal: {
      device: 'd1',
      fleet: 'f1',
      groups: [],
      session: 1,
      daemonVersion: '0.1.0',
      hardware: {
        cpu: { model: '', cores: 1 },
        memoryBytes: 1,
        gpus: [],
        jetson: { model: 'Nano' },
        unifiedMemory: false,
        arch: 'x64',
        fingerprint: '',
      },
      backend: 'cpu',
      policy: { name: 'default', hash: '', rule: null, targetDepth: null },
      model: { name: 'default', version: 1, depth: 1, accuracy: null, sha256: SHA },
      predictUrl: null,
      ts: TS,
    },
  },
  job: {
    full: {
      jobId: JOB,
      commandId: 'rollout:r1:v2',
      kind: 'upgrade',
      trigger: 'fleet',
      status: 'rejected',
      step: 'rejected',
      percent: 100,
      depthBefore: 6,
      depthAfter: 8,
      accuracyBefore: 0.98,
      accuracyAfter: 0.97,
      validationAccuracy: 0.972,
      gateAccuracy: 0.975,
      shadow: {
        servedVersion: 3,
        requests: 200,
        instances: 640,
        skipped: 12,
        disagreement: 0.0125,
        servedP50Ms: 1.2,
        servedP99Ms: 2.9,
        candidateP50Ms: 1.6,
        candidateP99Ms: 3.8,
        labelled: 120,
        servedAccuracy: 0.975,
        candidateAccuracy: 0.983,
        seconds: 95.3,
        endedBy: 'requests',
      },
      watch: {
        version: 4,
        fromVersion: 3,
        seconds: 600,
        verdict: 'rolled-back',
        reason: "v4's answered classes moved 31.0% (total variation) from v3's over 412 instances (limit 25.0%)",
        requests: 130,
        failures: 0,
        errorRate: 0,
        shift: 0.31,
        p99Ms: 4.1,
        fromP99Ms: 3.2,
        labelled: 0,
        accuracy: null,
        fromAccuracy: null,
      },
      reason: 'gain below minGain',
      rolloutId: 'r1',
      ts: TS,
    },
    minimal: {
      jobId: JOB,
      kind: 'rollback',
      trigger: 'manual',
      status: 'queued',
      step: 'queued',
      percent: 0,
      depthBefore: 6,
      depthAfter: null,
      accuracyBefore: null,
      accuracyAfter: null,
      ts: TS,
    },
  },
  deepen: {
    full: { commandId: 'c-1', expiresAt: TS, toDepth: 8, method: 'dils' },
    minimal: { commandId: 'c-1', toDepth: 64 },
  },
  cancel: {
    full: { commandId: 'c-2', expiresAt: '2025-01-31T13:00:00+01:00', jobId: JOB },
    minimal: { commandId: 'c-2', jobId: JOB },
  },
  rollback: { full: { commandId: 'c-3', expiresAt: TS, version: 2 }, minimal: { commandId: 'c-3' } },
  rebirth: { full: { commandId: 'c-4', expiresAt: TS }, minimal: { commandId: 'c:4.x_y-z' } },
  reply: {
    full: {
      commandId: 'c-1',
      command: 'deepen',
      ok: false,
      jobId: JOB,
      error: 'the model is already at depth 8',
      code: 'conflict',
      duplicate: true,
      ts: TS,
    },
    minimal: { commandId: null, command: null, ok: true, ts: TS },
  },
  desired: {
    full: { rolloutId: 'r1', toDepth: 8, method: 'morphism', ts: TS },
    minimal: { rolloutId: 'r1', toDepth: 8, ts: TS },
  },
  reported: {
    full: {
      rolloutId: 'r1',
      source: 'group:line-a',
      toDepth: 8,
      status: 'failed',
      jobId: JOB,
      depth: 6,
      modelVersion: 2,
      reason: 'rejected by the gate',
      ts: TS,
    },
    minimal: {
      rolloutId: 'r1',
      source: 'device',
      toDepth: 8,
      status: 'running',
      jobId: null,
      depth: 6,
      modelVersion: 2,
      ts: TS,
    },
  },
  telemetry: {
    full: {
      backend: 'wasm',
      predictRate: 12.5,
      latencyMs: { p50: 2, p99: 9.5 },
      memory: { rssBytes: 1e8, heapUsedBytes: 5e7, tensors: 40 },
      uptimeSeconds: 60,
      ts: TS,
    },
    minimal: {
      backend: 'wasm',
      predictRate: 0,
      latencyMs: { p50: null, p99: null },
      memory: { rssBytes: 0, heapUsedBytes: 0, tensors: null },
      uptimeSeconds: 0,
      ts: TS,
    },
  },
  rollout: {
    full: {
      rolloutId: 'r-20250131120000-beef',
      fleet: 'f1',
      status: 'stopped',
      params: {
        group: 'line-a',
        toDepth: 3,
        method: 'dils',
        canaryPct: 0,
        batchPct: 100,
        maxFailuresPct: 10,
        wavesPct: [1, 10, 50, 100],
        pauseS: 600,
        minMedianGain: 0.1,
        maxLoss: 1,
        rollbackOnStop: true,
      },
      hasCanary: false,
      batchCount: 4,
      currentBatch: 3,
      nextBatchAt: TS,
      paused: { at: TS, by: 'console on ops-laptop' },
      groupPublished: false,
      stop: { batch: 2, rule: 'max-loss', why: 'dev-4 lost 1.50 points (limit 1)' },
      lostAtPlan: [{ device: 'dev-8', state: 'lost', since: TS }],
      devices: [
        {
          device: 'dev-4',
          batch: 2,
          status: 'succeeded',
          depth: 2,
          jobId: JOB,
          jobStatus: 'succeeded',
          accuracyBefore: 0.97,
          accuracyAfter: 0.955,
          reason: null,
          rollback: 'done',
        },
      ],
      createdAt: TS,
      ts: TS,
    },
    minimal: {
      rolloutId: 'r1',
      fleet: 'f1',
      status: 'running',
      params: {
        group: null,
        toDepth: 3,
        method: null,
        canaryPct: 10,
        batchPct: 25,
        maxFailuresPct: 0,
        wavesPct: null,
        pauseS: 0,
        minMedianGain: null,
        maxLoss: null,
        rollbackOnStop: false,
      },
      hasCanary: true,
      batchCount: 1,
      currentBatch: 0,
      nextBatchAt: null,
      groupPublished: false,
      stop: null,
      lostAtPlan: [],
      devices: [],
      createdAt: TS,
      ts: TS,
    },
  },
  'rollout-control': {
    full: { commandId: 'console:1', rolloutId: 'r-20250131120000-beef', action: 'pause', by: 'console', ts: TS },
    minimal: { commandId: 'c2', rolloutId: 'r1', action: 'abort', by: 'cli', ts: TS },
  },
};

type Json = Record<string, unknown>;

function schemaOf(kind: MessageKind): Json {
  return MESSAGE_SCHEMAS[kind] as Json;
}

/** A schema node with a local $ref followed (the files are self-contained). */
function deref(root: Json, node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  assert.match(ref, /^#\/definitions\/[A-Za-z0-9]+$/, `only local definitions are referenced, got ${ref}`);
  const target = (root.definitions as Record<string, Json> | undefined)?.[ref.slice('#/definitions/'.length)];
  assert.ok(target, `${ref} is defined`);
  return deref(root, target);
}

function isPlainObject(x: unknown): x is Json {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** Walks a value alongside its schema: `visit` at every object the schema describes with properties. */
function walk(
  root: Json,
  node: Json,
  value: unknown,
  where: string,
  visit: (node: Json, value: Json, where: string) => void,
): void {
  const n = deref(root, node);
  if (isPlainObject(value) && n.properties) {
    visit(n, value, where);
    for (const [k, v] of Object.entries(value)) {
      const child = (n.properties as Record<string, Json>)[k];
      if (child) walk(root, child, v, `${where}.${k}`, visit);
    }
  } else if (Array.isArray(value) && n.items) {
    value.forEach((v, i) => {
      walk(root, n.items as Json, v, `${where}[${i}]`, visit);
    });
  }
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

function problem(kind: MessageKind, payload: unknown): string {
  const r = validateMessage(kind, payload);
  return r.ok ? 'ok' : r.problem;
}

test('every schema compiles on its own, has its $id, a title and a description for every field', () => {
  for (const kind of MESSAGE_KINDS) {
    const file = join(SCHEMA_DIR, schemaFileName(kind));
    const schema = JSON.parse(readFileSync(file, 'utf8')) as Json;
    assert.deepEqual(schema, schemaOf(kind), `${kind}: the imported schema is the file`);
    new Ajv({ strict: true }).compile(schema);
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema.$id, `https://deepend.dev/schemas/v1/${kind}.schema.json`);
    assert.ok(
      typeof schema.title === 'string' && typeof schema.description === 'string',
      `${kind}: title and description`,
    );
    const objects = (node: unknown, where: string): void => {
      if (!isPlainObject(node)) return;
      if (node.properties) {
        assert.equal(node.additionalProperties, false, `${kind}${where}: additionalProperties is false`);
        for (const [k, p] of Object.entries(node.properties as Record<string, Json>)) {
          if (where.startsWith('.then')) continue;
          assert.ok(
            typeof p.description === 'string' && p.description.length > 0,
            `${kind}${where}.${k} has a description`,
          );
        }
      }
      for (const [k, v] of Object.entries(node)) if (k !== 'if' && k !== 'then') objects(v, `${where}.${k}`);
    };
    objects(schema, '');
    // The built copy tsc makes is what a deployed daemon reads.
    assert.ok(existsSync(join(__dirname, '../src/contract/schemas', schemaFileName(kind))), `${kind}: copied to dist`);
  }
});

test('the schemas have exactly the fields of the TypeScript types, required exactly when not optional', () => {
  for (const kind of MESSAGE_KINDS) {
    const root = schemaOf(kind);
    const { full, minimal } = EXAMPLES[kind];
    assert.equal(problem(kind, full), 'ok', `${kind} full example`);
    assert.equal(problem(kind, minimal), 'ok', `${kind} minimal example`);
    walk(root, root, full, kind, (node, value, where) => {
      assert.deepEqual(sorted(Object.keys(value)), sorted(Object.keys(node.properties as Json)), `${where}: fields`);
    });
    walk(root, root, minimal, kind, (node, value, where) => {
      assert.deepEqual(
        sorted(Object.keys(value)),
        sorted((node.required as string[] | undefined) ?? []),
        `${where}: required fields`,
      );
    });
  }
});

test('enums are the TypeScript constants, shared definitions are the same in every file', () => {
  const enumOf = (kind: MessageKind, field: string) =>
    deref(schemaOf(kind), (schemaOf(kind).properties as Record<string, Json>)[field]).enum as string[];
  assert.deepEqual(enumOf('state', 'state'), [...DEVICE_STATES]);
  assert.deepEqual(enumOf('job', 'status'), [...JOB_STATUSES]);
  assert.deepEqual(enumOf('job', 'kind'), [...JOB_KINDS]);
  assert.deepEqual(enumOf('job', 'trigger'), [...JOB_TRIGGERS]);
  assert.deepEqual(enumOf('reported', 'status'), [...REPORTED_STATUSES]);
  for (const kind of ['deepen', 'desired'] as const) assert.deepEqual(enumOf(kind, 'method'), [...GROWTH_METHODS]);
  for (const name of COMMAND_NAMES)
    assert.ok((MESSAGE_KINDS as readonly string[]).includes(name), `command ${name} has a schema`);

  const seen = new Map<string, { kind: string; def: unknown }>();
  for (const kind of MESSAGE_KINDS) {
    for (const [name, def] of Object.entries((schemaOf(kind).definitions ?? {}) as Json)) {
      const first = seen.get(name);
      if (first) assert.deepEqual(def, first.def, `definitions.${name} differs between ${first.kind} and ${kind}`);
      else seen.set(name, { kind, def });
    }
  }
  // Inline nullable ids repeat the definitions' rules.
  const props = (kind: MessageKind) => schemaOf(kind).properties as Record<string, Json>;
  assert.equal(props('reply').commandId.pattern, (seen.get('commandId')!.def as Json).pattern);
  assert.equal(props('reported').jobId.pattern, (seen.get('jobId')!.def as Json).pattern);
});

test('an invalid message gives one line naming the field and what is wrong', () => {
  const deepen = EXAMPLES.deepen.minimal;
  const cases: [MessageKind, unknown, string][] = [
    ['deepen', { ...deepen, toDepth: 2.5 }, 'toDepth: must be a whole number, got 2.5'],
    ['deepen', { ...deepen, toDepth: '8' }, 'toDepth: must be a whole number, got "8"'],
    ['deepen', { ...deepen, toDepth: 65 }, 'toDepth: must be <= 64, got 65'],
    ['deepen', { ...deepen, toDepth: 0 }, 'toDepth: must be >= 1, got 0'],
    ['deepen', { toDepth: 8 }, 'commandId: is required'],
    ['deepen', { ...deepen, foo: 1 }, 'foo: unknown key (allowed: commandId, expiresAt, toDepth, method)'],
    [
      'deepen',
      { ...deepen, method: 'magic' },
      'method: must be one of dils, identity, morphism, lookahead, random, got "magic"',
    ],
    ['deepen', { ...deepen, commandId: '' }, 'commandId: must not be empty'],
    [
      'deepen',
      { ...deepen, commandId: 'a/b' },
      `commandId: must be letters, digits, '.', '_', ':' or '-', starting with a letter or digit, got "a/b"`,
    ],
    ['deepen', { ...deepen, commandId: 'x'.repeat(129) }, 'commandId: must be at most 128 characters, got 129'],
    [
      'deepen',
      { ...deepen, expiresAt: 'tomorrow' },
      'expiresAt: must be an RFC 3339 date-time like 2025-01-31T12:00:00.000Z, got "tomorrow"',
    ],
    [
      'deepen',
      { ...deepen, expiresAt: '2025-13-01T00:00:00Z' },
      'expiresAt: must be an RFC 3339 date-time like 2025-01-31T12:00:00.000Z, got "2025-13-01T00:00:00Z"',
    ],
    ['deepen', [deepen], 'payload: must be a mapping, got a list'],
    ['deepen', null, 'payload: must be a mapping, got null'],
    [
      'cancel',
      { commandId: 'c', jobId: 'rollout:1' },
      `jobId: must be letters, digits, '.', '_' or '-', starting with a letter or digit (it is part of MQTT topics), got "rollout:1"`,
    ],
    ['rollback', { commandId: 'c', version: 0 }, 'version: must be >= 1, got 0'],
    ['rebirth', { commandId: 'c', toDepth: 3 }, 'toDepth: unknown key (allowed: commandId, expiresAt)'],
    ['reply', { commandId: 'c', command: 'deepen', ok: false, ts: TS }, 'error: is required when ok is false'],
    ['reply', { commandId: 5, command: 'deepen', ok: true, ts: TS }, 'commandId: must be a string or null, got 5'],
    [
      'state',
      { state: 'sleeping', session: 1, ts: TS },
      'state: must be one of init, ready, upgrading, degraded, offline, lost, got "sleeping"',
    ],
    ['state', { state: 'ready', session: -1, ts: TS }, 'session: must be >= 0, got -1'],
    ['job', { ...EXAMPLES.job.full, accuracyAfter: 1.5 }, 'accuracyAfter: must be <= 1, got 1.5'],
    ['job', { ...EXAMPLES.job.full, accuracyAfter: 'high' }, 'accuracyAfter: must be a number or null, got "high"'],
    ['job', { ...EXAMPLES.job.full, percent: 101 }, 'percent: must be <= 100, got 101'],
    [
      'birth',
      { ...EXAMPLES.birth.full, model: { ...EXAMPLES.birth.full.model, sha256: 'abc' } },
      'model.sha256: must be 64 lowercase hex digits, got "abc"',
    ],
    ['birth', { ...EXAMPLES.birth.full, groups: ['a', 'b', 'a'] }, 'groups: lists "a" twice'],
    [
      'birth',
      {
        ...EXAMPLES.birth.full,
        hardware: { ...EXAMPLES.birth.full.hardware, gpus: [{ vendor: 'x', model: 'y', vramBytes: -1 }] },
      },
      'hardware.gpus[0].vramBytes: must be >= 0, got -1',
    ],
    [
      'birth',
      { ...EXAMPLES.birth.full, hardware: { ...EXAMPLES.birth.full.hardware, jetson: 'orin' } },
      'hardware.jetson: must be a mapping or null, got "orin"',
    ],
    [
      'birth',
      { ...EXAMPLES.birth.full, predictUrl: 'ftp://x' },
      'predictUrl: must be an http:// or https:// URL, got "ftp://x"',
    ],
    [
      'reported',
      { ...EXAMPLES.reported.full, source: 'group:' },
      `source: must be 'device' or 'group:GROUP', got "group:"`,
    ],
    [
      'desired',
      { ...EXAMPLES.desired.full, rolloutId: 'r'.repeat(101) },
      'rolloutId: must be at most 100 characters, got 101',
    ],
    ['telemetry', { ...EXAMPLES.telemetry.full, latencyMs: { p50: 1 } }, 'latencyMs.p99: is required'],
  ];
  for (const [kind, payload, expected] of cases)
    assert.equal(problem(kind, payload), expected, `${kind} ${JSON.stringify(payload)?.slice(0, 80)}`);

  const weird = problem('deepen', { ...deepen, 'a\nb': 1 });
  assert.doesNotMatch(weird, /[\r\n]/);
  assert.match(weird, /^a b: unknown key/);
  const long = problem('deepen', { ...deepen, method: 'm'.repeat(5000) });
  assert.ok(long.length < 200, long);
});

test('decodeMessage: size limit, UTF-8 JSON, then the schema', () => {
  const good = Buffer.from(JSON.stringify(EXAMPLES.deepen.full));
  const decoded = decodeMessage('deepen', good);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.value, EXAMPLES.deepen.full);

  const over = (r: ReturnType<typeof decodeMessage>) => (r.ok ? 'ok' : r.problem);
  assert.equal(over(decodeMessage('deepen', good, good.length)), 'ok');
  assert.equal(
    over(decodeMessage('deepen', good, good.length - 1)),
    `payload of ${good.length} bytes is over the limit of ${good.length - 1}`,
  );
  assert.equal(
    over(decodeMessage('deepen', Buffer.alloc(70_000, 0x20))),
    'payload of 70000 bytes is over the limit of 65536',
  );
  assert.equal(over(decodeMessage('deepen', Buffer.alloc(0))), 'empty payload');
  assert.equal(over(decodeMessage('deepen', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))), 'malformed JSON: not UTF-8 text');
  const malformed = over(decodeMessage('deepen', Buffer.from('{"commandId": "c",\n "toDepth": ')));
  assert.match(malformed, /^malformed JSON: /);
  assert.doesNotMatch(malformed, /\n/);
  assert.equal(over(decodeMessage('deepen', Buffer.from('42'))), 'payload: must be a mapping, got 42');
  assert.equal(over(decodeMessage('deepen', Buffer.from('"deepen"'))), 'payload: must be a mapping, got "deepen"');
  assert.equal(
    over(decodeMessage('deepen', Buffer.from('{"commandId":"c","toDepth":8,"__proto__":{"x":1}}'))),
    '__proto__: unknown key (allowed: commandId, expiresAt, toDepth, method)',
  );
  // A UTF-8 byte order mark is not an error.
  assert.equal(
    over(decodeMessage('rebirth', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"commandId":"c"}')]))),
    'ok',
  );
});

test('encodeMessage sends what is valid and refuses, in one line, what is not', () => {
  assert.equal(
    encodeMessage('state', { state: 'ready', session: 1, ts: TS }),
    `{"state":"ready","session":1,"ts":"${TS}"}`,
  );
  // Optional fields left undefined are not sent, and not a problem.
  assert.equal(encodeMessage('rollback', { commandId: 'c', version: undefined }), '{"commandId":"c"}');
  assert.throws(() => encodeMessage('deepen', { commandId: 'c', toDepth: 0 }), {
    message: 'invalid deepen message: toDepth: must be >= 1, got 0',
  });
  // What is checked is the JSON text: NaN goes out as null.
  assert.throws(() => encodeMessage('telemetry', { ...EXAMPLES.telemetry.full, predictRate: Number.NaN }), {
    message: 'invalid telemetry message: predictRate: must be a number, got null',
  });
  // a served model may be of depth 0 (a user's head with no hidden layer yet), and a rollback may return to one
  assert.doesNotThrow(() => encodeMessage('job', { ...EXAMPLES.job.full, depthBefore: 0 }));
  assert.doesNotThrow(() => encodeMessage('job', { ...EXAMPLES.job.full, depthAfter: 0 }));
  assert.throws(
    () => encodeMessage('job', { ...EXAMPLES.job.full, depthBefore: -1 }),
    /^Error: invalid job message: depthBefore: must be >= 0, got -1$/,
  );
});

test('deviceTopics and groupDesiredTopic build the tree parseTopic reads back, with the message kind of each', () => {
  const t = deviceTopics('f1', 'd1');
  assert.equal(t.base, 'deepend/v1/f1/d1');
  assert.equal(t.jobs, 'deepend/v1/f1/d1/jobs/+');
  assert.equal(t.commands, 'deepend/v1/f1/d1/cmd/+');
  const expected: [string, ParsedTopic, MessageKind | null][] = [
    [t.state, { fleet: 'f1', device: 'd1', kind: 'state' }, 'state'],
    [t.birth, { fleet: 'f1', device: 'd1', kind: 'birth' }, 'birth'],
    [t.job(JOB), { fleet: 'f1', device: 'd1', kind: 'job', jobId: JOB }, 'job'],
    [t.reply, { fleet: 'f1', device: 'd1', kind: 'reply' }, 'reply'],
    [t.desired, { fleet: 'f1', device: 'd1', kind: 'desired' }, 'desired'],
    [t.reported, { fleet: 'f1', device: 'd1', kind: 'reported' }, 'reported'],
    [t.telemetry, { fleet: 'f1', device: 'd1', kind: 'telemetry' }, 'telemetry'],
    [groupDesiredTopic('f1', 'line-a'), { fleet: 'f1', group: 'line-a', kind: 'group-desired' }, 'desired'],
    ['deepend/v1/f1/d1/cmd/reboot', { fleet: 'f1', device: 'd1', kind: 'command', command: 'reboot' }, null],
    ...COMMAND_NAMES.map((name): [string, ParsedTopic, MessageKind] => [
      t.command(name),
      { fleet: 'f1', device: 'd1', kind: 'command', command: name },
      name,
    ]),
  ];
  for (const [topic, parsed, kind] of expected) {
    assert.deepEqual(parseTopic(topic), parsed, topic);
    assert.equal(messageKindOfTopic(parsed), kind, topic);
  }
  assert.equal(t.state, 'deepend/v1/f1/d1/state');
  assert.equal(groupDesiredTopic('f1', 'line-a'), 'deepend/v1/f1/groups/line-a/desired');
  assert.equal(fleetWildcard('+', 'state'), 'deepend/v1/+/+/state');
  assert.equal(fleetWildcard('f1', 'jobs/+'), 'deepend/v1/f1/+/jobs/+');
});

test('parseTopic returns null for anything outside the contract', () => {
  const foreign = [
    '',
    'foo/bar',
    'deepend/v2/f1/d1/state',
    'deepend/v1/f1/d1',
    'deepend/v1/f1/d1/unknown',
    'deepend/v1/f1/d1/state/extra',
    'deepend/v1/f1/d1/jobs/a/b',
    'deepend/v1/f1/d1/jobs/a:b',
    'deepend/v1/+/d1/state',
    'deepend/v1/f1/#',
    'deepend/v1/f1/groups/line-a/reported',
    'deepend/v1/f1/groups/line-a/desired/x',
    'deepend/v1/f1/groups/desired',
    '/deepend/v1/f1/d1/state',
    'deepend/v1//d1/state',
  ];
  for (const topic of foreign) assert.equal(parseTopic(topic), null, topic);
});

test('segments that cannot be topic segments are refused in one line', () => {
  const refused: [() => unknown, RegExp][] = [
    [() => deviceTopics('f/x', 'd1'), /^fleet 'f\/x' cannot be an MQTT topic segment/],
    [() => deviceTopics('f1', 'd+'), /^device id 'd\+' cannot be an MQTT topic segment/],
    [() => deviceTopics('f1', ''), /^device id '' cannot be an MQTT topic segment/],
    [() => deviceTopics('f1', 'groups'), /^device id 'groups' is reserved for group topics$/],
    [() => deviceTopics('f1', 'd1').job('a#'), /^job id 'a#' cannot be an MQTT topic segment/],
    [() => groupDesiredTopic('f1', 'a b'), /^group 'a b' cannot be an MQTT topic segment/],
    [() => fleetWildcard('f#', 'state'), /^fleet 'f#' cannot be an MQTT topic segment/],
  ];
  for (const [build, message] of refused) {
    assert.throws(build, (err: Error) => {
      assert.match(err.message, message);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  }
});

// ---- docs/design/fleet/asyncapi.yaml ----

const doc = parseYaml(readFileSync(ASYNCAPI, 'utf8')) as Json;

function pointer(ref: string): unknown {
  assert.match(ref, /^#\//, ref);
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (isPlainObject(node) ? node[key] : undefined), doc);
}

/** A node with its internal $ref followed. */
function resolved(node: unknown): Json {
  let n = node;
  for (let i = 0; i < 10 && isPlainObject(n) && typeof n.$ref === 'string' && n.$ref.startsWith('#'); i++)
    n = pointer(n.$ref);
  assert.ok(isPlainObject(n), `resolves to an object: ${JSON.stringify(node)}`);
  return n;
}

function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node))
    node.forEach((n) => {
      refsIn(n, out);
    });
  else if (isPlainObject(node))
    for (const [k, v] of Object.entries(node)) k === '$ref' && typeof v === 'string' ? out.push(v) : refsIn(v, out);
  return out;
}

/** The kind of the message a channel carries: the schema file its one message's payload refers to. */
function kindOfChannel(channel: Json): MessageKind {
  const messages = Object.values(channel.messages as Json);
  assert.equal(messages.length, 1, `${String(channel.address)} carries one message`);
  const payload = resolved(messages[0]).payload as Json;
  const file = (payload.schema as Json).$ref as string;
  const kind = /([a-z-]+)\.schema\.json$/.exec(file)?.[1] as MessageKind;
  assert.ok(MESSAGE_KINDS.includes(kind), file);
  return kind;
}

const SAMPLE = { fleet: 'f1', device: 'd1', jobId: JOB, group: 'line-a', rolloutId: 'r-20250131120000-beef' } as const;

function substituted(address: string): string {
  return address.replace(/\{(\w+)\}/g, (_, name: string) => {
    assert.ok(name in SAMPLE, `unknown parameter {${name}} in ${address}`);
    return SAMPLE[name as keyof typeof SAMPLE];
  });
}

test('asyncapi.yaml: every $ref resolves, every message kind has its schema file and valid examples', () => {
  assert.match(String(doc.asyncapi), /^3\.0\./);
  const external = new Set<string>();
  for (const ref of refsIn(doc)) {
    if (ref.startsWith('#')) assert.notEqual(pointer(ref), undefined, `${ref} resolves`);
    else {
      assert.ok(existsSync(resolve(dirname(ASYNCAPI), ref)), `${ref} exists`);
      external.add(ref);
    }
  }
  assert.deepEqual(
    sorted(external),
    sorted(MESSAGE_KINDS.map((k) => `../../../src/contract/schemas/${schemaFileName(k)}`)),
  );

  const messages = (doc.components as Json).messages as Record<string, Json>;
  assert.deepEqual(sorted(Object.keys(messages)), sorted(MESSAGE_KINDS));
  for (const [name, message] of Object.entries(messages)) {
    const payload = message.payload as Json;
    assert.equal(payload.schemaFormat, 'application/schema+json;version=draft-07');
    assert.equal((payload.schema as Json).$ref, `../../../src/contract/schemas/${name}.schema.json`);
    const examples = (message.examples ?? []) as Json[];
    assert.ok(examples.length > 0, `${name} has examples`);
    for (const ex of examples)
      assert.equal(problem(name as MessageKind, ex.payload), 'ok', `${name} example ${String(ex.name)}`);
  }
});

test('asyncapi.yaml: its channels are the topics topics.ts builds, each parsed to the kind it documents', () => {
  const channels = doc.channels as Record<string, Json>;
  const addressed = Object.values(channels).filter((c) => c.address !== null);
  const dynamic = Object.entries(channels).filter(([, c]) => c.address === null);
  assert.deepEqual(
    dynamic.map(([id]) => id),
    ['responseTopic'],
    'the MQTT 5 response topic is the one channel without an address',
  );

  const t = deviceTopics(SAMPLE.fleet, SAMPLE.device);
  const built = [
    t.state,
    t.birth,
    t.job(SAMPLE.jobId),
    ...COMMAND_NAMES.map((c) => t.command(c)),
    t.reply,
    t.desired,
    t.reported,
    t.telemetry,
    groupDesiredTopic(SAMPLE.fleet, SAMPLE.group),
    rolloutTopic(SAMPLE.fleet, SAMPLE.rolloutId),
    rolloutControlTopic(SAMPLE.fleet, SAMPLE.rolloutId),
  ];
  assert.deepEqual(sorted(addressed.map((c) => substituted(String(c.address)))), sorted(built));

  for (const channel of addressed) {
    const address = String(channel.address);
    const placeholders = sorted([...address.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
    assert.deepEqual(sorted(Object.keys((channel.parameters ?? {}) as Json)), placeholders, `${address}: parameters`);
    // The rollout topic is the fleet side's: parseTopic (what a device obeys) does not read it.
    const parsed = parseTopic(substituted(address)) ?? parseRolloutTopic(substituted(address));
    assert.ok(parsed, `${address} parses`);
    assert.equal(messageKindOfTopic(parsed), kindOfChannel(channel), `${address}: message kind`);
  }

  for (const server of Object.values(doc.servers as Record<string, Json>)) {
    const will = ((server.bindings as Json).mqtt as Json).lastWill as Json;
    assert.deepEqual(parseTopic(substituted(String(will.topic))), {
      fleet: SAMPLE.fleet,
      device: SAMPLE.device,
      kind: 'state',
    });
    assert.deepEqual([will.qos, will.retain], [1, true]);
    const message = JSON.parse(String(will.message)) as unknown;
    assert.equal(problem('state', message), 'ok');
    assert.equal((message as { state: string }).state, 'lost');
  }
});

/** docs/design/fleet.md's topic table: topic (as an AsyncAPI address), direction, QoS and retained. */
function fleetMdTable(): { address: string; action: 'send' | 'receive'; qos: number; retain: boolean }[] {
  const rows = readFileSync(join(REPO, 'docs/design/fleet.md'), 'utf8')
    .split('\n')
    .filter((l) => /^\|\s*`/.test(l))
    .map((l) => l.split('|').map((c) => c.trim()));
  assert.ok(rows.length >= 8, 'docs/design/fleet.md has its topic table');
  return rows.flatMap(([, topics, direction, qosCell]) => {
    const qos = /^(\d)/.exec(qosCell);
    assert.ok(qos, `QoS in "${qosCell}"`);
    const action = direction.startsWith('device') ? 'send' : 'receive';
    const retain = /^\d, retained/.test(qosCell);
    return [...topics.matchAll(/`([^`]+)`/g)].map((m) => {
      const topic = m[1]
        .replace('FLEET', '{fleet}')
        .replace('GROUP', '{group}')
        .replace('ROLLOUTID', '{rolloutId}')
        .replace('JOBID', '{jobId}');
      const address = topic.startsWith('deepend/') ? topic : `deepend/v1/{fleet}/{device}/${topic}`;
      return { address, action: action as 'send' | 'receive', qos: Number(qos[1]), retain };
    });
  });
}

test('asyncapi.yaml: operations agree with docs/design/fleet.md on direction, QoS and retain; commands have a reply', () => {
  const operations = Object.entries(doc.operations as Record<string, Json>);
  const table = fleetMdTable();
  const channels = doc.channels as Record<string, Json>;
  assert.equal(
    table.length,
    Object.values(channels).filter((c) => c.address !== null).length,
    'one table topic per channel',
  );
  for (const row of table) {
    const ops = operations.filter(([, op]) => resolved(op.channel).address === row.address);
    assert.equal(ops.length, 1, `one operation on ${row.address}`);
    const [id, op] = ops[0];
    const mqtt = (op.bindings as Json).mqtt as Json;
    assert.deepEqual([op.action, mqtt.qos, mqtt.retain], [row.action, row.qos, row.retain], `${id} (${row.address})`);
    for (const m of op.messages as Json[])
      assert.ok(
        String(m.$ref).startsWith(`${(op.channel as Json).$ref as string}/messages/`),
        `${id}: its messages are its channel's`,
      );
    const kind = kindOfChannel(resolved(op.channel));
    const isCommand = (COMMAND_NAMES as readonly string[]).includes(kind);
    assert.equal(op.reply !== undefined, isCommand, `${id}: a reply exactly for commands`);
    if (isCommand) {
      const reply = resolved(op.reply);
      assert.equal(resolved(reply.channel).address, null);
      assert.equal(kindOfChannel(resolved(reply.channel)), 'reply');
      assert.ok(
        resolved((op.messages as Json[])[0]).correlationId,
        `${id}: the command documents its correlation data`,
      );
    }
  }
});
