import type { Span } from '../grow/report';
import { StageCurve } from '../grow/types';

/** A horizontal line on the accuracy panel; `gate` lines are drawn red, others grey. */
export interface Reference {
  label: string;
  accuracy: number;
  kind?: 'parent' | 'gate';
}

/** When the run inserted its blocks and ran Stage I and Stage II (seconds since growth started). */
export interface Phases {
  insertion: number;
  stage1: Span | null;
  stage2: Span;
  /** `method: auto`'s pause for its later candidates' trials (src/grow/auto.ts). */
  auto?: Span;
}

export interface CurvePicture {
  title: string;
  curves: StageCurve[];
  /** Horizontal reference lines on the accuracy panel, e.g. the parent's held-out accuracy and the gate's threshold. */
  references?: Reference[];
  /** Marked on both panels: a line at insertion, shaded Stage I and Stage II bands. */
  phases?: Phases;
}

const WIDTH = 800;
const PANEL_H = 220;
const PAD = { left: 70, right: 190, top: 44, gap: 46, bottom: 44 };
const HEIGHT = PAD.top + 2 * PANEL_H + PAD.gap + PAD.bottom;
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

interface Point {
  t: number;
  v: number;
}

interface Series {
  label: string;
  colour: string;
  points: Point[];
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const LEGEND_CHARS = 27;

function stageLabel(c: StageCurve): string {
  return c.detail ? `${c.stage} ${c.detail}` : c.stage;
}

function fit(text: string): string {
  return text.length <= LEGEND_CHARS ? text : `${text.slice(0, LEGEND_CHARS - 1)}…`;
}

/** Places each stage on the run's clock: its recorded start, or laid end to end. */
function placed(curves: StageCurve[]): { curve: StageCurve; start: number }[] {
  let clock = 0;
  return curves.map((curve) => {
    const start = curve.startSeconds ?? clock;
    clock = start + curve.seconds;
    return { curve, start };
  });
}

function polyline(points: Point[], sx: (t: number) => number, sy: (v: number) => number): string {
  return points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.t).toFixed(1)},${sy(p.v).toFixed(1)}`).join(' ');
}

function drawSeries(out: string[], s: Series, sx: (t: number) => number, sy: (v: number) => number): void {
  if (s.points.length === 1) {
    out.push(
      `<circle cx="${sx(s.points[0].t).toFixed(1)}" cy="${sy(s.points[0].v).toFixed(1)}" r="3.5" fill="${s.colour}"/>`,
    );
  } else {
    out.push(`<path d="${polyline(s.points, sx, sy)}" fill="none" stroke="${s.colour}" stroke-width="2"/>`);
    for (const p of s.points)
      out.push(`<circle cx="${sx(p.t).toFixed(1)}" cy="${sy(p.v).toFixed(1)}" r="2.2" fill="${s.colour}"/>`);
  }
}

function legend(out: string[], series: Series[], top: number): void {
  const x = WIDTH - PAD.right + 14;
  series.forEach((s, i) => {
    const y = top + 12 + i * 17;
    out.push(`<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${s.colour}" stroke-width="2"/>`);
    out.push(`<text x="${x + 24}" y="${y + 4}" font-size="11">${esc(fit(s.label))}</text>`);
  });
}

const BANDS = { stage1: '#fdf2e0', stage2: '#e8f1fa', auto: '#eeeeee' } as const;

/** Shaded Stage I, Stage II and auto's trial bands behind the curves, and a line where the blocks were inserted, on every panel. */
function drawPhases(out: string[], phases: Phases, sx: (t: number) => number, tops: number[]): void {
  const bands: [keyof typeof BANDS, string, Span | null][] = [
    ['stage1', 'Stage I', phases.stage1],
    ['stage2', 'Stage II', phases.stage2],
    ['auto', 'auto trial', phases.auto ?? null],
  ];
  for (const top of tops) {
    for (const [key, label, span] of bands) {
      if (!span || !(span.end > span.start)) continue;
      out.push(
        `<rect class="phase-${key}" x="${sx(span.start).toFixed(1)}" y="${top}" width="${(sx(span.end) - sx(span.start)).toFixed(1)}" height="${PANEL_H}" fill="${BANDS[key]}"/>`,
      );
      out.push(
        `<text x="${(sx(span.start) + 4).toFixed(1)}" y="${top + PANEL_H - 6}" fill="#777" font-size="11">${label}</text>`,
      );
    }
    const x = sx(phases.insertion).toFixed(1);
    out.push(
      `<line class="insertion" x1="${x}" x2="${x}" y1="${top}" y2="${top + PANEL_H}" stroke="#333" stroke-dasharray="3 3"/>`,
    );
    out.push(`<text x="${x}" y="${top - 4}" fill="#333" font-size="11">insertion</text>`);
  }
}

/**
 * Learning curves on the growth run's wall clock, in two panels: validation
 * accuracy per epoch (zoomed to the range the run covers, with reference lines
 * such as the parent's accuracy), and the training objective of each stage on
 * a log scale (cross-entropy for classifier stages, MSE for local fits).
 */
