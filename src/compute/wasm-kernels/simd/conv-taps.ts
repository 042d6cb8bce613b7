import { Fn, T } from './assembler';

/** Output positions along a row one pass of the convTaps loops computes together. */
export const POSITIONS_PER_PASS = 4;

/**
 * convTaps<blocks>(x, w, out, batch, outH, outW, imageBytes, rowStepBytes, colStepBytes, kh, kw, inC,
 * padRowBytes, pixelBytes, bias, relu): out[n, y, xx, 4 * blocks channels] = bias[the channels] + sum over
 * a < kh, b < kw, c < inC of x[n, y * sh + a, xx * sw + b, c] * w[a, b, c, the channels], then max(0, that)
 * where relu is not 0 (bias 0: no bias); a convolution of the zero-padded NHWC input x (every
 * window inside it) with w's channels from the one w points at (pixelBytes steps both w's rows and out's pixels,
 * out points at the same first channel). Rows step rowStepBytes (sh padded rows), columns colStepBytes (sw pixels).
 *
 * Four positions of a row by two blocks of four channels stay in registers, as in filterGradTaps; outW must be
 * at least 4 (the last four positions of a row overlap the ones before where outW is not a multiple of 4).
 * XNNPACK's convolution rebuilds its operator for every new filter, as every training step brings.
 */
export function convTapsFn(blocks: 1 | 2): Fn {
  const P = new Array<T>(16).fill(T.i32);
  const f = new Fn(`convTaps${blocks}`, P);
  const [x, w, out, batch, outH, outW, imageBytes, rowStepBytes, colStepBytes, kh, kw, inC, padRowBytes, pixelBytes] =
    P.map((_, i) => f.param(i));
  const [bias, relu] = [f.param(14), f.param(15)];
  const i32 = () => f.local(T.i32);
  const [n, y, xs, img, xrow, orow, lastStart, start, a, b, c, pa, pb, pc, wp, o] = Array.from({ length: 16 }, i32);
  const acc = Array.from({ length: POSITIONS_PER_PASS * blocks }, () => f.local(T.v128));
  const ws = Array.from({ length: blocks }, () => f.local(T.v128));
  const splat = f.local(T.v128);
  const biases = Array.from({ length: blocks }, () => f.local(T.v128));
  const zero = f.local(T.v128);

  f.v128Zero().set(zero);
  // the biases stay zero (as wasm locals start) where bias is 0
  f.get(bias).ifThen(() => {
    biases.forEach((v, k) => {
      f.get(bias)
        .v128Load(16 * k)
        .set(v);
    });
  });

  f.get(outW).i32(POSITIONS_PER_PASS).sub().set(lastStart);
  f.get(x).set(img);
  f.get(out).set(orow);
  f.forLt(
    n,
    (s) => s.i32(0),
    batch,
    1,
    () => {
      f.get(img).set(xrow);
      f.forLt(
        y,
        (s) => s.i32(0),
        outH,
        1,
        () => {
          f.forLt(
            xs,
            (s) => s.i32(0),
            outW,
            POSITIONS_PER_PASS,
            () => {
              f.minS(xs, lastStart).set(start);
              acc.forEach((v, k) => {
                f.get(biases[k % blocks]).set(v);
              });
              f.get(w).set(wp);
              f.get(xrow).get(start).get(colStepBytes).mul().add().set(pa);
              f.forLt(
                a,
                (s) => s.i32(0),
                kh,
                1,
                () => {
                  f.get(pa).set(pb);
                  f.forLt(
                    b,
                    (s) => s.i32(0),
                    kw,
                    1,
                    () => {
                      f.get(pb).set(pc);
                      f.forLt(
                        c,
                        (s) => s.i32(0),
                        inC,
                        1,
                        () => {
                          ws.forEach((v, k) => {
                            f.get(wp)
                              .v128Load(16 * k)
                              .set(v);
                          });
                          for (let i = 0; i < POSITIONS_PER_PASS; i++) {
                            f.get(pc);
                            if (i > 0) f.i32(i).get(colStepBytes).mul().add();
                            f.v128Load32Splat().set(splat);
                            ws.forEach((v, k) => {
                              const sum = acc[i * blocks + k];
                              f.get(sum).get(splat).get(v).f32x4Mul().f32x4Add().set(sum);
                            });
                          }
                          f.inc(pc, 4);
                          f.incBy(wp, pixelBytes);
                        },
                      );
                      f.get(pb).get(inC).i32(4).mul().add().set(pb);
                    },
                  );
                  f.incBy(pa, padRowBytes);
                },
              );
              f.get(relu).ifThen(() => {
                for (const v of acc) f.get(v).get(zero).f32x4Max().set(v);
              });
              for (let i = 0; i < POSITIONS_PER_PASS; i++) {
                f.get(orow).get(start).i32(i).add().get(pixelBytes).mul().add().set(o);
                ws.forEach((_, k) => {
                  f.get(o)
                    .get(acc[i * blocks + k])
                    .v128Store(16 * k);
                });
              }
            },
          );
          f.incBy(xrow, rowStepBytes);
          f.get(orow).get(outW).get(pixelBytes).mul().add().set(orow);
        },
      );
      f.incBy(img, imageBytes);
    },
  );
  return f;
}
