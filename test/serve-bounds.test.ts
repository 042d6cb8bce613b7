import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { Server } from 'node:http';
import { useTestBackend } from './helpers/backend';
import { DEFAULT_MODEL } from './helpers/serve-models';
import { loadServedModel, Metrics, ModelSlot, serverPort, startServer, stopServer } from '../src/serve';

let server: Server;
let port: number;
let slot: ModelSlot;
const metrics = new Metrics();
const HEADERS_MS = 1500;
const REQUEST_MS = 3000;
const MAX_CONNECTIONS = 120;

const zeros = () => JSON.stringify({ instances: [new Array(784).fill(0)] });

async function predict(body: string): Promise<{ status: number; json: { error?: string; predictions?: unknown } }> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/models/default:predict`, { method: 'POST', body });
  return { status: res.status, json: (await res.json()) as { error?: string } };
}

before(async () => {
  await useTestBackend();
  slot = new ModelSlot('default');
  await slot.swap(await loadServedModel(DEFAULT_MODEL, 1));
  server = await startServer({
    port: 0,
    slots: new Map([['default', slot]]),
    metrics,
    status: () => ({}),
    headersTimeoutMs: HEADERS_MS,
    requestTimeoutMs: REQUEST_MS,
    maxConnections: MAX_CONNECTIONS,
  });
  port = serverPort(server);
});

after(async () => {
  await stopServer(server, 1000);
  await slot.close();
});

test('the defaults: headers within 10 s, the whole request within 30 s, 256 connections', async () => {
  const s = new ModelSlot('x');
  const srv = await startServer({ port: 0, slots: new Map([['x', s]]), metrics: new Metrics(), status: () => ({}) });
  try {
    assert.equal(srv.headersTimeout, 10_000);
    assert.equal(srv.requestTimeout, 30_000);
    assert.equal(srv.maxConnections, 256);
  } finally {
    await stopServer(srv, 100);
  }
});

test('numbers that are not finite (1e400 parses as Infinity) or overflow float32 are refused with 400', async () => {
  const inf = new Array(784).fill(0).join(',').replace(/^0/, '1e400');
  const r1 = await predict(`{"instances": [[${inf}]]}`);
  assert.equal(r1.status, 400);
  assert.equal(r1.json.error, 'input 0: element [0] is not a finite number');
  const big = new Array(784).fill(0).join(',').replace(/0$/, '-1e39');
  const r2 = await predict(`{"instances": [[${big}]]}`);
  assert.equal(r2.status, 400);
  assert.equal(r2.json.error, 'input 0: element [783] is -1e+39, outside the float32 range');
  assert.equal((await predict(zeros())).status, 200);
});

test('a model that answers NaN: 500 with the reason, counted in /metrics, never 200 with nulls', async () => {
  // finite float32 inputs so large that the normalised values overflow inside the model
  const r = await predict(JSON.stringify({ instances: [new Array(784).fill(3e38)] }));
  assert.equal(r.status, 500, JSON.stringify(r.json));
  assert.match(r.json.error!, /^model default version 1 answered a non-finite value \(input 0, output \d+ is NaN\)/);
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(text, /^deepend_nonfinite_predictions_total\{model="default"\} 1$/m);
  assert.match(text, /^deepend_requests_total\{model="default",code="500"\} 1$/m);
  assert.equal((await predict(zeros())).status, 200);
});

/** One slow client on loopback: headers (or, with `body`, the body) one byte at a time; records what the server answered and when it closed. */
function slowClient(body: boolean): { socket: Socket; answer: Promise<{ status: string; closedAfterMs: number }> } {
  const began = Date.now();
  const socket = connect(port, '127.0.0.1');
  let got = '';
  let timer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    const head = body
      ? 'POST /v1/models/default:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n'
      : 'POST /v1/models/default:predict HTTP/1.1\r\nHo';
    socket.write(head);
    timer = setInterval(() => socket.write(body ? '[' : 's'), 300);
  });
  socket.on('data', (d) => (got += d.toString()));
  socket.on('error', () => undefined);
  const answer = new Promise<{ status: string; closedAfterMs: number }>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ status: got.split('\r\n')[0], closedAfterMs: Date.now() - began });
    }),
  );
  return { socket, answer };
}

async function latencies(n: number, everyMs: number): Promise<{ ms: number[]; failed: number }> {
  const ms: number[] = [];
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await predict(zeros()).catch(() => ({ status: 0 }));
    if (r.status === 200) ms.push(performance.now() - t0);
    else failed++;
    await new Promise((res) => setTimeout(res, everyMs));
  }
  return { ms: ms.sort((a, b) => a - b), failed };
}

const p99 = (sorted: number[]) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];

test('a flood of slow clients: each gets 408 in time, a normal client keeps being answered within the p99 limit', {
  timeout: 180_000,
}, async () => {
  // 200 requests a phase: the p99 of 100 is their slowest, which one scheduling hiccup of a loaded machine decides
  // (a CI run failed at 74.5 ms against a 50 ms limit so); of 200 it leaves out the slowest
  const idle = await latencies(200, 5);
  assert.equal(idle.failed, 0);
  // 50 trickle their headers, 50 their body; loopback only; each ends by itself at the server's timeouts
  const flood = [
    ...Array.from({ length: 50 }, () => slowClient(false)),
    ...Array.from({ length: 50 }, () => slowClient(true)),
  ];
  // about as long as the flood lasts (its clients end at 1.5 and 3 s)
  const during = await latencies(200, 10);
  const answers = await Promise.all(flood.map((c) => c.answer));
  assert.equal(during.failed, 0, 'no request of the normal client failed');
  // the bench's rule (bench:swap): p99 at most 3x idle; a floor for this shared machine's scheduling noise
  const limit = Math.max(3 * p99(idle.ms), 50);
  assert.ok(
    p99(during.ms) <= limit,
    `p99 ${p99(during.ms).toFixed(1)} ms under the flood, limit ${limit.toFixed(1)} ms (idle p99 ${p99(idle.ms).toFixed(1)} ms)`,
  );
  for (const [i, a] of answers.entries()) {
    assert.equal(a.status, 'HTTP/1.1 408 Request Timeout', `slow client ${i}`);
    const bound = (i < 50 ? HEADERS_MS : REQUEST_MS) + 2500;
    assert.ok(a.closedAfterMs <= bound, `slow client ${i} closed after ${a.closedAfterMs} ms (bound ${bound})`);
  }
});

test('connections past maxConnections are closed as they arrive; serving goes on once they are gone', {
  timeout: 180_000,
}, async () => {
  const idle: Socket[] = [];
  const closedEarly: Promise<boolean>[] = [];
  for (let i = 0; i < MAX_CONNECTIONS + 20; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    idle.push(s);
    closedEarly.push(
      new Promise((resolve) => {
        s.on('close', () => resolve(true));
        setTimeout(() => resolve(false), 1000).unref();
      }),
    );
    await new Promise((r) => s.once('connect', r));
  }
  const early = (await Promise.all(closedEarly)).filter(Boolean).length;
  assert.ok(early >= 20, `${early} connections closed within 1 s; at least the 20 over the limit`);
  for (const s of idle) s.destroy();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await predict(zeros())).status, 200);
});
