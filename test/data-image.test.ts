import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { resizeImage } from '../src/data/image-resize';
import { toChannels, isGrayscale } from '../src/data/image-pixels';
import { decodeImage } from '../src/data/image-decode';
import { DataError } from '../src/data';

function resize(values: number[], inH: number, inW: number, channels: number, outH: number, outW: number): number[] {
  const out = new Float32Array(outH * outW * channels);
  resizeImage(Float32Array.from(values), inH, inW, channels, outH, outW, out);
  return Array.from(out);
}

function close(actual: number[], expected: number[], tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => {
    assert.ok(Math.abs(v - expected[i]) <= tolerance, `at ${i}: ${v} vs ${expected[i]}`);
  });
}

describe('resizeImage', () => {
  test('same size copies', () => {
    assert.deepEqual(resize([1, 2, 3, 4], 2, 2, 1, 2, 2), [1, 2, 3, 4]);
  });

  test('shrinking averages areas', () => {
    close(resize([1, 3, 5, 7, 1, 3, 5, 7], 2, 4, 1, 1, 2), [2, 6]);
    // 3 -> 2: each output covers 1.5 source pixels.
    close(resize([0, 3, 6], 1, 3, 1, 1, 2), [1, 5]);
    // channels stay apart
    close(resize([1, 10, 3, 30], 1, 2, 2, 1, 1), [2, 20]);
  });

  test('growing interpolates bilinearly with half-pixel centres', () => {
    close(resize([0, 1], 1, 2, 1, 1, 4), [0, 0.25, 0.75, 1]);
    close(resize([0, 1], 2, 1, 1, 4, 1), [0, 0.25, 0.75, 1]);
    close(resize([5], 1, 1, 1, 3, 3), new Array(9).fill(5));
  });
});

describe('pixels', () => {
  const image = { width: 2, height: 1, rgba: Uint8Array.from([255, 0, 0, 255, 200, 200, 200, 0]) };

  test('gray uses luma and composites transparency over black', () => {
    close(Array.from(toChannels(image, 1)), [0.299, 0]);
    close(Array.from(toChannels(image, 3)), [1, 0, 0, 0, 0, 0]);
    assert.equal(isGrayscale(image), false);
  });

  test('corrupt bytes name the file', () => {
    assert.throws(
      () => decodeImage('/x/y.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])),
      (error: unknown) => {
        assert.ok(error instanceof DataError);
        assert.equal(error.message, '/x/y.png: cannot decode image (the PNG file ends before its image does)');
        return true;
      },
    );
    const damaged = Uint8Array.from([0xff, 0xd8, 0xff, 0x67, 1, 2, 3]);
    assert.throws(
      () => decodeImage('/x/z.jpg', damaged),
      /^DataError: \/x\/z\.jpg: cannot decode image \(corrupt JPEG data: unknown JPEG marker ff67\)$/,
    );
  });
});
