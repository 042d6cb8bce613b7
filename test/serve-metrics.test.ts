import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../src/serve/metrics';

test('counters and gauges render with HELP, TYPE and escaped labels', () => {
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
  assert.equal(
    m.render(),
    [
      '# HELP x_total Things.\\nSecond line \\\\ done',
      '# TYPE x_total counter',
      'x_total{model="a",code="200"} 3',
      'x_total{model="we\\"ird\\\\\\n",code="400"} 1',
      '# HELP y A gauge.',
      '# TYPE y gauge',
      'y 0.25',
      '# HELP z Read at scrape.',
      '# TYPE z gauge',
      'z{state="idle"} +Inf',
      '',
    ].join('\n'),
  );
  assert.equal(c.get({ model: 'a', code: '200' }), 3);
});

test('histograms render cumulative buckets, +Inf, sum and count', () => {
  const m = new Metrics();
  const h = m.histogram({ name: 'lat_seconds', help: 'Latency.', labelNames: ['model'], buckets: [0.1, 0.01, 1] });
  for (const v of [0.005, 0.05, 0.05, 0.5, 3]) h.observe({ model: 'd' }, v);
  const lines = m.render().split('\n');
  assert.deepEqual(lines.slice(2, 8), [
    'lat_seconds_bucket{model="d",le="0.01"} 1',
    'lat_seconds_bucket{model="d",le="0.1"} 3',
    'lat_seconds_bucket{model="d",le="1"} 4',
    'lat_seconds_bucket{model="d",le="+Inf"} 5',
    'lat_seconds_sum{model="d"} 3.605',
    'lat_seconds_count{model="d"} 5',
  ]);
  assert.equal(h.countOf({ model: 'd' }), 5);
});

test('misuse is refused: bad names, wrong labels, duplicates, counters going down, setting a callback metric', () => {
  const m = new Metrics();
  assert.throws(() => m.counter({ name: 'bad-name', help: '' }), /not a valid Prometheus name/);
  assert.throws(() => m.gauge({ name: 'ok', help: '', labelNames: ['le'] }), /label name "le" is not allowed/);
  const c = m.counter({ name: 'c_total', help: '', labelNames: ['model'] });
  assert.throws(() => c.inc({ code: '1' }), /takes labels \[model\], got \[code\]/);
  assert.throws(() => c.inc({ model: 'a' }, -1), /can only go up/);
  assert.throws(() => m.counter({ name: 'c_total', help: '' }), /already registered/);
  const g = m.gauge({ name: 'g', help: '' }, () => []);
  assert.throws(() => g.set({}, 1), /read from a callback/);
  assert.throws(() => m.histogram({ name: 'h', help: '', buckets: [1, 1] }), /distinct/);
});
