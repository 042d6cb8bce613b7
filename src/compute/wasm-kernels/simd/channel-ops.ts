import { Fn, T } from './assembler';

/** Element-wise ops of a [rows, C] tensor with a [C] vector, the vector broadcast over rows. */
export const CHANNEL_OPS = ['add', 'sub', 'mul', 'div', 'rsub', 'rdiv'] as const;
export type ChannelOp = (typeof CHANNEL_OPS)[number];

/**
 * channel_<op>(big, vec, out, totalBytes, rowBytes): out[r, c] = big[r, c] op vec[c]
 * ('rsub' and 'rdiv': vec[c] op big[r, c]). Byte offsets; rowBytes a multiple of 16.
 */
export function channelOpFn(op: ChannelOp): Fn {
  const f = new Fn(`channel_${op}`, [T.i32, T.i32, T.i32, T.i32, T.i32]);
  const [big, vec, out, total, rowBytes] = [0, 1, 2, 3, 4].map((i) => f.param(i));
  const [row, c, at] = [f.local(T.i32), f.local(T.i32), f.local(T.i32)];
  const reversed = op === 'rsub' || op === 'rdiv';
  f.forLt(
    row,
    (s) => s.i32(0),
    total,
    rowBytes,
    () => {
      f.forLt(
        c,
        (s) => s.i32(0),
        rowBytes,
        16,
        () => {
          f.get(row).get(c).add().set(at);
          f.get(out).get(at).add(); // store address
          if (reversed) f.get(vec).get(c).add().v128Load();
          f.get(big).get(at).add().v128Load();
          if (!reversed) f.get(vec).get(c).add().v128Load();
          if (op === 'add') f.f32x4Add();
          else if (op === 'sub' || op === 'rsub') f.f32x4Sub();
          else if (op === 'mul') f.f32x4Mul();
          else f.f32x4Div();
          f.v128Store();
        },
      );
    },
  );
  return f;
}

/** channelAffine(x, k, m, out, totalBytes, rowBytes): out[r, c] = x[r, c] * k[c] + m[c] (BatchNorm's forward). */
export function channelAffineFn(): Fn {
  const f = new Fn('channelAffine', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]);
  const [x, k, m, out, total, rowBytes] = [0, 1, 2, 3, 4, 5].map((i) => f.param(i));
  const [row, c, at] = [f.local(T.i32), f.local(T.i32), f.local(T.i32)];
  f.forLt(
    row,
    (s) => s.i32(0),
    total,
    rowBytes,
    () => {
      f.forLt(
        c,
        (s) => s.i32(0),
        rowBytes,
        16,
        () => {
          f.get(row).get(c).add().set(at);
          f.get(out).get(at).add();
          f.get(x).get(at).add().v128Load();
          f.get(k).get(c).add().v128Load();
          f.f32x4Mul();
          f.get(m).get(c).add().v128Load();
          f.f32x4Add();
          f.v128Store();
        },
      );
    },
  );
  return f;
}
