import { Fn, T } from './assembler';

/**
 * sumRows(x, out, rows, rowBytes): out[c] = sum over r of x[r, c], the
 * reduction over every leading axis (bias gradients). Byte offsets; the row
 * length must be a multiple of 4 floats; out must be zeroed.
 */
export function sumRowsFn(): Fn {
  const f = new Fn('sumRows', [T.i32, T.i32, T.i32, T.i32]);
  const [x, out, rows, rowBytes] = [0, 1, 2, 3].map((i) => f.param(i));
  const [row, end, c] = [f.local(T.i32), f.local(T.i32), f.local(T.i32)];
  f.get(x).get(rows).get(rowBytes).mul().add().set(end);
  f.forLt(
    row,
    (s) => s.get(x),
    end,
    rowBytes,
    () => {
      f.forLt(
        c,
        (s) => s.i32(0),
        rowBytes,
        16,
        () => {
          f.get(out).get(c).add();
          f.get(out).get(c).add().v128Load();
          f.get(row).get(c).add().v128Load();
          f.f32x4Add().v128Store();
        },
      );
    },
  );
  return f;
}
