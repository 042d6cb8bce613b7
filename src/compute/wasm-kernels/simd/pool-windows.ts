import { Fn, Local, T } from './assembler';

/** The pooling geometry parameters the pool-gradient loops take, in their order after the addresses. */
export const POOL_GEOMETRY_PARAMS = 12;

/** The fields of TF.js's pool info (backend_util.computePool2DInfo) the geometry comes from. */
interface PoolInfo {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  strideHeight: number;
  strideWidth: number;
  filterHeight: number;
  filterWidth: number;
  padInfo: { top: number; left: number };
}

/** The geometry arguments of a pool-gradient loop (byte widths: pixelBytes = C * 4). */
export type PoolGeometry = [
  batch: number,
  h: number,
  w: number,
  oh: number,
  ow: number,
  sh: number,
  sw: number,
  fh: number,
  fw: number,
  padTop: number,
  padLeft: number,
  pixelBytes: number,
];

/** The geometry arguments of a pool-gradient loop, in its parameters' order. */
export function poolGeometry(info: PoolInfo): PoolGeometry {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.filterHeight,
    info.filterWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.inChannels * 4,
  ];
}

/**
 * Emits: for each image, output position and block of four channels (the output side read at `out`, which steps 16
 * bytes a block), perBlock(), then perInput(p) for each input p (a byte address: `image` + row + column + block) of
 * that position's pooling window that lies inside the image. `image` steps one image at a time. The geometry is
 * (batch, H, W, OH, OW, sh, sw, fh, fw, padTop, padLeft, pixelBytes), pixelBytes = C * 4 with C a multiple of 4.
 */
export function forEachPoolWindow(
  f: Fn,
  geometry: Local[],
  image: Local,
  out: Local,
  perBlock: () => void,
  perInput: (p: Local) => void,
): void {
  const [batch, H, W, OH, OW, sh, sw, fh, fw, padTop, padLeft, pixelBytes] = geometry;
  const i32 = () => f.local(T.i32);
  const [n, oy, ox, c, yy, xx, ys, y0, y1, xs, x0, x1, tmp, zero] = Array.from({ length: 14 }, i32);
  const [imageBytes, rowBytes, rowp, p] = Array.from({ length: 4 }, i32);

  f.get(W).get(pixelBytes).mul().set(rowBytes);
  f.get(H).get(rowBytes).mul().set(imageBytes);
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
                  perBlock();
                  f.forLt(
                    yy,
                    (s) => s.get(y0),
                    y1,
                    1,
                    () => {
                      f.get(image).get(yy).get(rowBytes).mul().add().get(c).add().set(rowp);
                      f.forLt(
                        xx,
                        (s) => s.get(x0),
                        x1,
                        1,
                        () => {
                          f.get(rowp).get(xx).get(pixelBytes).mul().add().set(p);
                          perInput(p);
                        },
                      );
                    },
                  );
                  f.inc(out, 16);
                },
              );
            },
          );
        },
      );
      f.incBy(image, imageBytes);
    },
  );
}
