// SVG charts of the console page, drawn with DOM calls only (no library, nothing fetched).
const SVG_NS = 'http://www.w3.org/2000/svg';

function el(name, attrs, text) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function clear(svg) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
}

/** Bars of counts by label: `counts` is [[label, count], ...]. */
export function barChart(svg, counts, unit) {
  clear(svg);
  if (counts.length === 0) {
    svg.appendChild(el('text', { x: 130, y: 60, 'text-anchor': 'middle', class: 'axis', fill: '#6a737d' }, 'no data'));
    return;
  }
  const max = Math.max(...counts.map(([, n]) => n));
  const slot = 240 / counts.length;
  const width = Math.min(36, slot * 0.7);
  counts.forEach(([label, n], i) => {
    const h = max > 0 ? (n / max) * 70 : 0;
    const x = 10 + i * slot + (slot - width) / 2;
    const bar = el('rect', { x, y: 85 - h, width, height: h, rx: 2, fill: '#1f6feb' });
    bar.appendChild(el('title', {}, `${unit} ${label}: ${n}`));
    svg.appendChild(bar);
    svg.appendChild(el('text', { x: x + width / 2, y: 80 - h, 'text-anchor': 'middle', 'font-size': 10 }, String(n)));
    svg.appendChild(
      el('text', { x: x + width / 2, y: 100, 'text-anchor': 'middle', 'font-size': 10, fill: '#6a737d' }, label),
    );
  });
}

