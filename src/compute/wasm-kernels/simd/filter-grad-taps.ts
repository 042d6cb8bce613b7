import { Fn, T } from './assembler';

/** Filter rows (kernel taps times input channels) one call of the filterGradTaps loops accumulates. */
export const TAPS_PER_CALL = 4;

/**
 * filterGradTaps<blocks>(x, dy, out, batch, outH, outW, imageBytes, rowStepBytes, colStepBytes, pixelBytes,
 * outStride, o0, o1, o2, o3): for four filter rows r (a kernel tap and an input channel each, at byte offset o_r
 * of an output position's window in the zero-padded input x), out[r] = sum over every output position p of
 * x[window(p) + o_r] * dy[p, 4 * blocks channels] is added to out[r] (dy points at the first of the channels;
 * pixelBytes steps to the next position; outStride steps out to the next row). The window of position (n, y, xx) begins at
 * x + n * imageBytes + y * rowStepBytes + xx * colStepBytes.
 *
 * This is dW = sum over positions of x_window^T dY, the filter gradient of a convolution, with the rows'
 * accumulators held in registers: four rows by two blocks of four channels measured fastest of the shapes from
 * 9 x 1 to 1 x 4 (eight accumulators, the dY blocks and a splat stay within x64's 16 vector registers; nine rows
 * by one block took 1.8x as long on a 3x3x16 -> 32 layer). It pays where kh * kw * inC is small: im2col's matrix
 * and XNNPACK's packing of dY, the costs of the matrix product there, never happen.
 */
export function filterGradTapsFn(blocks: 1 | 2): Fn {
  const P = new Array<T>(11 + TAPS_PER_CALL).fill(T.i32);
  const f = new Fn(`filterGradTaps${blocks}`, P);
  const [x, dy, out, batch, outH, outW, imageBytes, rowStepBytes, colStepBytes, pixelBytes, outStride] = P.slice(
    0,
    11,
  ).map((_, i) => f.param(i));
  const offsets = Array.from({ length: TAPS_PER_CALL }, (_, i) => f.param(11 + i));
  const [n, y, xx, img, row, at, d] = Array.from({ length: 7 }, () => f.local(T.i32));
  const acc = Array.from({ length: TAPS_PER_CALL * blocks }, () => f.local(T.v128));
  const grads = Array.from({ length: blocks }, () => f.local(T.v128));
  const splat = f.local(T.v128);

  for (const a of acc) f.v128Zero().set(a);
  f.get(dy).set(d);
  f.get(x).set(img);
  f.forLt(
    n,
    (s) => s.i32(0),
    batch,
    1,
    () => {
      f.get(img).set(row);
      f.forLt(
        y,
        (s) => s.i32(0),
        outH,
        1,
        () => {
          f.get(row).set(at);
          f.forLt(
            xx,
            (s) => s.i32(0),
            outW,
            1,
            () => {
              grads.forEach((g, b) => {
                f.get(d)
                  .v128Load(16 * b)
                  .set(g);
              });
              offsets.forEach((o, r) => {
                f.get(at).get(o).add().v128Load32Splat().set(splat);
                grads.forEach((g, b) => {
                  const a = acc[r * blocks + b];
                  f.get(a).get(splat).get(g).f32x4Mul().f32x4Add().set(a);
                });
              });
              f.incBy(at, colStepBytes);
              f.incBy(d, pixelBytes);
            },
          );
          f.incBy(row, rowStepBytes);
        },
      );
      f.incBy(img, imageBytes);
    },
  );
  for (let r = 0; r < TAPS_PER_CALL; r++) {
    for (let b = 0; b < blocks; b++) {
      f.get(out)
        .i32(r)
        .get(outStride)
        .mul()
        .add()
        .tee(d)
        .get(d)
        .v128Load(16 * b)
        .get(acc[r * blocks + b])
        .f32x4Add()
        .v128Store(16 * b);
    }
  }
  return f;
}
