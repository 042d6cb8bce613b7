import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { loadDataset, DataError, type Dataset } from '../src/data';
import { countDigitValues, parseDigitValues } from '../src/data/mnist-digit-file';
import { classQuotas } from '../src/data/classes';
import { gray, tempFolder, writeJpeg, writePng, writeText, type TempFolder } from './data-fixtures';

const MNIST_PER_DIGIT = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function classCounts(dataset: Dataset): number[] {
  const counts = dataset.classes.map(() => 0);
  for (const id of dataset.y) counts[id]++;
  return counts;
}

function pixel(dataset: Dataset, sample: number, row: number, column: number, channel = 0): number {
  const [h, w, c] = dataset.inputShape;
  return dataset.x[sample * h * w * c + (row * w + column) * c + channel];
}

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
    assert.doesNotMatch(error.message, /\n/, 'error message must be one line');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('mnist', () => {
  let mnist: Dataset;
  before(async () => {
    mnist = await loadDataset('mnist');
  });

  test('loads every sample the package ships as 28x28x1 in [0, 1]', () => {
    assert.equal(mnist.count, 10000);
    assert.equal(mnist.source, 'mnist');
    assert.equal(mnist.kind, 'image');
    assert.deepEqual(mnist.inputShape, [28, 28, 1]);
    assert.deepEqual(mnist.classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(mnist.x.length, 10000 * 784);
    assert.equal(mnist.y.length, 10000);
    assert.deepEqual(classCounts(mnist), MNIST_PER_DIGIT);
    let min = Infinity;
    let max = -Infinity;
    for (const v of mnist.x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assert.equal(min, 0);
    assert.equal(max, 1);
  });

  test('keeps the order of the package files', () => {
    const digitsFolder = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
    const threes = JSON.parse(readFileSync(path.join(digitsFolder, '3.json'), 'utf8')).data as number[];
    const firstThree = MNIST_PER_DIGIT.slice(0, 3).reduce((a, b) => a + b, 0);
    assert.equal(mnist.y[firstThree], 3);
    assert.equal(mnist.y[firstThree - 1], 2);
    const sample = Array.from(mnist.x.subarray(firstThree * 784, (firstThree + 1) * 784));
    assert.deepEqual(sample, Array.from(Float32Array.from(threes.slice(0, 784))));
  });

  test('is deterministic', async () => {
    const again = await loadDataset('mnist');
    const digest = (d: Dataset) => createHash('sha256').update(d.x).update(d.y).digest('hex');
    assert.equal(digest(again), digest(mnist));
  });

  test("the digit files' bytes read as JSON.parse reads them, bit for bit; other JSON goes through JSON.parse", () => {
    const folder = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
    // bit for bit, as bytes (an array of 784,000 numbers per digit took seconds to compare)
    const bytesOf = (values: Float32Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    const sameBits = (actual: Float32Array, expected: Float32Array, what: string) => {
      if (actual.length === expected.length && bytesOf(actual).equals(bytesOf(expected))) return;
      const at = actual.findIndex((v, i) => !Object.is(v, expected[i]));
      assert.fail(`${what}: ${actual.length} values, expected ${expected.length}; first difference at ${at}`);
    };
    const viaJson = (text: string) => Float32Array.from((JSON.parse(text) as { data: number[] }).data);
    for (let digit = 0; digit < 10; digit++) {
      const bytes = readFileSync(path.join(folder, `${digit}.json`));
      const read = parseDigitValues(bytes);
      assert.equal(read.length, MNIST_PER_DIGIT[digit] * 784);
      assert.equal(countDigitValues(bytes), read.length, `digit ${digit}: the values counted without parsing`);
      assert.equal(countDigitValues(bytes, 7 * 784), 7 * 784, `digit ${digit}: counted up to 7 images`);
      assert.equal(countDigitValues(bytes, read.length + 1), read.length, `digit ${digit}: a cap past the end`);
      const all = viaJson(bytes.toString('utf8'));
      sameBits(read, all, `digit ${digit}`);
      const first = parseDigitValues(bytes, 7 * 784 + 1);
      sameBits(first, all.subarray(0, 7 * 784 + 1), `digit ${digit}: the first 7 images and a value`);
    }
    for (const text of [
      '{"data":[1e-3,0.5]}',
      '{ "data" : [ -0.25 , 1 ] }',
      '{"data":[0.12345678901234567,0.1]}',
      '{"data":[0.1,0.7,1.0000001,0.0039215686]}',
      '{"data":[]}',
      '{"data":[3.]}',
    ]) {
      const expected = text === '{"data":[3.]}' ? undefined : viaJson(text);
      if (expected) {
        sameBits(parseDigitValues(Buffer.from(text)), expected, text);
        assert.equal(countDigitValues(Buffer.from(text)), expected.length, text);
        sameBits(parseDigitValues(Buffer.from(text), 1), expected.subarray(0, 1), text);
      } else assert.throws(() => parseDigitValues(Buffer.from(text)), SyntaxError, text);
    }
    assert.equal(
      countDigitValues(Buffer.from('{"data":[0.5,1],"more":[1,2,3]}')),
      2,
      'another key: counted by JSON.parse',
    );
    assert.equal(countDigitValues(Buffer.from('{ "data" : [ ] }')), 0);
    assert.equal(parseDigitValues(Buffer.from('{"pixels":[1,2]}')).length, 0);
    assert.throws(() => parseDigitValues(Buffer.from('{"data":[1,2')), SyntaxError);
  });

  test('limit keeps every class', async () => {
    const small = await loadDataset('mnist', { limit: 25 });
    assert.equal(small.count, 25);
    assert.deepEqual(classCounts(small), [3, 3, 3, 3, 3, 2, 2, 2, 2, 2]);
    // only the first images of each digit are parsed: they are the whole load's first images of that digit
    let sample = 0;
    classCounts(small).forEach((n, digit) => {
      const from = MNIST_PER_DIGIT.slice(0, digit).reduce((a, b) => a + b, 0);
      const whole = mnist.x.subarray(from * 784, (from + n) * 784);
      assert.deepEqual(small.x.subarray(sample * 784, (sample + n) * 784), whole, `digit ${digit}`);
      sample += n;
    });
  });

  test("a limit the short digits cannot fill takes the rest from the others, as the whole counts' quotas say", async () => {
    // 980 per digit: digits 5 (863) and 8 (944) run short, and the files counted only up to an even share
    // are counted further
    const limit = 9800;
    const large = await loadDataset('mnist', { limit });
    assert.deepEqual(classCounts(large), classQuotas(MNIST_PER_DIGIT, limit));
    assert.deepEqual(classCounts(await loadDataset('mnist', { limit: 10_000 })), MNIST_PER_DIGIT);
  });

  test('maps classes onto the model labels and resizes to the model input', async () => {
    const reversed = ['9', '8', '7', '6', '5', '4', '3', '2', '1', '0'];
    const mapped = await loadDataset('mnist', { limit: 20, classes: reversed, inputShape: [14, 14, 3] });
    assert.deepEqual(mapped.classes, reversed);
    assert.equal(mapped.y[0], 9, 'digit 0 is class 9 of the model');
    assert.deepEqual(mapped.inputShape, [14, 14, 3]);
    assert.equal(mapped.x.length, 20 * 14 * 14 * 3);
    assert.equal(pixel(mapped, 0, 7, 7, 0), pixel(mapped, 0, 7, 7, 2));
    await rejectsWith(
      loadDataset('mnist', { classes: ['cat', 'dog'] }),
      /^mnist: data class '0' is not one of the model's classes \(cat, dog\)$/,
    );
  });
});

describe('image folder', () => {
  let dir: TempFolder;
  before(() => {
    dir = tempFolder();
    const white = gray(255);
    const black = gray(0);
    // bar/a.png: 56x56 gray, white top-left quadrant -> exactly a 14x14 white block at 28x28.
    writePng(dir.path('set', 'bar', 'a.png'), 56, 56, (x, y) => (x < 28 && y < 28 ? white : black), 0);
    // bar/b.jpg: 84x84 RGB JPEG, white left half.
    writeJpeg(dir.path('set', 'bar', 'b.jpg'), 84, 84, (x) => (x < 42 ? white : black));
    // dot/c.png: 14x14 RGB, all pure red -> gray 0.299 after upscaling.
    writePng(dir.path('set', 'dot', 'c.png'), 14, 14, () => [255, 0, 0, 255], 2);
    // dot/d.PNG: 28x28 RGBA, white but transparent on the right half.
    writePng(dir.path('set', 'dot', 'd.PNG'), 28, 28, (x) => [255, 255, 255, x < 14 ? 255 : 0], 6);
    writeText(dir.path('set', 'dot', 'notes.txt'), 'not an image');
    writeText(dir.path('set', 'README.md'), 'ignored');
    mkdirSync(dir.path('linked'));
  });
  after(() => dir.remove());

  test('decodes PNG and JPEG of any size into the model input [28,28,1]', async () => {
    const data = await loadDataset(dir.path('set'), { inputShape: [28, 28, 1] });
    assert.equal(data.kind, 'image');
    assert.equal(data.source, dir.path('set'));
    assert.deepEqual(data.classes, ['bar', 'dot']);
    assert.deepEqual(data.inputShape, [28, 28, 1]);
    assert.equal(data.count, 4);
    assert.deepEqual(Array.from(data.y), [0, 0, 1, 1]);

    for (let row = 0; row < 28; row++) {
      for (let column = 0; column < 28; column++) {
        assert.equal(pixel(data, 0, row, column), row < 14 && column < 14 ? 1 : 0, `a.png at ${row},${column}`);
      }
    }
    for (const column of [0, 5, 12]) assert.ok(Math.abs(pixel(data, 1, 10, column) - 1) < 0.03, `b.jpg left ${column}`);
    for (const column of [15, 20, 27]) assert.ok(pixel(data, 1, 10, column) < 0.03, `b.jpg right ${column}`);
    assert.ok(Math.abs(pixel(data, 2, 0, 0) - 0.299) < 1e-5);
    assert.ok(Math.abs(pixel(data, 2, 27, 27) - 0.299) < 1e-5);
    assert.equal(pixel(data, 3, 5, 13), 1);
    assert.equal(pixel(data, 3, 5, 14), 0, 'transparent pixels are black');
  });

  test('converts to RGB when the model wants three channels', async () => {
    const data = await loadDataset(dir.path('set'), { inputShape: [7, 7, 3] });
    assert.deepEqual(data.inputShape, [7, 7, 3]);
    assert.deepEqual(
      [0, 1, 2].map((c) => pixel(data, 2, 3, 3, c)),
      [1, 0, 0],
    );
    assert.deepEqual(
      [0, 1, 2].map((c) => pixel(data, 0, 0, 0, c)),
      [1, 1, 1],
    );
  });

  test('without a target shape takes the first image size, gray only when every image is gray', async () => {
    const mixed = await loadDataset(dir.path('set'));
    assert.deepEqual(mixed.inputShape, [56, 56, 3]);
    writePng(dir.path('grays', 'one', 'a.png'), 10, 6, (x) => gray(x * 20), 0);
    writeJpeg(dir.path('grays', 'two', 'b.jpg'), 20, 12, () => gray(128));
    const grays = await loadDataset(dir.path('grays'));
    assert.deepEqual(grays.inputShape, [6, 10, 1]);
    assert.equal(pixel(grays, 0, 3, 4), Math.fround(80 / 255));
  });

  test('follows symbolic links to class folders and images', async () => {
    symlinkSync(dir.path('set', 'bar'), dir.path('linked', 'bar'));
    mkdirSync(dir.path('linked', 'dot'));
    symlinkSync(dir.path('set', 'dot', 'c.png'), dir.path('linked', 'dot', 'c.png'));
    const data = await loadDataset(dir.path('linked'), { inputShape: [28, 28, 1] });
    assert.deepEqual(data.classes, ['bar', 'dot']);
    assert.equal(data.count, 3);
  });

  test('limit and model classes', async () => {
    const limited = await loadDataset(dir.path('set'), { limit: 2, classes: ['cat', 'dot', 'bar'] });
    assert.deepEqual(limited.classes, ['cat', 'dot', 'bar']);
    assert.deepEqual(Array.from(limited.y), [2, 1]);
    await rejectsWith(
      loadDataset(dir.path('set'), { classes: ['bar', 'cat'] }),
      /set: data class 'dot' is not one of the model's classes \(bar, cat\)$/,
    );
  });

  test('bad folders give one clear line naming the path', async () => {
    writeText(dir.path('empty', '.keep'), '');
    await rejectsWith(loadDataset(dir.path('empty')), /empty: no class sub-folders/);

    writePng(dir.path('hollow', 'a', 'x.png'), 4, 4, () => gray(0));
    writeText(dir.path('hollow', 'b', 'x.txt'), 'text');
    await rejectsWith(
      loadDataset(dir.path('hollow')),
      new RegExp(`${escapeRegExp(path.join('hollow', 'b'))}: class folder has no PNG or JPEG images$`),
    );

    writePng(dir.path('corrupt', 'a', 'good.png'), 4, 4, () => gray(0));
    writeText(dir.path('corrupt', 'a', 'bad.jpg'), 'garbage, not a jpeg');
    await rejectsWith(loadDataset(dir.path('corrupt')), /bad\.jpg: cannot decode image \(not a PNG or JPEG file\)$/);

    const pngBytes = readFileSync(dir.path('set', 'bar', 'a.png'));
    writeText(dir.path('truncated', 'a', 'cut.png'), pngBytes.subarray(0, 60) as unknown as string);
    await rejectsWith(
      loadDataset(dir.path('truncated')),
      /cut\.png: cannot decode image \(the PNG file ends before its image does\)$/,
    );

    await rejectsWith(
      loadDataset(dir.path('set'), { inputShape: [20] }),
      /set: image data cannot fit the model's input \[20\]/,
    );
    await rejectsWith(loadDataset(dir.path('set'), { inputShape: [28, 28, 2] }), /input \[28,28,2\]/);
    await rejectsWith(loadDataset(dir.path('set'), { limit: 0 }), /limit must be a positive integer, got 0/);
  });
});

describe('csv', () => {
  let dir: TempFolder;
  before(() => {
    dir = tempFolder();
  });
  after(() => dir.remove());

  test('string labels, sorted classes, features in column order', async () => {
    const file = dir.path('flowers.csv');
    writeText(
      file,
      '\ufeffsepal,label,petal\r\n1.5,setosa,2\r\n3,"virginica",-4\n\n5e-1,setosa,.25\n 7 , versicolor , 8 \n',
    );
    const data = await loadDataset(file);
    assert.equal(data.kind, 'tabular');
    assert.equal(data.source, file);
    assert.deepEqual(data.inputShape, [2]);
    assert.deepEqual(data.classes, ['setosa', 'versicolor', 'virginica']);
    assert.equal(data.count, 4);
    assert.deepEqual(Array.from(data.y), [0, 2, 0, 1]);
    assert.deepEqual(Array.from(data.x), [1.5, 2, 3, -4, 0.5, 0.25, 7, 8]);
  });

  test('integer labels sort as numbers and map onto model classes', async () => {
    const file = dir.path('numbers.csv');
    writeText(file, 'a,b,label\n0,0,10\n1,1,9\n2,2,07\n3,3,"a, b"\n');
    // Mixed labels stay strings, so '07' is not canonicalised to '7'.
    await rejectsWith(
      loadDataset(file, { classes: ['07', '9', '10'] }),
      /numbers\.csv: data class 'a, b' is not one of/,
    );
    writeText(file, 'a,b,label\n0,0,10\n1,1,9\n2,2,07\n');
    const data = await loadDataset(file);
    assert.deepEqual(data.classes, ['7', '9', '10']);
    assert.deepEqual(Array.from(data.y), [2, 1, 0]);
    const mapped = await loadDataset(file, { classes: ['10', '9', '8', '7'], inputShape: [2] });
    assert.deepEqual(Array.from(mapped.y), [0, 1, 3]);
  });

  test('bad csv files give one clear line naming file and line', async () => {
    const file = dir.path('bad.csv');
    writeText(file, 'a,b,c\n1,2,3\n');
    await rejectsWith(loadDataset(file), /bad\.csv: no 'label' column in the header \(columns: a, b, c\)$/);
    writeText(file, 'a,b,label\n1,2,x\n1,2\n');
    await rejectsWith(loadDataset(file), /bad\.csv line 3: expected 3 columns as in the header, found 2$/);
    writeText(file, 'a,b,label\n1,2,x\n1,oops,y\n');
    await rejectsWith(loadDataset(file), /bad\.csv line 3: feature 'b' is not a number: 'oops'$/);
    writeText(file, 'a,b,label\n1,,x\n');
    await rejectsWith(loadDataset(file), /bad\.csv line 2: feature 'b' is not a number: ''$/);
    writeText(file, 'a,b,label\n1,2,"x\n');
    await rejectsWith(loadDataset(file), /bad\.csv line 2: unterminated quoted field$/);
    writeText(file, 'a,b,label\n1,2,\n');
    await rejectsWith(loadDataset(file), /bad\.csv line 2: empty label$/);
    writeText(file, '');
    await rejectsWith(loadDataset(file), /bad\.csv: empty file/);
    writeText(file, 'a,b,label\n');
    await rejectsWith(loadDataset(file), /bad\.csv: no data rows after the header$/);
    writeText(file, 'label\nx\n');
    await rejectsWith(loadDataset(file), /bad\.csv: no feature columns besides the label$/);
    writeText(file, 'a,b,label\n1,2,x\n');
    await rejectsWith(
      loadDataset(file, { inputShape: [3] }),
      /bad\.csv: data has 2 features but the model's input is \[3\]$/,
    );
    await rejectsWith(loadDataset(file, { inputShape: [28, 28, 1] }), /model's input is \[28,28,1\]$/);
  });
});

describe('data sources', () => {
  test('missing paths and unknown kinds are one-line errors naming the path', async () => {
    const dir = tempFolder();
    try {
      await rejectsWith(loadDataset(dir.path('nowhere')), /nowhere: data source does not exist$/);
      writeText(dir.path('notes.txt'), 'hello');
      await rejectsWith(
        loadDataset(dir.path('notes.txt')),
        /notes\.txt: data source is not mnist, a folder of class sub-folders or a \.csv file$/,
      );
      await rejectsWith(
        loadDataset('mnist', { inputShape: [0, 28, 1] }),
        /^mnist: the model's input shape \[0,28,1\] is not a list of positive integers$/,
      );
      await rejectsWith(loadDataset('mnist', { classes: [] }), /^mnist: the model's class list is empty$/);
    } finally {
      dir.remove();
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('limit on csv', () => {
  test('takes the first rows of each class, shared evenly', async () => {
    const dir = tempFolder();
    try {
      const file = dir.path('rows.csv');
      writeText(file, 'f,label\n0,a\n1,a\n2,a\n3,b\n4,a\n5,c\n6,b\n');
      const data = await loadDataset(file, { limit: 4 });
      assert.deepEqual(Array.from(data.x), [0, 1, 3, 5]);
      assert.deepEqual(Array.from(data.y), [0, 0, 1, 2]);
      assert.deepEqual(data.classes, ['a', 'b', 'c']);
    } finally {
      dir.remove();
    }
  });
});