/** Accuracies (0..1) as a histogram over their range, with the median marked. */
export function accuracyChart(svg, values) {
  clear(svg);
  if (values.length === 0) {
    svg.appendChild(el('text', { x: 130, y: 60, 'text-anchor': 'middle', fill: '#6a737d' }, 'no data'));
    return;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const lo = Math.floor(sorted[0] * 200) / 200;
  const hi = Math.max(lo + 0.005, Math.ceil(sorted[sorted.length - 1] * 200) / 200);
  const bins = 12;
  const counts = new Array(bins).fill(0);
  for (const v of sorted) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
  const max = Math.max(...counts);
  const x = (v) => 10 + ((v - lo) / (hi - lo)) * 240;
  counts.forEach((n, i) => {
    const h = (n / max) * 65;
    svg.appendChild(
      el('rect', { x: 10 + (i * 240) / bins + 1, y: 80 - h, width: 240 / bins - 2, height: h, fill: '#54aeff' }),
    );
  });
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  svg.appendChild(
    el('line', { x1: x(median), x2: x(median), y1: 10, y2: 82, stroke: '#1b1f24', 'stroke-dasharray': '3 2' }),
  );
  svg.appendChild(el('text', { x: 10, y: 98, 'font-size': 10, fill: '#6a737d' }, pct(lo)));
  svg.appendChild(el('text', { x: 250, y: 98, 'font-size': 10, 'text-anchor': 'end', fill: '#6a737d' }, pct(hi)));
}

export function pct(a) {
  return a === null || a === undefined ? '–' : `${(a * 100).toFixed(2)}%`;
}

/**
 * One job's progress over time: `samples` are {at, percent, step, status};
 * a dashed line where the step changes, and the end marked by its status.
 */
export function jobCurve(svg, samples) {
  clear(svg);
  const left = 40;
  const right = 505;
  const top = 12;
  const bottom = 190;
  for (const p of [0, 25, 50, 75, 100]) {
    const y = bottom - (p / 100) * (bottom - top);
    svg.appendChild(el('line', { x1: left, x2: right, y1: y, y2: y, stroke: '#eaeef2' }));
    svg.appendChild(
      el('text', { x: left - 6, y: y + 3, 'text-anchor': 'end', 'font-size': 10, fill: '#6a737d' }, `${p}%`),
    );
  }
  if (samples.length === 0) {
    svg.appendChild(
      el('text', { x: (left + right) / 2, y: 100, 'text-anchor': 'middle', fill: '#6a737d' }, 'no progress seen yet'),
    );
    return;
  }
  const x = timeAxis(svg, samples, left, right, bottom);
  const y = (p) => bottom - (p / 100) * (bottom - top);
  let lastStep = null;
  let labelEnd = Number.NEGATIVE_INFINITY;
  for (const s of samples) {
    if (s.step !== lastStep) {
      const sx = x(s.at);
      const line = el('line', { x1: sx, x2: sx, y1: top, y2: bottom, stroke: '#8c959f', 'stroke-dasharray': '4 3' });
      line.appendChild(el('title', {}, s.step));
      svg.appendChild(line);
      // steps that follow each other closely get a line each, and only the first of them a label
      if (sx >= labelEnd) {
        svg.appendChild(el('text', { x: sx + 3, y: top + 10, 'font-size': 10, fill: '#6a737d' }, s.step));
        labelEnd = sx + 6 * s.step.length + 8;
      }
      lastStep = s.step;
    }
  }
  const points = samples.map((s) => `${x(s.at).toFixed(1)},${y(s.percent).toFixed(1)}`).join(' ');
  svg.appendChild(el('polyline', { points, fill: 'none', stroke: '#1f6feb', 'stroke-width': 2, class: 'curve-line' }));
  const last = samples[samples.length - 1];
  const end = el('circle', { cx: x(last.at), cy: y(last.percent), r: 4, fill: statusColour(last.status) });
  end.appendChild(el('title', {}, `${last.status} ${last.percent}%`));
  svg.appendChild(end);
}

/**
 * One job's learning curve: the candidate's validation accuracy at each
 * epoch's end over the job's time (samples as for jobCurve, those with
 * validationAccuracy), dashed lines where its step changes (a block
 * inserted, Stage II begun), the parent's held-out accuracy, the gate's
 * threshold, and the candidate's held-out accuracy once measured.
 */
export function accuracyCurve(svg, samples, job) {
  clear(svg);
  const left = 48;
  const right = 505;
  const top = 12;
  const bottom = 190;
  const points = samples.filter((s) => typeof s.validationAccuracy === 'number');
  const before = job?.accuracyBefore ?? null;
  const gate = job?.gateAccuracy ?? null;
  const after = job?.accuracyAfter ?? null;
  const values = [...points.map((s) => s.validationAccuracy), before, gate, after].filter((v) => v !== null);
  if (samples.length === 0 || values.length === 0) {
    svg.appendChild(
      el(
        'text',
        { x: (left + right) / 2, y: 100, 'text-anchor': 'middle', fill: '#6a737d' },
        'no accuracy measured yet',
      ),
    );
    return;
  }
  const lo = Math.max(0, Math.floor((Math.min(...values) - 0.005) * 100) / 100);
  const hi = Math.min(1, Math.max(lo + 0.01, Math.ceil((Math.max(...values) + 0.005) * 100) / 100));
  const x = timeAxis(svg, samples, left, right, bottom);
  const y = (v) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    svg.appendChild(el('line', { x1: left, x2: right, y1: y(v), y2: y(v), stroke: '#eaeef2' }));
    svg.appendChild(
      el('text', { x: left - 6, y: y(v) + 3, 'text-anchor': 'end', 'font-size': 10, fill: '#6a737d' }, pct(v)),
    );
  }
  let lastStep = null;
  for (const s of samples) {
    if (s.step === lastStep) continue;
    const mark = el('line', {
      x1: x(s.at),
      x2: x(s.at),
      y1: top,
      y2: bottom,
      stroke: '#8c959f',
      'stroke-dasharray': '4 3',
      class: 'acc-mark',
    });
    mark.appendChild(el('title', {}, s.step));
    svg.appendChild(mark);
    lastStep = s.step;
  }
  const level = (v, colour, label, cls) => {
    const line = el('line', {
      x1: left,
      x2: right,
      y1: y(v),
      y2: y(v),
      stroke: colour,
      'stroke-dasharray': '6 3',
      class: cls,
    });
    line.appendChild(el('title', {}, `${label} ${pct(v)}`));
    svg.appendChild(line);
    svg.appendChild(
      el(
        'text',
        { x: right - 2, y: y(v) - 3, 'text-anchor': 'end', 'font-size': 10, fill: colour },
        `${label} ${pct(v)}`,
      ),
    );
  };
  const gateIsParent = gate !== null && before !== null && Math.abs(gate - before) < 1e-9;
  if (before !== null)
    level(before, '#6a737d', gateIsParent ? 'parent (held-out) = gate' : 'parent (held-out)', 'acc-parent');
  if (gate !== null && !gateIsParent) level(gate, '#cf222e', 'gate', 'acc-gate');
  if (points.length > 0) {
    const line = points.map((s) => `${x(s.at).toFixed(1)},${y(s.validationAccuracy).toFixed(1)}`).join(' ');
    svg.appendChild(
      el('polyline', { points: line, fill: 'none', stroke: '#1f6feb', 'stroke-width': 2, class: 'acc-line' }),
    );
    for (const s of points) {
      const dot = el('circle', { cx: x(s.at), cy: y(s.validationAccuracy), r: 2.5, fill: '#1f6feb' });
      dot.appendChild(el('title', {}, `${s.step}: validation ${pct(s.validationAccuracy)}`));
      svg.appendChild(dot);
    }
  }
  if (after !== null) {
    const last = samples[samples.length - 1];
    const end = el('circle', {
      cx: x(last.at),
      cy: y(after),
      r: 4.5,
      fill: statusColour(job.status),
      class: 'acc-after',
    });
    end.appendChild(el('title', {}, `candidate (held-out) ${pct(after)}, ${job.status}`));
    svg.appendChild(end);
  }
}

/** The job's time from its first sample to its last (at least 1 s) along x, labelled under the chart; returns the mapping. */
function timeAxis(svg, samples, left, right, bottom) {
  const t0 = Date.parse(samples[0].at);
  const t1 = Math.max(t0 + 1000, Date.parse(samples[samples.length - 1].at));
  svg.appendChild(el('text', { x: left, y: bottom + 18, 'font-size': 10, fill: '#6a737d' }, '0 s'));
  svg.appendChild(
    el(
      'text',
      { x: right, y: bottom + 18, 'text-anchor': 'end', 'font-size': 10, fill: '#6a737d' },
      `${Math.round((t1 - t0) / 1000)} s`,
    ),
  );
  return (at) => left + ((Date.parse(at) - t0) / (t1 - t0)) * (right - left);
}

function statusColour(status) {
  if (status === 'succeeded') return '#1a7f37';
  if (status === 'running' || status === 'queued') return '#1f6feb';
  return '#cf222e';
}
