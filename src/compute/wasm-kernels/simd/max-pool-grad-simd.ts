import { Fn, T } from './assembler';
import { forEachPoolWindow, POOL_GEOMETRY_PARAMS } from './pool-windows';

/**
 * maxPoolGrad(x, y, g, dx, batch, H, W, OH, OW, sh, sw, fh, fw, padTop, padLeft, pixelBytes)
 *
 * Addresses are byte offsets into the shared heap; channels come 4 at a time,
 * so C must be a multiple of 4 (pixelBytes = C * 4). dx must be zeroed. For
 * each window and channel group, the first input equal to the pooled maximum
 * (y) takes dY; `taken` masks later ties, like the plain JS backend's argmax.
 */
export function maxPoolGradFn(): Fn {
  const P = new Array<T>(4 + POOL_GEOMETRY_PARAMS).fill(T.i32);
  const f = new Fn('maxPoolGrad', P);
  const [x, y, g, dx, ...geometry] = P.map((_, i) => f.param(i));
  const [img, o, gd, dd] = Array.from({ length: 4 }, () => f.local(T.i32));
  const [m, gv, taken, eq] = Array.from({ length: 4 }, () => f.local(T.v128));

  f.get(g).get(y).sub().set(gd);
  f.get(dx).get(x).sub().set(dd);
  f.get(y).set(o);
  f.get(x).set(img);
  forEachPoolWindow(
    f,
    geometry,
    img,
    o,
    () => {
      f.get(o).v128Load().set(m);
      f.get(o).get(gd).add().v128Load().set(gv);
      f.v128Zero().set(taken);
    },
    (p) => {
      f.get(p).v128Load().get(m).f32x4Eq().set(eq);
      f.get(p).get(dd).add(); // store address
      f.get(p).get(dd).add().v128Load();
      f.get(gv).get(eq).get(taken).v128AndNot().v128And();
      f.f32x4Add().v128Store();
      f.get(taken).get(eq).v128Or().set(taken);
    },
  );
  return f;
}
