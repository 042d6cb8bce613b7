import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDawnPoll, requestDevice } from '../src/compute/webgpu/dawn';
import { pipelineFor, readFloats, storageBuffer, bindGroup } from '../src/train/webgpu/gpu';
import { webgpuSkipReason } from './helpers/webgpu';

// dawn.node polls the device from setImmediate while a promise of its own is pending; deepend paces those polls
// a millisecond apart (src/compute/webgpu/dawn.ts) so that awaiting the GPU does not spin a core.

const BUSY = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  var x = f32(id.x);
  for (var i = 0u; i < 20000u; i++) { x = fract(x * 1.0001 + 0.5); }
  out[id.x] = x;
}`;

test('awaiting the GPU polls it about once a millisecond, not in a busy loop', async (t) => {
  const skip = await webgpuSkipReason();
  if (skip) return t.skip(skip);
  const device = await requestDevice();
  t.after(() => device.destroy());
  const invocations = 64 * 256;
  const out = storageBuffer(device, invocations * 4);
  const pipeline = pipelineFor(device, BUSY);

  let polls = 0;
  const immediate = globalThis.setImmediate;
  globalThis.setImmediate = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (isDawnPoll(callback)) polls++;
    return immediate(callback, ...args);
  }) as typeof setImmediate;
  t.after(() => {
    globalThis.setImmediate = immediate;
  });

  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup(device, pipeline, [out]));
  pass.dispatchWorkgroups(invocations / 64);
  pass.end();
  device.queue.submit([encoder.finish()]);
  const started = performance.now();
  const values = await readFloats(device, out, invocations * 4);
  const waitedMs = performance.now() - started;

  assert.equal(values.length, invocations);
  assert.ok(
    waitedMs >= 20,
    `the GPU work took ${waitedMs.toFixed(1)} ms: too little to tell a busy loop (make BUSY longer)`,
  );
  t.diagnostic(`${polls} polls in ${waitedMs.toFixed(0)} ms`);
  assert.ok(polls > 0, 'Dawn polled through setImmediate (else this test no longer sees its polls)');
  assert.ok(polls <= waitedMs + 20, `${polls} polls in ${waitedMs.toFixed(0)} ms`);
});
