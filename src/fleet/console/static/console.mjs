// The console page: the fleet from /api/events (Server-Sent Events), actions as POSTs to /api/.
import { accuracyChart, accuracyCurve, barChart, jobCurve, pct } from './charts.mjs';

const $ = (id) => document.getElementById(id);
const STATES = ['ready', 'upgrading', 'init', 'degraded', 'offline', 'lost'];

/** The token comes in the URL's fragment (never sent to a server), is kept for this tab and taken out of the address bar. */
function readToken() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem('deepend-console-token', decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem('deepend-console-token');
}

const token = readToken();
/** id -> {doc, at}: the device document and when it arrived (for the ETA countdown). */
const devices = new Map();
const rows = new Map();
let selected = null;
let detail = null;
let selectedJob = null;
/** Renders asked for in this frame: each runs once in the next, however many devices changed meanwhile. */
const dueThisFrame = new Set();
/** The ids of `rows`, sorted: where a new device's row goes (a search, not a sort per device: a fleet of 1,000 arrives at once). */
const order = [];

function sortedIndex(id) {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (order[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
/** id -> the rollout document (src/fleet/console/rollout-doc.ts). */
const rollouts = new Map();

function headers(extra) {
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: headers(init.headers ?? {}) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

function ago(iso) {
  if (!iso) return '–';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function duration(seconds) {
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

function etaLeft(entry) {
  const eta = entry.doc.job?.etaSeconds;
  if (eta === null || eta === undefined) return null;
  return Math.max(0, Math.round(eta - (Date.now() - entry.at) / 1000));
}

function cell(text, cls) {
  const td = document.createElement('td');
  if (cls) td.className = cls;
  td.textContent = text;
  return td;
}

function makeRow(id) {
  const tr = document.createElement('tr');
  tr.dataset.device = id;
  const fields = ['device', 'group', 'state', 'hardware', 'backend', 'model', 'accuracy', 'job', 'seen'];
  for (const f of fields) {
    const td = cell('');
    td.dataset.field = f;
    tr.appendChild(td);
  }
  const job = tr.querySelector('[data-field=job]');
  job.innerHTML =
    '<div class="job"><div class="bar"><div class="fill"></div></div><span class="job-text"></span></div>';
  tr.addEventListener('click', () => select(id));
  return tr;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function jobText(job, entry) {
  if (!job) return '';
  const base = `${job.status === 'running' ? job.step : job.status} ${job.percent}%`;
  const left = etaLeft(entry);
  return left === null ? base : `${base} · ETA ${duration(left)}`;
}

function fillRow(tr, entry) {
  const d = entry.doc;
  const f = (name) => tr.querySelector(`[data-field=${name}]`);
  setText(f('device'), d.id);
  setText(f('group'), d.groups.join(', ') || '–');
  const state = f('state');
  const stateText = d.state ?? 'unknown';
  if (state.dataset.state !== stateText || !state.firstChild) {
    state.dataset.state = stateText;
    state.innerHTML = '<span class="pill"></span><span class="since"></span>';
    state.firstChild.classList.add(stateText);
    state.firstChild.textContent = stateText;
  }
  setText(state.lastChild, d.stateSince ? `for ${ago(d.stateSince)}` : '');
  setText(f('hardware'), d.hardware ?? '–');
  setText(f('backend'), d.backend ?? '–');
  setText(f('model'), d.model ? `v${d.model.version} · depth ${d.model.depth}` : '–');
  setText(f('accuracy'), d.model ? pct(d.model.accuracy) : '–');
  const fill = f('job').querySelector('.fill');
  const bar = f('job').querySelector('.bar');
  bar.hidden = !d.job;
  if (d.job) {
    const width = `${d.job.percent}%`;
    if (fill.style.width !== width) fill.style.width = width;
    fill.className = `fill ${d.job.status}`;
    bar.dataset.percent = String(d.job.percent);
    bar.dataset.status = d.job.status;
  }
  setText(f('job').querySelector('.job-text'), jobText(d.job, entry));
  f('job').title = d.job?.reason ?? '';
  setText(f('seen'), d.lastSeen ? `${ago(d.lastSeen)} ago` : '–');
  tr.classList.toggle('selected', d.id === selected);
}

function putDevice(doc) {
  devices.set(doc.id, { doc, at: Date.now() });
  let tr = rows.get(doc.id);
  if (!tr) {
    tr = makeRow(doc.id);
    rows.set(doc.id, tr);
    const at = sortedIndex(doc.id);
    order.splice(at, 0, doc.id);
    $('devices').tBodies[0].insertBefore(tr, rows.get(order[at + 1]) ?? null);
    oncePerFrame(refreshTargets);
  }
  fillRow(tr, devices.get(doc.id));
  if (doc.id === selected) renderDevice();
  oncePerFrame(renderSummary);
}

function oncePerFrame(render) {
  if (dueThisFrame.has(render)) return;
  dueThisFrame.add(render);
  requestAnimationFrame(() => {
    dueThisFrame.delete(render);
    render();
  });
}

function countBy(values) {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

function pills(container, counts, order) {
  container.textContent = '';
  const keys = [...counts.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b) || a.localeCompare(b));
  for (const k of keys) {
    const span = document.createElement('span');
    span.className = `pill ${k}`;
    span.textContent = `${k} ${counts.get(k)}`;
    container.appendChild(span);
  }
}

function renderSummary() {
  const docs = [...devices.values()].map((e) => e.doc);
  $('device-count').textContent = `(${docs.length})`;
  $('no-devices').hidden = docs.length > 0;
  pills($('sum-states'), countBy(docs.map((d) => d.state ?? 'unknown')), STATES);
  pills($('sum-backends'), countBy(docs.map((d) => d.backend ?? 'unknown')), []);
  const depths = countBy(docs.filter((d) => d.model).map((d) => d.model.depth));
  barChart(
    $('sum-depths'),
    [...depths.entries()].sort((a, b) => a[0] - b[0]).map(([k, n]) => [String(k), n]),
    'depth',
  );
  const accuracies = docs.map((d) => d.model?.accuracy).filter((a) => typeof a === 'number');
  accuracyChart($('sum-accuracy'), accuracies);
  const sorted = [...accuracies].sort((a, b) => a - b);
  $('sum-accuracy-text').textContent = sorted.length
    ? `min ${pct(sorted[0])} · median ${pct(sorted[Math.floor((sorted.length - 1) / 2)])} · max ${pct(sorted[sorted.length - 1])}`
    : '';
}

function refreshTargets() {
  const select = $('deepen-target');
  const chosen = select.value;
  const groups = new Set();
  for (const { doc } of devices.values()) for (const g of doc.groups) groups.add(g);
  select.textContent = '';
  for (const g of [...groups].sort()) select.appendChild(new Option(`group ${g}`, `group:${g}`));
  for (const id of [...devices.keys()].sort()) select.appendChild(new Option(`device ${id}`, `device:${id}`));
  // as for the rollout's group below: a target that is briefly out of the list stays chosen
  if (chosen && ![...select.options].some((o) => o.value === chosen))
    select.appendChild(new Option(chosen.replace(':', ' '), chosen));
  if (chosen) select.value = chosen;
  const rolloutGroup = $('rollout-group');
  const chosenGroup = rolloutGroup.value;
  rolloutGroup.textContent = '';
  rolloutGroup.appendChild(new Option('whole fleet', ''));
  // a group the operator chose stays chosen while its devices are briefly out of the list: falling back to
  // 'whole fleet' would roll the whole fleet out on the next click
  const rolloutGroups = chosenGroup ? new Set([...groups, chosenGroup]) : groups;
  for (const g of [...rolloutGroups].sort()) rolloutGroup.appendChild(new Option(`group ${g}`, g));
  rolloutGroup.value = chosenGroup;
}

async function select(id) {
  selected = id;
  selectedJob = null;
  for (const [rid, tr] of rows) tr.classList.toggle('selected', rid === id);
  $('deepen-target').value = `device:${id}`;
  $('device-view').hidden = false;
  $('dv-replies').textContent = '';
  detail = null;
  renderDevice();
  try {
    const fetched = await api(`/api/devices/${encodeURIComponent(id)}`);
    if (selected !== id) return;
    detail = fetched;
    renderDevice();
  } catch (err) {
    $('dv-job-title').textContent = `(${err.message})`;
  }
}

/** The job's figures on the device's own traffic: its shadow run before the swap, its watch after it; null for none. */
function liveTraffic(job) {
  const lines = [];
  const s = job?.shadow;
  if (s) {
    const acc =
      s.labelled > 0
        ? `; labelled accuracy ${pct(s.servedAccuracy)} → ${pct(s.candidateAccuracy)} on ${s.labelled}`
        : '';
    lines.push(
      s.requests === 0
        ? `Shadow: no live request to compare on in ${s.seconds} s.`
        : `Shadow: ${s.requests} live requests (${s.instances} instances) answered beside v${s.servedVersion} in ${s.seconds} s; ${pct(s.disagreement)} disagreed; forward p99 ${s.servedP99Ms} → ${s.candidateP99Ms} ms${acc}.`,
    );
  }
  const w = job?.watch;
  if (w) {
    const figures = `${w.requests} requests, ${w.failures} failed${w.shift !== null ? `, class shift ${pct(w.shift)}` : ''}${w.p99Ms !== null ? `, p99 ${w.p99Ms} ms (v${w.fromVersion}: ${w.fromP99Ms ?? '–'})` : ''}${w.accuracy !== null ? `, labelled accuracy ${pct(w.accuracy)} (v${w.fromVersion}: ${pct(w.fromAccuracy)})` : ''}`;
    lines.push(
      `Watch of v${w.version}: ${w.verdict} after ${w.seconds} s${w.reason ? ` (${w.reason})` : ''}; ${figures}.`,
    );
  }
  return lines.length > 0 ? lines : null;
}

/** A history row's status: the reason it did not succeed, or what its watch did when that was not a pass. */
function statusText(j) {
  if (j.reason) return `${j.status} (${j.reason})`;
  if (j.watch && j.watch.verdict !== 'passed') return `${j.status}, watch ${j.watch.verdict}`;
  return j.status;
}

function fact(dl, name, value) {
  const dt = document.createElement('dt');
  dt.textContent = name;
  const dd = document.createElement('dd');
  dd.textContent = value;
  dl.append(dt, dd);
}

function renderDevice() {
  const entry = devices.get(selected);
  if (!entry) return;
  const d = entry.doc;
  $('dv-title').textContent = d.id;
  const dl = $('dv-facts');
  dl.textContent = '';
  fact(dl, 'state', `${d.state ?? 'unknown'}${d.stateSince ? ` for ${ago(d.stateSince)}` : ''}`);
  fact(dl, 'groups', d.groups.join(', ') || '–');
  fact(dl, 'hardware', d.hardware ?? '–');
  fact(dl, 'backend', d.backend ?? '–');
  fact(dl, 'model', d.model ? `v${d.model.version}, depth ${d.model.depth}, accuracy ${pct(d.model.accuracy)}` : '–');
  if (d.readOnly) fact(dl, 'read-only', d.readOnly);
  if (d.telemetry)
    fact(
      dl,
      'serving',
      `${d.telemetry.predictRate.toFixed(1)} predictions/s, p50 ${d.telemetry.p50 ?? '–'} ms, p99 ${d.telemetry.p99 ?? '–'} ms, RSS ${(d.telemetry.rssBytes / 2 ** 20).toFixed(0)} MB`,
    );
  fact(dl, 'last seen', d.lastSeen ? `${ago(d.lastSeen)} ago` : '–');
  if (!detail) return;
  const jobs = detail.jobs;
  const job = jobs.find((j) => j.jobId === selectedJob) ?? jobs[0];
  $('dv-job-title').textContent = job ? `${job.jobId.slice(0, 8)}… ${job.status} ${job.percent}%` : '(none yet)';
  jobCurve($('dv-curve'), job ? (detail.curves[job.jobId] ?? []) : []);
  accuracyCurve($('dv-accuracy'), job ? (detail.curves[job.jobId] ?? []) : [], job);
  $('dv-acc').textContent = job
    ? `parent ${pct(job.accuracyBefore)} → candidate ${pct(job.accuracyAfter)}; depth ${job.depthBefore} → ${job.depthAfter ?? '–'}`
    : '–';
  const live = liveTraffic(job);
  const liveBox = $('dv-live');
  liveBox.hidden = live === null;
  liveBox.textContent = '';
  for (const line of live ?? []) {
    const p = document.createElement('p');
    p.textContent = line;
    p.className = line.startsWith('Shadow') ? 'live-shadow' : `live-watch watch-${job.watch.verdict}`;
    liveBox.appendChild(p);
  }
  const body = $('dv-jobs').tBodies[0];
  body.textContent = '';
  for (const j of jobs) {
    const tr = document.createElement('tr');
    tr.dataset.job = j.jobId;
    tr.classList.toggle('selected', j === job);
    tr.append(
      cell(`${j.jobId.slice(0, 8)}…`),
      cell(j.trigger),
      cell(statusText(j)),
      cell(`${j.depthBefore} → ${j.depthAfter ?? '–'}`),
      cell(`${pct(j.accuracyBefore)} → ${pct(j.accuracyAfter)}`),
      cell(`${ago(j.ts)} ago`),
    );
    tr.title = j.reason ?? '';
    tr.addEventListener('click', () => {
      selectedJob = j.jobId;
      renderDevice();
    });
    body.appendChild(tr);
  }
}

function onSample(e) {
  if (!detail || e.device !== selected) return;
  const i = detail.jobs.findIndex((j) => j.jobId === e.jobId);
  if (i === -1) detail.jobs.unshift(e.job);
  else detail.jobs[i] = e.job;
  detail.jobs.sort((a, b) => b.ts.localeCompare(a.ts));
  const curve = detail.curves[e.jobId] ?? [];
  curve.push(e.sample);
  detail.curves[e.jobId] = curve;
  renderDevice();
}

function points(x) {
  if (x === null || x === undefined) return '–';
  const r = Math.round(x * 100) / 100;
  return `${['-', '', '+'][Math.sign(r) + 1]}${Math.abs(r).toFixed(2)}`;
}

function rolloutLine(r) {
  const unit = r.unit;
  const parts = [`to depth ${r.params.toDepth}`, r.params.group ? `group ${r.params.group}` : 'whole fleet'];
  if (r.status === 'running') {
    const n = Math.min(r.current + 1, r.waves.length);
    parts.push(`${unit} ${n} of ${r.waves.length}`);
    if (r.paused) parts.push(`paused by ${r.paused.by} since ${new Date(r.paused.at).toLocaleTimeString()}`);
    else if (r.nextAt && Date.parse(r.nextAt) > Date.now())
      parts.push(`next ${unit} in ${duration(Math.ceil((Date.parse(r.nextAt) - Date.now()) / 1000))}`);
  }
  const t = r.totals;
  parts.push(
    `${t.succeeded} succeeded, ${t.rejected} rejected, ${t.failed} failed, ${t.pending} pending, ${t.notSent} not sent`,
  );
  const rules = [`max failures ${r.params.maxFailuresPct}%`];
  if (r.params.minMedianGain !== null) rules.push(`median gain ≥ ${points(r.params.minMedianGain)}`);
  if (r.params.maxLoss !== null) rules.push(`loss ≤ ${r.params.maxLoss}`);
  parts.push(rules.join(', '));
  return parts.join(' · ');
}

function waveRow(r, w, i) {
  const tr = document.createElement('tr');
  tr.dataset.wave = w.label;
  tr.classList.toggle('unsent', !w.sent);
  tr.classList.toggle('current', r.status === 'running' && i === r.current);
  const num = (field, text) => {
    const td = cell(text, 'num');
    td.dataset.field = field;
    return td;
  };
  const name = cell(w.pct === null ? w.label : `${w.label} (${w.pct}%)`);
  name.dataset.field = 'wave';
  tr.append(
    name,
    num('devices', String(w.devices)),
    num('succeeded', String(w.succeeded)),
    num('rejected', String(w.rejected)),
    num('failed', String(w.failed)),
    num('pending', w.sent ? String(w.pending) : 'not sent'),
    num('median', points(w.medianGain)),
    num('worst', w.worst ? `${points(w.worst.gain)} (${w.worst.device})` : '–'),
  );
  const action = cell('');
  if (w.sent) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'small-action wave-rollback';
    button.textContent = 'roll back';
    button.title = `roll back the ${w.devices} device(s) of this ${r.unit}`;
    button.addEventListener('click', () =>
      rollBack({ rollout: r.id, wave: w.label }, `${r.unit} ${w.label} of ${r.id}`, $('rollout-replies')),
    );
    action.appendChild(button);
  }
  tr.appendChild(action);
  return tr;
}

function renderRollouts() {
  const box = $('rollouts');
  const docs = [...rollouts.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  $('rollout-count').textContent = docs.length ? `(${docs.length})` : '';
  $('no-rollouts').hidden = docs.length > 0;
  box.textContent = '';
  for (const r of docs) {
    const div = document.createElement('div');
    div.className = 'rollout';
    div.dataset.rollout = r.id;
    div.dataset.status = r.status;
    const head = document.createElement('div');
    head.className = 'rollout-head';
    const id = document.createElement('span');
    id.className = 'rollout-id';
    id.textContent = r.id;
    const status = document.createElement('span');
    const shown = r.status === 'running' && r.paused ? 'paused' : r.status;
    status.className = `pill ${shown}`;
    status.textContent = shown;
    const line = document.createElement('span');
    line.className = 'small rollout-line';
    line.textContent = rolloutLine(r);
    head.append(id, status, line);
    if (r.status === 'running') {
      const hold = r.paused ? 'resume' : 'pause';
      const titles = {
        pause: `send no further ${r.unit} until resumed (devices already sent carry their upgrade out)`,
        resume: `carry on with the next ${r.unit}`,
        abort: 'send nothing more (devices already sent carry their upgrade out)',
      };
      for (const action of [hold, 'abort']) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = `small-action rollout-${action}`;
        button.textContent = action;
        button.title = titles[action];
        button.addEventListener('click', () => controlRollout(r.id, action, button));
        head.appendChild(button);
      }
    }
    div.appendChild(head);
    if (r.stop) {
      const stop = document.createElement('div');
      stop.className = 'rollout-stop';
      stop.textContent = `stopped at ${r.unit} ${r.stop.label} (${r.stop.rule}): ${r.stop.why}`;
      div.appendChild(stop);
    }
    if (r.lostAtPlan.length > 0) {
      const lost = document.createElement('div');
      lost.className = 'small';
      lost.textContent = `not online when planned: ${r.lostAtPlan.map((l) => `${l.device} (${l.state})`).join(', ')}`;
      div.appendChild(lost);
    }
    const table = document.createElement('table');
    table.className = 'waves';
    const header = ['wave', 'devices', 'succeeded', 'rejected', 'failed', 'pending', 'median gain', 'worst', ''];
    header[0] = r.unit;
    table.innerHTML = `<thead><tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody></tbody>`;
    r.waves.forEach((w, i) => {
      table.tBodies[0].appendChild(waveRow(r, w, i));
    });
    div.appendChild(table);
    box.appendChild(div);
  }
}

function putRollout(doc) {
  rollouts.set(doc.id, doc);
  renderRollouts();
}

function setLink(up) {
  const link = $('link');
  link.className = `link ${up ? 'up' : 'down'}`;
  link.textContent = up ? 'live' : 'offline';
}

function connect() {
  const events = new EventSource(`/api/events${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  events.addEventListener('snapshot', (m) => {
    const snap = JSON.parse(m.data);
    $('where').textContent = `fleet ${snap.fleet} on ${snap.broker}`;
    setLink(snap.connected);
    const ids = new Set(snap.devices.map((d) => d.id));
    for (const [id, tr] of rows)
      if (!ids.has(id)) {
        tr.remove();
        rows.delete(id);
        order.splice(sortedIndex(id), 1);
        devices.delete(id);
      }
    for (const d of snap.devices) putDevice(d);
    renderSummary();
    rollouts.clear();
    for (const r of snap.rollouts) rollouts.set(r.id, r);
    renderRollouts();
  });
  events.addEventListener('rollout', (m) => putRollout(JSON.parse(m.data)));
  events.addEventListener('rollout-gone', (m) => {
    rollouts.delete(JSON.parse(m.data).id);
    renderRollouts();
  });
  events.addEventListener('device', (m) => putDevice(JSON.parse(m.data)));
  events.addEventListener('sample', (m) => onSample(JSON.parse(m.data)));
  events.addEventListener('link', (m) => setLink(JSON.parse(m.data).connected));
  events.addEventListener('error', () => setLink(false));
}

function showReplies(lines, box = $('deepen-replies')) {
  box.textContent = '';
  for (const { text, ok } of lines) {
    const div = document.createElement('div');
    div.className = `reply ${ok ? 'ok' : 'refused'}`;
    div.textContent = text;
    box.appendChild(div);
  }
}

function replyLines(results) {
  return results.map((r) => ({
    ok: r.ok,
    text: r.ok ? `${r.device}: accepted, job ${r.jobId}` : `${r.device}: refused: ${r.error}`,
  }));
}

/** POST /api/rollback with `body` (a device, or a rollout and its wave); the replies go to `box`. */
async function rollBack(body, what, box) {
  showReplies([{ text: `sending rollback to ${what}…`, ok: true }], box);
  try {
    const { results } = await api('/api/rollback', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    showReplies(replyLines(results), box);
  } catch (err) {
    showReplies([{ text: `not sent: ${err.message}`, ok: false }], box);
  }
}

async function deepen(event) {
  event.preventDefault();
  const [kind, name] = $('deepen-target').value.split(/:(.*)/s);
  const body = { [kind]: name, toDepth: Number($('deepen-depth').value) };
  if ($('deepen-method').value) body.method = $('deepen-method').value;
  const button = $('deepen-send');
  button.disabled = true;
  showReplies([{ text: `sending deepen to ${kind} ${name}…`, ok: true }]);
  try {
    const { results } = await api('/api/deepen', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    showReplies(replyLines(results));
  } catch (err) {
    showReplies([{ text: `not sent: ${err.message}`, ok: false }]);
  } finally {
    button.disabled = false;
  }
}

/** Pause, resume or abort a rollout, whichever process runs it; the answer is the rollout's own state. */
async function controlRollout(id, action, button) {
  const box = $('rollout-replies');
  const doing = { pause: 'pausing', resume: 'resuming', abort: 'aborting' }[action];
  const done = { pause: 'paused', resume: 'resumed', abort: 'aborted' }[action];
  button.disabled = true;
  showReplies([{ text: `${doing} ${id}…`, ok: true }], box);
  try {
    const { status } = await api(`/api/rollouts/${encodeURIComponent(id)}/${action}`, { method: 'POST' });
    showReplies([{ text: `${id}: ${action === 'abort' && status !== 'stopped' ? status : done}`, ok: true }], box);
  } catch (err) {
    showReplies([{ text: `${id}: not ${done}: ${err.message}`, ok: false }], box);
  } finally {
    button.disabled = false;
  }
}

/** The rollout form as the body of POST /api/rollouts (the fields of `deepend fleet rollout`). */
function rolloutBody() {
  const value = (id) => $(id).value.trim();
  const body = { toDepth: Number(value('rollout-depth')), waves: value('rollout-waves') };
  body.maxFailures = Number(value('rollout-failures'));
  if (value('rollout-group')) body.group = value('rollout-group');
  if (value('rollout-min-gain')) body.minMedianGain = Number(value('rollout-min-gain'));
  if (value('rollout-max-loss')) body.maxLoss = Number(value('rollout-max-loss'));
  if (value('rollout-pause')) body.pause = value('rollout-pause');
  if ($('rollout-rollback').checked) body.rollbackOnStop = true;
  return body;
}

async function startRollout(event) {
  event.preventDefault();
  const button = $('rollout-start');
  const box = $('rollout-replies');
  button.disabled = true;
  showReplies([{ text: 'planning the rollout…', ok: true }], box);
  try {
    const { rolloutId, lines } = await api('/api/rollouts', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(rolloutBody()),
    });
    showReplies([{ text: `started ${rolloutId}`, ok: true }, ...lines.map((text) => ({ text, ok: true }))], box);
  } catch (err) {
    showReplies([{ text: `not started: ${err.message}`, ok: false }], box);
  } finally {
    button.disabled = false;
  }
}

$('deepen-form').addEventListener('submit', deepen);
$('rollout-form').addEventListener('submit', startRollout);
$('dv-rollback').addEventListener('click', () => {
  if (selected) rollBack({ device: selected }, `device ${selected}`, $('dv-replies'));
});
$('dv-close').addEventListener('click', () => {
  selected = null;
  $('device-view').hidden = true;
  for (const tr of rows.values()) tr.classList.remove('selected');
});
setInterval(() => {
  for (const [id, tr] of rows) fillRow(tr, devices.get(id));
  if (selected) renderDevice();
  if ([...rollouts.values()].some((r) => r.status === 'running' && r.nextAt)) renderRollouts();
}, 1000);
connect();
