import { StageCurve } from '../grow/types';

export interface CurvePicture {
  title: string;
  curves: StageCurve[];
  /** Horizontal reference lines, e.g. the parent's held-out accuracy. */
  references?: { label: string; accuracy: number }[];
}

const WIDTH = 760;
const HEIGHT = 420;
const PAD = { left: 60, right: 150, top: 40, bottom: 50 };
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Series {
  label: string;
  colour: string;
  points: [number, number][];
  dashed: boolean;
}

/**
 * Learning curves against wall time, stages laid end to end: validation
 * accuracy (left axis, solid) and training loss / local MSE (right axis,
 * dashed, scaled to its own maximum).
 */
export function learningCurveSvg(picture: CurvePicture): string {
  const series: Series[] = [];
  let offset = 0;
  const boundaries: { x: number; label: string }[] = [];
  picture.curves.forEach((curve, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const label = curve.detail ? `${curve.stage} (${curve.detail.slice(0, 18)})` : curve.stage;
    const acc = curve.epochs.filter((e) => e.validationAccuracy !== undefined).map((e) => [offset + e.seconds, e.validationAccuracy!] as [number, number]);
    const maxLoss = Math.max(1e-12, ...curve.epochs.map((e) => e.loss));
    const loss = curve.epochs.map((e) => [offset + e.seconds, e.loss / maxLoss] as [number, number]);
    if (acc.length) series.push({ label: `${label} val. accuracy`, colour, points: acc, dashed: false });
    if (loss.length) series.push({ label: `${label} ${curve.metric} (rel.)`, colour, points: loss, dashed: true });
    boundaries.push({ x: offset, label: curve.stage });
    offset += curve.seconds;
  });
  const maxX = Math.max(1e-9, offset);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + (x / maxX) * plotW;
  const sy = (y: number) => PAD.top + (1 - Math.min(1, Math.max(0, y))) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  out.push(`<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${esc(picture.title)}</text>`);
  for (let t = 0; t <= 10; t += 2) {
    const y = sy(t / 10);
    out.push(`<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">${t * 10}%</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const x = sx((maxX * i) / 5);
    out.push(`<text x="${x}" y="${PAD.top + plotH + 18}" text-anchor="middle">${((maxX * i) / 5).toFixed(maxX < 10 ? 1 : 0)}</text>`);
  }
  out.push(`<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">seconds</text>`);
  out.push(`<text transform="translate(16 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle">validation accuracy / relative loss</text>`);
  out.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  for (const b of boundaries) {
    if (b.x === 0) continue;
    out.push(`<line x1="${sx(b.x)}" x2="${sx(b.x)}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="#999" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${sx(b.x) + 3}" y="${PAD.top + 12}" fill="#666">${esc(b.label)}</text>`);
  }
  for (const ref of picture.references ?? []) {
    const y = sy(ref.accuracy);
    out.push(`<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y}" y2="${y}" stroke="#555" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${PAD.left + 4}" y="${y - 4}" fill="#555">${esc(ref.label)} ${(ref.accuracy * 100).toFixed(1)}%</text>`);
  }
  series.forEach((s, i) => {
    const path = s.points.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    if (s.points.length === 1) {
      const [x, y] = s.points[0];
      out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.colour}"/>`);
    } else {
      out.push(`<path d="${path}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4" opacity="0.7"' : ''}/>`);
    }
    const ly = PAD.top + 10 + i * 18;
    const lx = PAD.left + plotW + 10;
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    out.push(`<text x="${lx + 22}" y="${ly + 4}" font-size="10">${esc(s.label.slice(0, 22))}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
