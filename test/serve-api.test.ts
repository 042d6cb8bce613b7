import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, type Server } from 'node:http';
import { tf } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { codeOfStatus } from '../src/util/deepend-error';
import { DEFAULT_MODEL } from './helpers/serve-models';
import { applyNormalisation } from '../src/data/normalise';
import { loadServedModel, Metrics, ModelSlot, ServedModel, serverPort, startServer, stopServer } from '../src/serve';
import { JOB_STATES } from '../src/store/job-states';

let server: Server;
let base: string;
let slot: ModelSlot;
let reference: ServedModel;
const LIMIT = 64 * 1024;

/** Deterministic pixels in [0, 1]. */
function image(seed: number): number[] {
  return Array.from({ length: 784 }, (_, i) => ((i * 37 + seed * 101) % 255) / 255);
}

function nested(flat: number[], withChannel: boolean): unknown {
  return Array.from({ length: 28 }, (_, r) =>
    Array.from({ length: 28 }, (_, c) => (withChannel ? [flat[r * 28 + c]] : flat[r * 28 + c])),
  );
}

/** What model.predict answers for these raw images after the model's normalisation. */
function expected(images: number[][]): number[][] {
  const x = applyNormalisation(Float32Array.from(images.flat()), reference.meta.normalisation);
  return tf.tidy(
    () => (reference.model.predict(tf.tensor(x, [images.length, 28, 28, 1])) as tf.Tensor).arraySync() as number[][],
  );
}

/** A parsed response body, read by deep property paths as a client would. */
// biome-ignore lint/suspicious/noExplicitAny: the tests read parsed JSON by paths; a type per response would only restate the assertions
type ResponseJson = any;

