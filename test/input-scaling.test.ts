// Which leading layer means "this model takes raw pixels 0..255": a Rescaling that maps them into a unit range,
// not one that expects values already in 0..1 (x * 2 - 1, x - 0.5).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tfl } from '../src/tf';
import { leadingScalingLayer } from '../src/model/import';
import { useTestBackend } from './helpers/backend';

before(async () => {
  await useTestBackend();
});

function startingWith(...layers: tfl.layers.Layer[]): tfl.LayersModel {
  const model = tfl.sequential();
  model.add(tfl.layers.inputLayer({ inputShape: [4, 4, 1] }));
  for (const layer of layers) model.add(layer);
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 2, activation: 'softmax' }));
  return model;
}

test('a Rescaling by 1/255 or 1/127.5 (then -1) takes raw pixels, after layers that pass the image through', () => {
  const byteScale = startingWith(tfl.layers.rescaling({ scale: 1 / 255, name: 'to_unit' }));
  assert.equal(leadingScalingLayer(byteScale), "Rescaling layer 'to_unit'");
  const centred = startingWith(
    tfl.layers.dropout({ rate: 0.1 }),
    tfl.layers.rescaling({ scale: 1 / 127.5, offset: -1, name: 'to_signed' }),
  );
  assert.equal(leadingScalingLayer(centred), "Rescaling layer 'to_signed'");
});

test('the bound: a scale of 1/100 or less, either sign, one or one a channel, means raw pixels; 0, 0.011 or NaN do not', () => {
  const scaled = (scale: number | number[]) =>
    leadingScalingLayer(startingWith(tfl.layers.rescaling({ scale: scale as number, name: 'scale' })));
  assert.equal(scaled(1 / 100), "Rescaling layer 'scale'");
  assert.equal(scaled(-1 / 255), "Rescaling layer 'scale'");
  assert.equal(scaled([1 / 255, 1 / 255, 1 / 255]), "Rescaling layer 'scale'");
  for (const scale of [0.011, 0, Number.NaN, [1 / 255, 0.5]]) assert.equal(scaled(scale), undefined, String(scale));
});

test('a Rescaling that expects 0..1 (x * 2 - 1, x - 0.5) does not mean raw pixels; nor does a later one', () => {
  assert.equal(leadingScalingLayer(startingWith(tfl.layers.rescaling({ scale: 2, offset: -1 }))), undefined);
  assert.equal(leadingScalingLayer(startingWith(tfl.layers.rescaling({ scale: 1, offset: -0.5 }))), undefined);
  const later = startingWith(
    tfl.layers.conv2d({ filters: 2, kernelSize: 3 }),
    tfl.layers.rescaling({ scale: 1 / 255 }),
  );
  assert.equal(leadingScalingLayer(later), undefined);
});
