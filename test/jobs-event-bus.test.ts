import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobEventBus } from '../src/jobs/job-event-bus';
import type { JobRow } from '../src/store';
import type { JobProgress } from '../src/jobs/types';

const job = { id: 'job-1', state: 'growing' } as JobRow;
const progress = { percent: 40, step: 'stage2' } as JobProgress;

test('the job event bus tells every listener in order; one that throws is reported and the rest still hear it', () => {
  const heard: string[] = [];
  const failures: string[] = [];
  const bus = new JobEventBus((err, event, j) => failures.push(`${event} ${j.id}: ${err.message}`));
  bus.subscribe({
    onState: (j) => heard.push(`a state ${j.state}`),
    onProgress: (_, e) => heard.push(`a ${e.percent}`),
  });
  bus.subscribe({
    onState: () => {
      throw new Error('listener b broke');
    },
  });
  const unsubscribe = bus.subscribe({ onState: (j) => heard.push(`c state ${j.state}`) });
  bus.onState(job);
  bus.onProgress(job, progress);
  unsubscribe();
  bus.onState({ ...job, state: 'succeeded' } as JobRow);
  assert.deepEqual(heard, ['a state growing', 'c state growing', 'a 40', 'a state succeeded']);
  assert.deepEqual(failures, ['onState job-1: listener b broke', 'onState job-1: listener b broke']);
});