function requestBody(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: ResponseJson; headers: Headers }> {
  const res = await fetch(base + path, {
    method,
    body: requestBody(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

function assertError(r: { status: number; json: ResponseJson }, status: number, pattern: RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  // TF Serving's shape, {"error": message}, with deepend's error code beside it
  assert.deepEqual(Object.keys(r.json).sort(), ['code', 'error']);
  assert.match(r.json.error, pattern);
  assert.equal(r.json.code, codeOfStatus(status));
}

before(async () => {
  await useTestBackend();
  reference = await loadServedModel(DEFAULT_MODEL, 1);
  slot = new ModelSlot('default');
  server = await startServer({
    port: 0,
    slots: new Map([['default', slot]]),
    metrics: new Metrics(),
    status: () => ({ device: 'test-device' }),
    jobs: { states: JOB_STATES, current: () => 'growing' },
    maxBodyBytes: LIMIT,
    maxInstances: 8,
  });
  base = `http://127.0.0.1:${serverPort(server)}`;
});

after(async () => {
  await stopServer(server);
  await slot.close();
  reference.model.dispose();
});

test('binds 127.0.0.1 by default', () => {
  assert.equal((server.address() as { address: string }).address, '127.0.0.1');
});

test('before a model is loaded: alive, not ready, 503 on the model API', async () => {
  const health = await call('GET', '/healthz');
  assert.equal(health.status, 200);
  assert.equal(health.json.status, 'ok');
  assert.equal(health.json.device, 'test-device');
  const ready = await call('GET', '/readyz');
  assert.equal(ready.status, 503);
  assert.equal(ready.json.ready, false);
  assertError(await call('POST', '/v1/models/default:predict', { instances: [image(1)] }), 503, /no version loaded/);
  assertError(await call('GET', '/v1/models/default'), 503, /no version loaded/);
  // The first version goes in through the same swap as every later one.
  await slot.swap(await loadServedModel(DEFAULT_MODEL, 1));
  const readyNow = await call('GET', '/readyz');
  assert.equal(readyNow.status, 200);
  assert.deepEqual(readyNow.json, { ready: true, models: { default: 1 } });
});

test('GET /v1/models/NAME reports TF Serving version status', async () => {
  const ok = {
    model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }],
  };
  const r = await call('GET', '/v1/models/default');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, ok);
  assert.deepEqual((await call('GET', '/v1/models/default/versions/1')).json, ok);
  assertError(await call('GET', '/v1/models/default/versions/7'), 404, /no version 7/);
  assertError(await call('GET', '/v1/models/nope'), 404, /"nope" is not served here/);
  assertError(await call('GET', '/v1/models/default/versions/x1'), 400, /whole number/);
});

test('GET /v1/models/NAME/metadata gives shapes, labels, the output and how to read it, depth, family, version, sha256 and backend', async () => {
  const r = await call('GET', '/v1/models/default/metadata');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.model_spec, { name: 'default', signature_name: '', version: '1' });
  const sig = r.json.metadata.signature_def.signature_def.serving_default;
  const input = Object.values(sig.inputs)[0] as { tensor_shape: { dim: { size: string }[] } };
  assert.deepEqual(
    input.tensor_shape.dim.map((d) => d.size),
    ['-1', '28', '28', '1'],
  );
  const d = r.json.metadata.deepend;
  assert.deepEqual(d.inputShape, [28, 28, 1]);
  assert.deepEqual(d.labels, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.deepEqual(d.output, { kind: 'softmax', values: 10, classOf: 'argmax' });
  assert.equal(d.depth, 2);
  assert.equal(d.family, 'conv');
  assert.equal(d.version, 1);
  assert.equal(d.sha256, reference.meta.weightsSha256);
  assert.equal(d.backend, tf.getBackend());
  assert.equal(r.headers.get('x-model-version'), '1');
});

test('predict: nested, channel-less and flat instances equal model.predict on normalised input', async () => {
  const images = [image(1), image(2), image(3)];
  const r = await call('POST', '/v1/models/default:predict', {
    instances: [nested(images[0], true), nested(images[1], false), images[2]],
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.headers.get('x-model-version'), '1');
  assert.deepEqual(Object.keys(r.json), ['predictions']);
  const want = expected(images);
  assert.equal(r.json.predictions.length, 3);
  r.json.predictions.forEach((row: number[], i: number) => {
    assert.equal(row.length, 10);
    row.forEach((p, j) => {
      assert.ok(Math.abs(p - want[i][j]) < 1e-6, `instance ${i} class ${j}: ${p} vs ${want[i][j]}`);
    });
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'probabilities sum to 1');
  });
});

test('predict: columnar "inputs" (bare or named) answers "outputs"; a version path is honoured', async () => {
  const images = [image(4), image(5)];
  const want = expected(images);
  for (const inputs of [images, { conv_input: images }]) {
    const r = await call('POST', '/v1/models/default/versions/1:predict', { inputs });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(Object.keys(r.json), ['outputs']);
    r.json.outputs.forEach((row: number[], i: number) => {
      row.forEach((p, j) => {
        assert.ok(Math.abs(p - want[i][j]) < 1e-6);
      });
    });
  }
  const named = await call('POST', '/v1/models/default:predict', {
    signature_name: 'serving_default',
    instances: [{ x: images[0] }],
  });
  assert.equal(named.status, 200);
  assertError(
    await call('POST', '/v1/models/default/versions/2:predict', { instances: [images[0]] }),
    404,
    /version 2 is not serving \(version 1 is\)/,
  );
});

test('predict: bad requests get 400 with one clear message', async () => {
  const p = '/v1/models/default:predict';
  assertError(await call('POST', p, '{"instances": [1, 2'), 400, /not valid JSON/);
  assertError(await call('POST', p, [1, 2]), 400, /must be a JSON object/);
  assertError(await call('POST', p, {}), 400, /exactly one of "instances".*"inputs"/);
  assertError(await call('POST', p, { instances: [image(1)], inputs: [image(1)] }), 400, /exactly one of/);
  assertError(await call('POST', p, { instances: [] }), 400, /"instances" is empty/);
  assertError(await call('POST', p, { instances: 'abc' }), 400, /must be a list/);
  assertError(
    await call('POST', p, { instances: [image(1).slice(1)] }),
    400,
    /^input 0 has shape \[783\]; the model takes \[28,28,1\] \(or 784 numbers/,
  );
  const ragged = nested(image(1), false) as number[][];
  ragged[5] = ragged[5].slice(1);
  assertError(
    await call('POST', p, { instances: [image(2), ragged] }),
    400,
    /^input 1: not a regular array: \[5\] has 27 values, expected 28/,
  );
  const text = image(1) as unknown[];
  text[9] = 'x';
  assertError(
    await call('POST', p, { instances: [text] }),
    400,
    /^input 0: element \[9\] is the string "x", not a number/,
  );
  assertError(await call('POST', p, { instances: [{ a: image(1), b: image(1) }] }), 400, /one input/);
  assertError(await call('POST', p, { signature_name: 'other', instances: [image(1)] }), 400, /signature_name/);
  assertError(
    await call('POST', p, { instances: Array.from({ length: 9 }, () => [0]) }),
    400,
    /9 inputs in one request; the limit is 8/,
  );
});

test('routing errors: 404 unknown model, endpoint or verb; 405 wrong method; 413 over the body limit', async () => {
  assertError(
    await call('POST', '/v1/models/other:predict', { instances: [image(1)] }),
    404,
    /"other" is not served here/,
  );
  assertError(
    await call('POST', '/v1/models/default:classify', { instances: [image(1)] }),
    404,
    /:classify is not supported/,
  );
  assertError(await call('GET', '/v2/anything'), 404, /no such endpoint/);
  const wrong = await call('GET', '/v1/models/default:predict');
  assertError(wrong, 405, /use POST/);
  assert.equal(wrong.headers.get('allow'), 'POST');
  assertError(await call('DELETE', '/v1/models/default'), 405, /use GET/);
  const big = { instances: Array.from({ length: 8 }, () => image(1).map(() => 0.123456789)) };
  assert.ok(JSON.stringify(big).length > LIMIT);
  assertError(
    await call('POST', '/v1/models/default:predict', big),
    413,
    new RegExp(`larger than the limit of ${LIMIT} bytes`),
  );
});

test('413 also when a chunked body (no Content-Length) grows over the limit', async () => {
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${base}/v1/models/default:predict`, { method: 'POST' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    const chunk = '['.padEnd(16 * 1024, '0');
    // Keep sending until the server answers: it must refuse early, not read everything.
    const pump = (n: number) => {
      if (n === 0 || req.destroyed) return req.end();
      req.write(chunk, () => setImmediate(() => pump(n - 1)));
    };
    pump(64);
  });
  assert.equal(answer.status, 413);
  assert.match(JSON.parse(answer.body).error, /larger than the limit/);
});

test('/metrics: Prometheus text with requests, latency, version, depth, job state, backend and memory', async () => {
  await call('POST', '/v1/models/default:predict', { instances: [image(1)] });
  const res = await fetch(base + '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const value = (series: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(series + ' '));
    assert.ok(line, `no series ${series} in:\n${text}`);
    return Number(line.slice(series.length + 1));
  };
  assert.ok(value('deepend_requests_total{model="default",code="200"}') >= 5);
  assert.ok(value('deepend_requests_total{model="default",code="400"}') >= 10);
  assert.ok(value('deepend_requests_total{model="_unknown",code="404"}') >= 1);
  assert.match(text, /# TYPE deepend_request_duration_seconds histogram/);
  const count = value('deepend_request_duration_seconds_count{model="default"}');
  assert.equal(value('deepend_request_duration_seconds_bucket{le="+Inf",model="default"}'), count);
  assert.ok(value('deepend_request_duration_seconds_bucket{le="5",model="default"}') <= count);
  assert.equal(value('deepend_model_version{model="default"}'), 1);
  assert.equal(value('deepend_model_depth{model="default"}'), 2);
  assert.equal(value('deepend_job_state{state="growing"}'), 1);
  assert.equal(value('deepend_job_state{state="idle"}'), 0);
  assert.equal(value(`deepend_backend_info{backend="${tf.getBackend()}"}`), 1);
  assert.equal(value('deepend_swaps_total{model="default",result="ok"}'), 1);
  assert.ok(value('process_resident_memory_bytes') > 1e6);
  assert.ok(value('deepend_tf_tensors') > 0);
});
