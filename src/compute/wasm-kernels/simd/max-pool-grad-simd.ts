import { Fn, T } from './assembler';

/**
 * maxPoolGrad(x, y, g, dx, batch, H, W, OH, OW, sh, sw, fh, fw, padTop, padLeft, pixelBytes)
 *
 * Addresses are byte offsets into the shared heap; channels come 4 at a time,
 * so C must be a multiple of 4 (pixelBytes = C * 4). dx must be zeroed. For
 * each window and channel group, the first input equal to the pooled maximum
 * (y) takes dY; `taken` masks later ties, like the plain JS backend's argmax.
 */
export function maxPoolGradFn(): Fn {
  const P = new Array<T>(16).fill(T.i32);
  const f = new Fn('maxPoolGrad', P);
  const [x, y, g, dx, batch, H, W, OH, OW, sh, sw, fh, fw, padTop, padLeft, pixelBytes] = P.map((_, i) => f.param(i));
  const i32 = () => f.local(T.i32);
  const [n, oy, ox, c, yy, xx, ys, y0, y1, xs, x0, x1, tmp, zero] = Array.from({ length: 14 }, i32);
  const [img, imageBytes, rowBytes, o, gd, dd, rowp, p] = Array.from({ length: 8 }, i32);
  const [m, gv, taken, eq] = Array.from({ length: 4 }, () => f.local(T.v128));

  f.get(W).get(pixelBytes).mul().set(rowBytes);
  f.get(H).get(rowBytes).mul().set(imageBytes);
  f.get(g).get(y).sub().set(gd);
  f.get(dx).get(x).sub().set(dd);
  f.get(y).set(o);
  f.get(x).set(img);

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
                  f.get(o).v128Load().set(m);
                  f.get(o).get(gd).add().v128Load().set(gv);
                  f.v128Zero().set(taken);
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
                          f.get(p).v128Load().get(m).f32x4Eq().set(eq);
                          f.get(p).get(dd).add(); // store address
                          f.get(p).get(dd).add().v128Load();
                          f.get(gv).get(eq).get(taken).v128AndNot().v128And();
                          f.f32x4Add().v128Store();
                          f.get(taken).get(eq).v128Or().set(taken);
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
