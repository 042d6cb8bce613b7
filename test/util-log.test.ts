import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger } from '../src/util/log';

function captured(level?: 'debug' | 'info' | 'warn' | 'error') {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  const log = createLogger({ json: true, stream, level, now: () => new Date(0) });
  return {
    log,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}

test('the log writes its level and above, and a JSON line keeps an error with its stack', () => {
  const quiet = captured('warn');
  quiet.log.debug('d');
  quiet.log.info('i');
  quiet.log.warn('w');
  quiet.log.error('e');
  quiet.log.line({ level: 'info', msg: 'job line' });
  assert.deepEqual(
    quiet.lines().map((l) => l.msg),
    ['w', 'e'],
  );

  const all = captured('debug');
  const err = new Error('disk full');
  all.log.debug('d');
  all.log.error('job failed', { error: err, job: 'j1' });
  const [debug, failed] = all.lines();
  assert.equal(debug.msg, 'd');
  assert.equal(failed.error, 'disk full');
  assert.equal(failed.errorStack, err.stack);
  assert.match(failed.errorStack, /^Error: disk full\n\s+at /);
  assert.equal(failed.job, 'j1');
});
