import { Fn, T } from './assembler';

/**
 * copyBlocks(src, dst, n0, n1, n2, blockBytes, s0, s1, s2, d0, d1, d2): for
 * every (i, j, k) < (n0, n1, n2), copies blockBytes from src + i*s0 + j*s1 + k*s2
 * to dst + i*d0 + j*d1 + k*d2 (all in bytes). A strided gather/scatter of
 * channel vectors without a JS call per block.
 */
export function copyBlocksFn(): Fn {
  const f = new Fn('copyBlocks', new Array<T>(12).fill(T.i32));
  const [src, dst, n0, n1, n2, bytes, s0, s1, s2, d0, d1, d2] = Array.from({ length: 12 }, (_, i) => f.param(i));
  const [i, j, k, si, di, sj, dj, sk, dk] = Array.from({ length: 9 }, () => f.local(T.i32));
  f.get(src).set(si);
  f.get(dst).set(di);
  f.forLt(
    i,
    (s) => s.i32(0),
    n0,
    1,
    () => {
      f.get(si).set(sj);
      f.get(di).set(dj);
      f.forLt(
        j,
        (s) => s.i32(0),
        n1,
        1,
        () => {
          f.get(sj).set(sk);
          f.get(dj).set(dk);
          f.forLt(
            k,
            (s) => s.i32(0),
            n2,
            1,
            () => {
              f.get(dk).get(sk).get(bytes).memoryCopy();
              f.incBy(sk, s2);
              f.incBy(dk, d2);
            },
          );
          f.incBy(sj, s1);
          f.incBy(dj, d1);
        },
      );
      f.incBy(si, s0);
      f.incBy(di, d0);
    },
  );
  return f;
}
