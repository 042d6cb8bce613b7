import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../src/serve/metrics';

test('counters and gauges render with HELP, TYPE and escaped labels', async () => {
  const m = new Metrics();
  const c = m.counter({ name: 'x_total', help: 'Things.\nSecond line \\ done', labelNames: ['model', 'code'] });
  c.inc({ model: 'a', code: '200' });
  c.inc({ code: '200', model: 'a' }, 2);
  c.inc({ model: 'we"ird\\\n', code: '400' });
  const g = m.gauge({ name: 'y', help: 'A gauge.' });
  g.set({}, 0.25);
  m.gauge({ name: 'z', help: 'Read at scrape.', labelNames: ['state'] }, () => [
    { labels: { state: 'idle' }, value: Infinity },
  ]);
  m.counter({ name: 'w_total', help: 'Counted elsewhere.', labelNames: ['result'] }, () => [
    { labels: { result: 'ok' }, value: 0 },
    { labels: { result: 'failed' }, value: 4 },
  ]);
  // prom-client puts a blank line between metrics, which the text format allows
  assert.equal(
    await m.render(),
    [
      '# HELP x_total Things.\\nSecond line \\\\ done',
      '# TYPE x_total counter',
      'x_total{model="a",code="200"} 3',
      'x_total{model="we\\"ird\\\\\\n",code="400"} 1',
      '',
      '# HELP y A gauge.',
      '# TYPE y gauge',
      'y 0.25',
      '',
      '# HELP z Read at scrape.',
      '# TYPE z gauge',
      'z{state="idle"} +Inf',
      '',
      '# HELP w_total Counted elsewhere.',
      '# TYPE w_total counter',
      'w_total{result="ok"} 0',
      'w_total{result="failed"} 4',
      '',
    ].join('\n'),
  );
});

test('histograms render cumulative buckets, +Inf, sum and count; totals sum every label set', async () => {
  const m = new Metrics();
  const h = m.histogram({ name: 'lat_seconds', help: 'Latency.', labelNames: ['model'], buckets: [0.1, 0.01, 1] });
  for (const v of [0.005, 0.05, 0.05, 0.5, 3]) h.observe({ model: 'd' }, v);
  const lines = (await m.render()).split('\n');
  // prom-client writes le first; label order does not matter to Prometheus
  assert.deepEqual(lines.slice(2, 8), [
    'lat_seconds_bucket{le="0.01",model="d"} 1',
    'lat_seconds_bucket{le="0.1",model="d"} 3',
    'lat_seconds_bucket{le="1",model="d"} 4',
    'lat_seconds_bucket{le="+Inf",model="d"} 5',
    'lat_seconds_sum{model="d"} 3.605',
    'lat_seconds_count{model="d"} 5',
  ]);
  h.observe({ model: 'e' }, 0.05);
  assert.deepEqual(await m.histogramTotals('lat_seconds'), { buckets: [0.01, 0.1, 1], counts: [1, 3, 1, 1], count: 6 });
  assert.equal(await m.histogramTotals('nothing_seconds'), null);
});

test('misuse is refused: bad names, unknown labels, duplicates, counters going down, le on a histogram', () => {
  const m = new Metrics();
  assert.throws(() => m.counter({ name: 'bad-name', help: 'x' }), /Invalid metric name/);
  assert.throws(() => m.gauge({ name: 'g', help: 'x', labelNames: ['bad-label'] }), /Invalid label name/);
  assert.throws(
    () => m.histogram({ name: 'h', help: 'x', labelNames: ['le'], buckets: [1] }),
    /le is a reserved label/,
  );
  const c = m.counter({ name: 'c_total', help: 'x', labelNames: ['model'] });
  assert.throws(() => c.inc({ code: '1' }), /Added label "code" is not included/);
  assert.throws(() => c.inc({ model: 'a' }, -1), /not possible to decrease a counter/);
  assert.throws(() => m.counter({ name: 'c_total', help: 'x' }), /already been registered/);
});

test('each Metrics has a registry of its own', async () => {
  const a = new Metrics();
  const b = new Metrics();
  a.counter({ name: 'same_total', help: 'x' }).inc();
  b.counter({ name: 'same_total', help: 'x' });
  assert.match(await a.render(), /^same_total 1$/m);
  assert.match(await b.render(), /^same_total 0$/m);
});
