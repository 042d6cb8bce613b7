import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GrowReport } from '../src/grow/report';
import type { StageCurve } from '../src/grow/types';
import { growthPicture } from '../src/report/growth-picture';
import { learningCurveSvg } from '../src/report/learning-curve-svg';

const epoch = (seconds: number, loss: number, validationAccuracy?: number) =>
  ({ epoch: 0, loss, seconds, validationAccuracy }) as StageCurve['epochs'][number];

/** What a DILS run reports: one Stage I site from 0.5 s to 4.5 s, Stage II from 4.6 s to 20 s. */
function report(over: Partial<GrowReport> = {}): GrowReport {
  return {
    method: 'dils',
    depthBefore: 2,
    depthAfter: 3,
    accuracyBefore: 0.9715,
    accuracyAfter: 0.978,
    curves: [
      {
        stage: 'stage1',
        detail: 'b1',
        metric: 'mse',
        epochs: [epoch(2, 1e-4), epoch(4, 1e-5)],
        seconds: 4,
        startSeconds: 0.5,
      },
      {
        stage: 'stage2',
        metric: 'loss',
        epochs: [epoch(8, 0.1, 0.972), epoch(15.4, 0.08, 0.976)],
        seconds: 15.4,
        startSeconds: 4.6,
      },
    ],
    phases: { insertion: 0.5, stage1: { start: 0.5, end: 4.5 }, stage2: { start: 4.6, end: 20 } },
    gate: { minGain: 0.001, minAccuracy: 0.9, confidence: 0.95, maxLoss: 0.0025 },
    ...over,
  } as GrowReport;
}

/** x of an element with this class attribute (its first x or x1). */
function xOf(svg: string, cls: string): number {
  const m = new RegExp(`class="${cls}" x1?="([\\d.]+)"`).exec(svg);
  assert.ok(m, `no ${cls}`);
  return Number(m[1]);
}

test('learning-curve.svg marks insertion, Stage I, Stage II, the parent and the gate threshold', () => {
  const svg = learningCurveSvg(growthPicture(report()));
  // on both panels
  assert.equal(svg.match(/class="insertion"/g)?.length, 2);
  assert.equal(svg.match(/class="phase-stage1"/g)?.length, 2);
  assert.equal(svg.match(/class="phase-stage2"/g)?.length, 2);
  assert.match(svg, />Stage I</);
  assert.match(svg, />Stage II</);
  assert.match(svg, />insertion</);
  // on the run's clock: 20 s over the 540 px plot from x = 70
  assert.equal(xOf(svg, 'insertion'), 70 + (0.5 / 20) * 540);
  assert.equal(xOf(svg, 'phase-stage2'), 70 + (4.6 / 20) * 540);
  assert.ok(xOf(svg, 'phase-stage1') < xOf(svg, 'phase-stage2'));
  assert.match(svg, /class="ref-parent"[^>]*stroke="#666"/);
  assert.match(svg, />parent 97\.15% \(held-out\)</);
  assert.match(svg, /class="ref-gate"[^>]*stroke="#c0392b"/);
  assert.match(svg, />gate: parent \+ 0\.10 points 97\.25% \(held-out\)</);
  assert.match(svg, />dils: depth 2 → 3, held-out 97\.15% → 97\.80%</);
});

test('a method without Stage I has no Stage I band; a minimum accuracy above parent + minGain is the gate line; no gate, no line', () => {
  const identity = learningCurveSvg(
    growthPicture(
      report({ method: 'identity', phases: { insertion: 0.5, stage1: null, stage2: { start: 0.5, end: 20 } } }),
    ),
  );
  assert.doesNotMatch(identity, /phase-stage1/);
  assert.doesNotMatch(identity, /phase-auto/);
  assert.equal(identity.match(/class="phase-stage2"/g)?.length, 2);
  // `method: auto`'s pause inside the first candidate's Stage II is a band of its own, on both panels.
  const auto = learningCurveSvg(
    growthPicture(
      report({
        method: 'identity',
        phases: { insertion: 0.5, stage1: null, stage2: { start: 0.5, end: 20 }, auto: { start: 2, end: 3.2 } },
      }),
    ),
  );
  assert.equal(auto.match(/class="phase-auto"/g)?.length, 2);
  assert.match(auto, />auto trial</);
  const strict = learningCurveSvg(
    growthPicture(report({ gate: { minGain: 0.001, minAccuracy: 0.98, confidence: 0.95, maxLoss: 0.0025 } })),
  );
  assert.match(strict, />gate: minimum accuracy 98\.00% \(held-out\)</);
  const cli = learningCurveSvg(growthPicture(report({ gate: undefined })));
  assert.doesNotMatch(cli, /ref-gate/);
  assert.match(cli, /ref-parent/);
});
