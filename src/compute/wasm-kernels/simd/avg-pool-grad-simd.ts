import { Fn, T } from './assembler';
import { forEachPoolWindow, POOL_GEOMETRY_PARAMS } from './pool-windows';

/**
 * avgPoolGrad(dy, dx, batch, H, W, OH, OW, sh, sw, fh, fw, padTop, padLeft, pixelBytes, scale): every dY value
 * times scale (1 / (fh * fw), as TF.js's backends divide) added to each input of its window inside the image.
 * Byte offsets; channels come 4 at a time (pixelBytes = C * 4, C a multiple of 4); dx must be zeroed.
 */
export function avgPoolGradFn(): Fn {
  const P = [...new Array<T>(2 + POOL_GEOMETRY_PARAMS).fill(T.i32), T.f32];
  const f = new Fn('avgPoolGrad', P);
  const [dy, dx, ...rest] = P.map((_, i) => f.param(i));
  const geometry = rest.slice(0, POOL_GEOMETRY_PARAMS);
  const scale = rest[POOL_GEOMETRY_PARAMS];
  const [img, o] = [f.local(T.i32), f.local(T.i32)];
  const [g, k] = [f.local(T.v128), f.local(T.v128)];

  f.get(scale).f32x4Splat().set(k);
  f.get(dy).set(o);
  f.get(dx).set(img);
  forEachPoolWindow(
    f,
    geometry,
    img,
    o,
    () => {
      f.get(o).v128Load().get(k).f32x4Mul().set(g);
    },
    (p) => {
      f.get(p).get(p).v128Load().get(g).f32x4Add().v128Store();
    },
  );
  return f;
}