export function learningCurveSvg(picture: CurvePicture): string {
  const stages = placed(picture.curves);
  const accuracy: Series[] = [];
  const objective: Series[] = [];
  stages.forEach(({ curve, start }, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const acc = curve.checkpoints?.length
      ? curve.checkpoints.map((c) => ({ t: start + c.seconds, v: c.validationAccuracy }))
      : curve.epochs
          .filter((e) => e.validationAccuracy !== undefined)
          .map((e) => ({ t: start + e.seconds, v: e.validationAccuracy! }));
    if (acc.length) accuracy.push({ label: stageLabel(curve), colour, points: acc });
    const lossSource = curve.checkpoints?.length ? curve.checkpoints : curve.epochs;
    const loss = lossSource
      .filter((e) => e.loss > 0 && Number.isFinite(e.loss))
      .map((e) => ({ t: start + e.seconds, v: e.loss }));
    if (loss.length) objective.push({ label: `${curve.metric}: ${stageLabel(curve)}`, colour, points: loss });
  });
  const maxT = Math.max(1e-6, ...stages.map((s) => s.start + s.curve.seconds), picture.phases?.stage2.end ?? 0);
  const plotW = WIDTH - PAD.left - PAD.right;
  const sx = (t: number) => PAD.left + (t / maxT) * plotW;

  const accValues = [
    ...accuracy.flatMap((s) => s.points.map((p) => p.v)),
    ...(picture.references ?? []).map((r) => r.accuracy),
  ];
  const accLow = accValues.length ? Math.max(0, Math.floor((Math.min(...accValues) - 0.005) * 50) / 50) : 0;
  const accHigh = accValues.length ? Math.min(1, Math.ceil((Math.max(...accValues) + 0.005) * 50) / 50) : 1;
  const accTop = PAD.top;
  const syAcc = (v: number) => accTop + (1 - (v - accLow) / Math.max(1e-9, accHigh - accLow)) * PANEL_H;

  const lossValues = objective.flatMap((s) => s.points.map((p) => p.v));
  const logLow = lossValues.length ? Math.floor(Math.log10(Math.min(...lossValues))) : -3;
  const logHigh = lossValues.length ? Math.max(logLow + 1, Math.ceil(Math.log10(Math.max(...lossValues)))) : 0;
  const lossTop = PAD.top + PANEL_H + PAD.gap;
  const syLoss = (v: number) => lossTop + (1 - (Math.log10(v) - logLow) / (logHigh - logLow)) * PANEL_H;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  out.push(`<text x="${PAD.left + plotW / 2}" y="24" text-anchor="middle" font-size="15">${esc(picture.title)}</text>`);

  if (picture.phases) drawPhases(out, picture.phases, sx, [accTop, lossTop]);

  // Accuracy panel.
  const accStep = gridStep(accHigh - accLow);
  for (let v = accLow; v <= accHigh + 1e-9; v += accStep) {
    out.push(`<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${syAcc(v)}" y2="${syAcc(v)}" stroke="#eee"/>`);
    out.push(
      `<text x="${PAD.left - 6}" y="${syAcc(v) + 4}" text-anchor="end">${(v * 100).toFixed(accStep < 0.01 ? 1 : 0)}%</text>`,
    );
  }
  out.push(
    `<text transform="translate(18 ${accTop + PANEL_H / 2}) rotate(-90)" text-anchor="middle">validation accuracy</text>`,
  );
  for (const ref of picture.references ?? []) {
    const colour = ref.kind === 'gate' ? '#c0392b' : '#666';
    out.push(
      `<line class="ref-${ref.kind ?? 'other'}" x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${syAcc(ref.accuracy)}" y2="${syAcc(ref.accuracy)}" stroke="${colour}" stroke-dasharray="6 4"/>`,
    );
    const below = ref.kind === 'gate' ? 14 : -5;
    out.push(
      `<text x="${PAD.left + 6}" y="${syAcc(ref.accuracy) + below}" fill="${colour}">${esc(ref.label)} ${(ref.accuracy * 100).toFixed(2)}% (held-out)</text>`,
    );
  }
  accuracy.forEach((s) => {
    drawSeries(out, s, sx, syAcc);
  });
  out.push(`<rect x="${PAD.left}" y="${accTop}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#333"/>`);
  legend(out, accuracy, accTop);

  // Objective panel (log scale).
  for (let e = logLow; e <= logHigh; e++) {
    const y = syLoss(10 ** e);
    out.push(`<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">1e${e}</text>`);
  }
  out.push(
    `<text transform="translate(18 ${lossTop + PANEL_H / 2}) rotate(-90)" text-anchor="middle">training objective (log)</text>`,
  );
  objective.forEach((s) => {
    drawSeries(out, s, sx, syLoss);
  });
  out.push(`<rect x="${PAD.left}" y="${lossTop}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#333"/>`);
  legend(out, objective, lossTop);

  // Shared time axis and stage boundaries.
  for (let i = 0; i <= 5; i++) {
    const t = (maxT * i) / 5;
    out.push(
      `<text x="${sx(t)}" y="${lossTop + PANEL_H + 18}" text-anchor="middle">${t.toFixed(maxT < 10 ? 1 : 0)}</text>`,
    );
  }
  out.push(
    `<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">seconds since growth started</text>`,
  );
  for (const { curve, start } of picture.phases ? [] : stages) {
    if (start <= 0) continue;
    for (const top of [accTop, lossTop]) {
      out.push(
        `<line x1="${sx(start)}" x2="${sx(start)}" y1="${top}" y2="${top + PANEL_H}" stroke="#aaa" stroke-dasharray="2 3"/>`,
      );
    }
    out.push(`<text x="${sx(start) + 4}" y="${lossTop + 14}" fill="#777" font-size="11">${esc(curve.stage)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The accuracy grid's spacing for a panel spanning `range`. */
function gridStep(range: number): number {
  if (range > 0.2) return 0.1;
  return range > 0.05 ? 0.02 : 0.005;
}
