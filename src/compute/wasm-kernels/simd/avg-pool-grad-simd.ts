import { Fn, T } from './assembler';

/**
 * avgPoolGrad(dy, dx, batch, H, W, OH, OW, sh, sw, fh, fw, padTop, padLeft, pixelBytes, scale): every dY value
 * times scale (1 / (fh * fw), as TF.js's backends divide) added to each input of its window inside the image.
 * Byte offsets; channels come 4 at a time (pixelBytes = C * 4, C a multiple of 4); dx must be zeroed.
 */
export function avgPoolGradFn(): Fn {
  const P = [...new Array<T>(14).fill(T.i32), T.f32];
  const f = new Fn('avgPoolGrad', P);
  const [dy, dx, batch, H, W, OH, OW, sh, sw, fh, fw, padTop, padLeft, pixelBytes, scale] = P.map((_, i) => f.param(i));
  const i32 = () => f.local(T.i32);
  const [n, oy, ox, c, yy, xx, ys, y0, y1, xs, x0, x1, tmp, zero] = Array.from({ length: 14 }, i32);
  const [img, imageBytes, rowBytes, o, rowp, p] = Array.from({ length: 6 }, i32);
  const [g, k] = [f.local(T.v128), f.local(T.v128)];

  f.get(scale).f32x4Splat().set(k);
  f.get(W).get(pixelBytes).mul().set(rowBytes);
  f.get(H).get(rowBytes).mul().set(imageBytes);
  f.get(dy).set(o);
  f.get(dx).set(img);
  f.forLt(
    n,
    (s) => s.i32(0),
    batch,
    1,
    () => {
      f.forLt(
        oy,
        (s) => s.i32(0),
        OH,
        1,
        () => {
          f.get(oy).get(sh).mul().get(padTop).sub().set(ys);
          f.maxS(ys, zero).set(y0);
          f.get(ys).get(fh).add().set(tmp);
          f.minS(tmp, H).set(y1);
          f.forLt(
            ox,
            (s) => s.i32(0),
            OW,
            1,
            () => {
              f.get(ox).get(sw).mul().get(padLeft).sub().set(xs);
              f.maxS(xs, zero).set(x0);
              f.get(xs).get(fw).add().set(tmp);
              f.minS(tmp, W).set(x1);
              f.forLt(
                c,
                (s) => s.i32(0),
                pixelBytes,
                16,
                () => {
                  f.get(o).v128Load().get(k).f32x4Mul().set(g);
                  f.forLt(
                    yy,
                    (s) => s.get(y0),
                    y1,
                    1,
                    () => {
                      f.get(img).get(yy).get(rowBytes).mul().add().get(c).add().set(rowp);
                      f.forLt(
                        xx,
                        (s) => s.get(x0),
                        x1,
                        1,
                        () => {
                          f.get(rowp).get(xx).get(pixelBytes).mul().add().set(p);
                          f.get(p).get(p).v128Load().get(g).f32x4Add().v128Store();
                        },
                      );
                    },
                  );
                  f.inc(o, 16);
                },
              );
            },
          );
        },
      );
      f.incBy(img, imageBytes);
    },
  );
  return f;
}
