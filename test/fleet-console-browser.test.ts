import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { defaultConfig } from '../src/config';
import { createLogger } from '../src/util/log';
import { startConsole } from '../src/fleet/console/console';
import { startSimulation } from '../src/fleet/sim/simulation';
import { brokerAvailable, startAedesBroker, startMosquitto } from './helpers/brokers';
import { browserSkip, launchChromium } from './helpers/browser';
import { eventually, fleetCli } from './helpers/fleet-cli';

// `deepend fleet console` in a real browser (headless chromium), on a test
// broker with simulated devices: the table fills, a deepen sent from the page
// is answered and its progress bar advances to success, the device view draws
// the job's curve, a device whose process dies shows as lost, a group deepen
// shows every device's reply, actions without the token or from another
// origin are refused, a rollout started by the CLI shows wave by wave, and a
// wave and a device are rolled back from the page, a rollout started from
// the page runs to its end, another is paused and resumed, and one the CLI
// runs is aborted from the page between its waves.

const FLEET = 'console';
const TOKEN = 'console-test-token-0123456789abcdef';
/** Generous: the machine may be busy with other work (the test runs niced). */
const WAIT = { timeout: 120_000, polling: 100 };

interface Answer {
  status: number;
  body: string;
}

/** A POST from outside the browser, with the headers a foreign page or script would send. */
function post(url: string, path: string, headers: Record<string, string>, body: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

test('fleet console in chromium: live table, deepen from the page, progress, lost device, refused actions', {
  skip: browserSkip(),
  timeout: 900_000,
}, async (t) => {
  const broker = brokerAvailable('mosquitto') ? await startMosquitto(t, { quiet: true }) : await startAedesBroker(t);
  const simulation = await startSimulation({
    url: broker.url,
    fleet: FLEET,
    group: 'lab',
    count: 3,
    first: 0,
    prefix: 'dev',
    growSeconds: 10,
    telemetrySeconds: 1,
    failing: new Set(),
    log: createLogger({ level: 'error', stream: process.stderr }),
  });
  t.after(() => simulation.stop());
  // One device in a process of its own (`deepend fleet simulate`), so that it can die and leave its will.
  const cli = fleetCli(t, broker.url, FLEET);
  const dropping = cli.start(['simulate', '--devices', '1', '--prefix', 'drop', '--group', 'lab']);
  t.after(() => dropping.kill('SIGKILL'));
  await eventually(dropping.stderr, /1 simulated devices \(drop-0000/, 180_000);

  const running = await startConsole({
    target: { url: broker.url, fleet: FLEET, mqtt: defaultConfig().mqtt, home: cli.home },
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    warn: () => undefined,
    replyWaitMs: 10_000,
  });
  t.after(() => running.close());
  const browser = await launchChromium(t);
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  const outside: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(running.url)) outside.push(r.url());
  });
  // Page code as strings: the tests compile without the DOM's types.
  const until = (js: string) => page.waitForFunction(js, WAIT);
  const read = <T>(js: string) => page.evaluate(js) as Promise<T>;
  const row = (device: string) => `document.querySelector('tr[data-device="${device}"]')`;
  const bar = (device: string) => `${row(device)}?.querySelector('.bar')?.dataset`;
  // A rollout's card is redrawn on each of its updates: find its button and click it in one turn of the
  // page, where page.click (find, scroll, then click) may find a button that a redraw has just replaced.
  const clickInCard = (selector: string) =>
    read(`(() => { const b = document.querySelector(${JSON.stringify(selector)}); b.click(); return b.tagName; })()`);
  await page.setViewport({ width: 1680, height: 1000 });
  await page.goto(`${running.url}#token=${TOKEN}`);

  await t.test('the table fills from the retained topics, live', async () => {
    await until(
      `[...document.querySelectorAll('#devices tbody tr')].filter((tr) => tr.querySelector('[data-field=state]').textContent.startsWith('ready')).length === 4`,
    );
    const ids = await read<string[]>(
      `[...document.querySelectorAll('#devices tbody tr')].map((tr) => tr.dataset.device)`,
    );
    assert.deepEqual(ids, ['dev-0000', 'dev-0001', 'dev-0002', 'drop-0000']);
    const cells = await read<Record<string, string>>(
      `Object.fromEntries([...${row('dev-0001')}.querySelectorAll('td')].map((td) => [td.dataset.field, td.textContent.trim()]))`,
    );
    assert.equal(cells.group, 'lab');
    assert.equal(cells.hardware, 'simulated');
    assert.equal(cells.backend, 'simulated');
    assert.equal(cells.model, 'v1 · depth 2');
    assert.match(cells.accuracy, /^\d+\.\d\d%$/);
    assert.equal(await read(`document.getElementById('link').textContent`), 'live');
    // the token left the address bar
    assert.equal(new URL(page.url()).hash, '');
  });

  await t.test('an action without the token, or from another origin, is refused (403) and sends nothing', async () => {
    const body = { device: 'dev-0000', toDepth: 4 };
    const inPage = await read<{ status: number; error: string }>(
      `fetch('/api/deepen', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '${JSON.stringify(body)}' })
        .then(async (res) => ({ status: res.status, error: (await res.json()).error }))`,
    );
    assert.equal(inPage.status, 403);
    assert.match(inPage.error, /token is required/);
    const json = { 'Content-Type': 'application/json' };
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const origin = running.url.replace(/\/$/, '');
    const wrongToken = await post(
      running.url,
      '/api/deepen',
      { ...json, Origin: origin, Authorization: 'Bearer wrong-token-0123456789abcdef' },
      body,
    );
    assert.equal(wrongToken.status, 403, wrongToken.body);
    const foreign = await post(running.url, '/api/deepen', { ...json, ...auth, Origin: 'http://evil.example' }, body);
    assert.equal(foreign.status, 403, foreign.body);
    assert.match(foreign.body, /Origin 'http:\/\/evil\.example' is not this console's/);
    const noOrigin = await post(running.url, '/api/deepen', { ...json, ...auth }, body);
    assert.equal(noOrigin.status, 403, noOrigin.body);
    const viaGet = await fetch(new URL('/api/deepen?device=dev-0000&toDepth=4', running.url), { headers: auth });
    assert.equal(viaGet.status, 405);
    const state = await fetch(new URL('/api/state', running.url));
    assert.equal(state.status, 403, 'reading the fleet needs the token too');
    await new Promise((r) => setTimeout(r, 1000));
    const detail = (await (await fetch(new URL('/api/devices/dev-0000', running.url), { headers: auth })).json()) as {
      jobs: unknown[];
    };
    assert.deepEqual(detail.jobs, [], 'no refused request reached the device');
  });

  await t.test('a deepen sent from the page is answered, its progress bar advances and it succeeds', async () => {
    await page.select('#deepen-target', 'device:dev-0001');
    await read(`document.getElementById('deepen-depth').value = '4'`);
    await page.click('#deepen-send');
    await until(
      `/^dev-0001: accepted, job [0-9a-f-]{36}$/.test(document.querySelector('#deepen-replies .reply.ok')?.textContent ?? '')`,
    );
    await until(`${bar('dev-0001')}?.status === 'running' && Number(${bar('dev-0001')}.percent) > 2`);
    const early = await read<{ percent: number; width: string }>(
      `({ percent: Number(${bar('dev-0001')}.percent), width: ${row('dev-0001')}.querySelector('.fill').style.width })`,
    );
    assert.equal(early.width, `${early.percent}%`);
    await until(`Number(${bar('dev-0001')}.percent) > ${early.percent}`);
    await until(`/ETA \\d/.test(${row('dev-0001')}.querySelector('.job-text').textContent)`);
    await until(
      `${row('dev-0001')}.querySelector('[data-field=model]').textContent === 'v2 · depth 4' && ${bar('dev-0001')}.status === 'succeeded'`,
    );
    assert.equal(await read(`Number(${bar('dev-0001')}.percent)`), 100);
  });

  await t.test('the device view shows the job history, the job curve and its learning curve', async () => {
    await page.click('tr[data-device="dev-0001"]');
    await until(`document.querySelectorAll('#dv-jobs tbody tr').length === 1`);
    const history = await read<string>(`document.querySelector('#dv-jobs tbody tr').textContent`);
    assert.match(history, /fleet/);
    assert.match(history, /succeeded/);
    assert.match(history, /2 → 4/);
    const points = await read<string[]>(
      `document.querySelector('#dv-curve polyline.curve-line').getAttribute('points').split(' ')`,
    );
    assert.ok(points.length >= 4, `a curve of ${points.length} points`);
    const ys = points.map((xy) => Number(xy.split(',')[1]));
    assert.ok(ys.at(-1)! < ys[0], 'the curve rises to 100 %');
    assert.match(await read<string>(`document.getElementById('dv-curve').textContent`), /stage1.*stage2/s);
    // the learning curve: validation accuracy at each (simulated) epoch's end, the parent, the gate, the candidate
    const curve = await read<{ points: number; marks: string[]; parent: string; after: string; text: string }>(
      `(() => { const svg = document.getElementById('dv-accuracy');
        return { points: svg.querySelector('polyline.acc-line')?.getAttribute('points').split(' ').length ?? 0,
          marks: [...svg.querySelectorAll('line.acc-mark title')].map((t) => t.textContent),
          parent: svg.querySelector('line.acc-parent title')?.textContent ?? '',
          after: svg.querySelector('circle.acc-after title')?.textContent ?? '',
          text: svg.textContent }; })()`,
    );
    assert.ok(curve.points >= 3, `a learning curve of ${curve.points} points`);
    assert.deepEqual(
      curve.marks.filter((m) => m.startsWith('stage')),
      ['stage1', 'stage2'],
      `a mark where each step begins: ${curve.marks.join(', ')}`,
    );
    assert.match(curve.parent, /^parent \(held-out\)( = gate)? \d+\.\d\d%$/);
    assert.match(curve.text, /gate/);
    assert.match(curve.after, /^candidate \(held-out\) \d+\.\d\d%, succeeded$/);
    // the job on the device's own traffic: its shadow run before the swap, then its watch (republished when it ends)
    await until(`document.querySelector('#dv-live .live-watch') !== null`);
    const live = await read<string>(`document.getElementById('dv-live').textContent`);
    assert.match(
      live,
      /Shadow: 50 live requests \(50 instances\) answered beside v1 in [0-9.]+ s; \d+\.\d\d% disagreed/,
    );
    assert.match(live, /Watch of v2: passed after 10 s; 100 requests, 0 failed, class shift 2\.00%/);
  });

  await t.test('a device whose process dies shows as lost, and for how long', async () => {
    dropping.kill('SIGKILL');
    const state = `${row('drop-0000')}?.querySelector('[data-field=state]')`;
    await until(`${state}?.querySelector('.pill')?.textContent === 'lost'`);
    await until(`/^for \\d+s$/.test(${state}.querySelector('.since').textContent)`);
    assert.match(await read<string>(`document.getElementById('sum-states').textContent`), /lost 1/);
  });

  await t.test('a group deepen from the page shows every device reply, the lost one unanswered', async () => {
    await page.select('#deepen-target', 'group:lab');
    await read(`document.getElementById('deepen-depth').value = '4'`);
    await page.click('#deepen-send');
    await until(`document.querySelectorAll('#deepen-replies .reply').length === 4`);
    const replies = await read<[string, string][]>(
      `[...document.querySelectorAll('#deepen-replies .reply')].map((r) => [r.className, r.textContent])`,
    );
    assert.deepEqual(
      replies.map(([, text]) => text.split(':')[0]),
      ['dev-0000', 'dev-0001', 'dev-0002', 'drop-0000'],
    );
    assert.equal(replies.filter(([c]) => c === 'reply ok').length, 3);
    assert.match(replies[3][1], /^drop-0000: refused: no answer within 10 s$/);
    // The replies show once the lost device's wait is over (10 s), about when a 10 s growth ends: the jobs the
    // group deepen started are seen running or already done, then done.
    for (const device of ['dev-0000', 'dev-0002']) {
      await until(`['running', 'succeeded'].includes(${bar(device)}?.status)`);
      await until(
        `${row(device)}.querySelector('[data-field=model]').textContent === 'v2 · depth 4' && ${bar(device)}.status === 'succeeded'`,
      );
    }
  });

  /** `deepend fleet rollout` of the group 'field' in two waves, in a process of its own, once it has planned. */
  const cliRollout = async (toDepth: number, pause: string) => {
    const rollout = cli.start(
      [
        'rollout',
        ...['--to-depth', String(toDepth), '--group', 'field', '--waves', '50,100'],
        ...['--max-failures', '0', '--min-median-gain=-5', '--pause', pause],
      ],
      { timeoutMs: 300_000 },
    );
    t.after(() => rollout.kill('SIGKILL'));
    await eventually(rollout.stderr, /^rollout r-\d{14}-[0-9a-f]{4}: /m, 120_000);
    return { rollout, id: /^rollout (r-\d{14}-[0-9a-f]{4}): /m.exec(rollout.stderr())![1] };
  };

  let rolloutId = '';
  await t.test(
    'a rollout started by the CLI shows live, wave by wave, with its quality figures, to its end',
    async () => {
      assert.equal(await read(`document.getElementById('no-rollouts').hidden`), false);
      const field = await startSimulation({
        url: broker.url,
        fleet: FLEET,
        group: 'field',
        count: 2,
        first: 0,
        prefix: 'field',
        growSeconds: 6,
        telemetrySeconds: 1,
        failing: new Set(),
        log: createLogger({ level: 'error', stream: process.stderr }),
      });
      t.after(() => field.stop());
      await until(`document.querySelectorAll('#devices tbody tr[data-device^="field-"]').length === 2`);
      const { rollout, id } = await cliRollout(3, '3s');
      rolloutId = id;
      const card = `document.querySelector('.rollout[data-rollout="${id}"]')`;
      const wave = (label: string, field: string) =>
        `${card}?.querySelector('tr[data-wave="${label}"] [data-field=${field}]')?.textContent`;
      // the first wave runs while the second is not sent yet
      await until(`${card}?.dataset.status === 'running'`);
      await until(`${wave('2', 'pending')} === 'not sent'`);
      assert.match(await read<string>(`${wave('1', 'wave')}`), /^1 \(50%\)$/);
      // it ends: both waves succeeded, each with its measured median gain
      await until(`${card}?.dataset.status === 'completed'`);
      for (const label of ['1', '2']) {
        assert.equal(await read(wave(label, 'devices')), '1');
        assert.equal(await read(wave(label, 'succeeded')), '1');
        assert.equal(await read(wave(label, 'pending')), '0');
        assert.match(await read<string>(wave(label, 'median')), /^[+-]?\d+\.\d\d$/);
      }
      assert.match(
        await read<string>(`${card}.querySelector('.rollout-line').textContent`),
        /to depth 3 · group field · 2 succeeded, 0 rejected, 0 failed, 0 pending, 0 not sent · max failures 0%, median gain ≥ -5\.00/,
      );
      const ended = await rollout.done;
      assert.equal(ended.code, 0, ended.stderr);
      // the same document in the API, for scripts
      const state = (await (
        await fetch(new URL('/api/state', running.url), { headers: { Authorization: `Bearer ${TOKEN}` } })
      ).json()) as { rollouts: { id: string; status: string; waves: { succeeded: number }[] }[] };
      const doc = state.rollouts.find((r) => r.id === id);
      assert.equal(doc?.status, 'completed');
      assert.deepEqual(
        doc?.waves.map((w) => w.succeeded),
        [1, 1],
      );
      const shot = process.env.DEEPEND_CONSOLE_SCREENSHOT;
      if (shot) {
        await page.click('tr[data-device="dev-0000"]');
        await until(`document.querySelectorAll('#dv-jobs tbody tr').length === 1`);
        await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
      }
    },
  );

  await t.test('a wave of the rollout, then a device, rolled back from the page; bad rollbacks refused', async () => {
    const model = (device: string) => `${row(device)}?.querySelector('[data-field=model]')?.textContent`;
    await clickInCard(`.rollout[data-rollout="${rolloutId}"] tr[data-wave="2"] .wave-rollback`);
    await until(
      `/^field-0001: accepted, job [0-9a-f-]{36}$/.test(document.querySelector('#rollout-replies .reply.ok')?.textContent ?? '')`,
    );
    await until(`${model('field-0001')} === 'v1 · depth 2'`);
    assert.equal(await read(model('field-0000')), 'v2 · depth 3', 'wave 1 was left as it was');
    await page.click('tr[data-device="dev-0001"]');
    await page.click('#dv-rollback');
    await until(
      `/^dev-0001: accepted, job [0-9a-f-]{36}$/.test(document.querySelector('#dv-replies .reply.ok')?.textContent ?? '')`,
    );
    await until(`${model('dev-0001')} === 'v1 · depth 2'`);
    const headers = {
      'Content-Type': 'application/json',
      Origin: running.url.replace(/\/$/, ''),
      Authorization: `Bearer ${TOKEN}`,
    };
    const noWave = await post(running.url, '/api/rollback', headers, { rollout: rolloutId, wave: '9' });
    assert.equal(noWave.status, 404, noWave.body);
    assert.match(noWave.body, new RegExp(`rollout ${rolloutId} has no wave '9'`));
    const mixed = await post(running.url, '/api/rollback', headers, { device: 'dev-0000', wave: '1' });
    assert.equal(mixed.status, 400, mixed.body);
    assert.match(mixed.body, /a rollout and its wave go together/);
    const unknown = await post(running.url, '/api/rollback', headers, { device: 'nobody' });
    assert.equal(unknown.status, 404, unknown.body);
  });

  await t.test(
    'a rollout started from the page runs as the CLI runs it and shows to its end; a bad one is refused',
    async () => {
      await read(`document.getElementById('rollout-waves').value = '50,abc'`);
      await page.click('#rollout-start');
      await until(
        `/^not started: --waves '50,abc'/.test(document.querySelector('#rollout-replies .reply.refused')?.textContent ?? '')`,
      );
      // the group's option comes with its devices' rows (a redraw in the next frame); select() skips a value
      // that has no option and leaves 'whole fleet' chosen, which started a 6-device rollout in a CI run
      await until(`[...document.getElementById('rollout-group').options].some((o) => o.value === 'field')`);
      assert.deepEqual(await page.select('#rollout-group', 'field'), ['field']);
      await read(`document.getElementById('rollout-depth').value = '4'`);
      await read(`document.getElementById('rollout-waves').value = '50,100'`);
      await read(`document.getElementById('rollout-failures').value = '0'`);
      await page.click('#rollout-start');
      await until(
        `/^started r-\\d{14}-[0-9a-f]{4}$/.test(document.querySelector('#rollout-replies .reply.ok')?.textContent ?? '')`,
      );
      const id = (await read<string>(`document.querySelector('#rollout-replies .reply.ok').textContent`)).slice(
        'started '.length,
      );
      assert.notEqual(id, rolloutId);
      assert.match(
        await read<string>(`document.getElementById('rollout-replies').textContent`),
        new RegExp(`rollout ${id}: 2 devices in 2 waves \\(1 \\(50%\\): 1, 2 \\(100%\\): 1\\)`),
      );
      const card = `document.querySelector('.rollout[data-rollout="${id}"]')`;
      await until(`${card}?.dataset.status === 'completed'`);
      for (const device of ['field-0000', 'field-0001'])
        await until(`/depth 4$/.test(${row(device)}.querySelector('[data-field=model]').textContent)`);
      // the page lists the newest rollout first
      assert.equal(await read(`document.querySelector('.rollout').dataset.rollout`), id);
    },
  );

  await t.test(
    'a rollout the console runs is paused from the page before its next wave, held past its pause, then resumed',
    async () => {
      await read(`document.getElementById('rollout-depth').value = '5'`);
      await read(`document.getElementById('rollout-pause').value = '3s'`);
      await page.click('#rollout-start');
      await until(`/^started r-/.test(document.querySelector('#rollout-replies .reply.ok')?.textContent ?? '')`);
      const id = (await read<string>(`document.querySelector('#rollout-replies .reply.ok').textContent`)).slice(
        'started '.length,
      );
      const card = `document.querySelector('.rollout[data-rollout="${id}"]')`;
      // paused once wave 1 is out (a pause before it would hold wave 1 itself)
      await until(`/^\\d+$/.test(${card}?.querySelector('tr[data-wave="1"] [data-field=pending]')?.textContent ?? '')`);
      await clickInCard(`.rollout[data-rollout="${id}"] .rollout-pause`);
      await until(`document.querySelector('#rollout-replies .reply.ok')?.textContent === '${id}: paused'`);
      await until(`${card}?.querySelector('.pill')?.textContent === 'paused'`);
      assert.match(await read<string>(`${card}.querySelector('.rollout-line').textContent`), /paused by console on /);
      // wave 1 carries on to its end; wave 2 is held past the 3 s pause
      await until(`${card}?.querySelector('tr[data-wave="1"] [data-field=succeeded]')?.textContent === '1'`);
      await new Promise((r) => setTimeout(r, 5000));
      const wave2 = `${card}.querySelector('tr[data-wave="2"] [data-field=pending]').textContent`;
      assert.equal(await read(wave2), 'not sent');
      assert.equal(await read(`${card}.dataset.status`), 'running');
      await clickInCard(`.rollout[data-rollout="${id}"] .rollout-resume`);
      await until(`document.querySelector('#rollout-replies .reply.ok')?.textContent === '${id}: resumed'`);
      await until(`${card}?.dataset.status === 'completed'`);
      for (const device of ['field-0000', 'field-0001'])
        await until(`/depth 5$/.test(${row(device)}.querySelector('[data-field=model]').textContent)`);
    },
  );

  await t.test(
    'a rollout the CLI runs is aborted from the page between its waves; finished and unknown ones are refused',
    async () => {
      const { rollout, id } = await cliRollout(6, '5m');
      const card = `document.querySelector('.rollout[data-rollout="${id}"]')`;
      // wave 1 is over and wave 2 waits out the pause, in the CLI's process
      await until(`${card}?.querySelector('tr[data-wave="1"] [data-field=succeeded]')?.textContent === '1'`);
      await until(`/next wave in/.test(${card}.querySelector('.rollout-line').textContent)`);
      await clickInCard(`.rollout[data-rollout="${id}"] .rollout-abort`);
      await until(`document.querySelector('#rollout-replies .reply.ok')?.textContent === '${id}: aborted'`);
      await until(`${card}?.dataset.status === 'stopped'`);
      assert.match(
        await read<string>(`${card}.querySelector('.rollout-stop').textContent`),
        /^stopped at wave 2 \(aborted\): aborted by console on .+: nothing more was sent$/,
      );
      assert.equal(
        await read(`${card}.querySelector('tr[data-wave="2"] [data-field=pending]').textContent`),
        'not sent',
      );
      const ended = await rollout.done;
      assert.equal(ended.code, 1, ended.stderr);
      assert.match(ended.stdout, /aborted before wave 2: nothing more was sent/);
      assert.match(ended.stderr, /aborted by console on .+: nothing more is sent/);
      const headers = { Origin: running.url.replace(/\/$/, ''), Authorization: `Bearer ${TOKEN}` };
      const over = await post(running.url, `/api/rollouts/${rolloutId}/pause`, headers, {});
      assert.equal(over.status, 409, over.body);
      assert.match(over.body, new RegExp(`rollout ${rolloutId} is already completed`));
      const unknown = await post(running.url, '/api/rollouts/r-00000000000000-0000/abort', headers, {});
      assert.equal(unknown.status, 404, unknown.body);
      assert.match(unknown.body, /no rollout 'r-00000000000000-0000' on the broker/);
    },
  );

  assert.deepEqual(pageErrors, [], 'no script error on the page');
  assert.deepEqual(outside, [], 'nothing fetched from outside the console');
});
