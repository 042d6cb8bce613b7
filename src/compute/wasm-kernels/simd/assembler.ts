/**
 * A tiny WebAssembly assembler: just enough to write a few SIMD loops that run
 * on the wasm backend's own memory (no compiler toolchain on the devices). It
 * emits binary format 1 with a type, import (one memory), function, export and
 * code section.
 */

export enum T {
  i32 = 0x7f,
  f32 = 0x7d,
  v128 = 0x7b,
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A local variable slot (parameters first) of a function under construction. */
export class Local {
  constructor(readonly index: number) {}
}

/**
 * One function body. Methods append instructions and return `this`, so a
 * kernel reads as a stack-machine listing. Loops are structured helpers.
 */
export class Fn {
  readonly code: number[] = [];
  private readonly localTypes: T[] = [];

  constructor(
    readonly exportName: string,
    readonly params: T[],
  ) {}

  param(i: number): Local {
    return new Local(i);
  }

  local(type: T): Local {
    this.localTypes.push(type);
    return new Local(this.params.length + this.localTypes.length - 1);
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...imm: number[]): this {
    return this.op(0xfd, ...uleb(opcode), ...imm);
  }

  get(l: Local): this {
    return this.op(0x20, ...uleb(l.index));
  }
  set(l: Local): this {
    return this.op(0x21, ...uleb(l.index));
  }
  tee(l: Local): this {
    return this.op(0x22, ...uleb(l.index));
  }
  i32(n: number): this {
    return this.op(0x41, ...sleb(n | 0));
  }

  add(): this {
    return this.op(0x6a);
  }
  sub(): this {
    return this.op(0x6b);
  }
  mul(): this {
    return this.op(0x6c);
  }
  gtS(): this {
    return this.op(0x4a);
  }
  ltS(): this {
    return this.op(0x48);
  }
  /** if (top of stack != 0) then body */
  ifThen(body: (f: this) => void): this {
    this.op(0x04, 0x40);
    body(this);
    return this.op(0x0b);
  }

  /** select: [a, b, cond] -> cond ? a : b */
  select(): this {
    return this.op(0x1b);
  }

  /** Pushes max(a, b) of two i32 locals. */
  maxS(a: Local, b: Local): this {
    return this.get(a).get(b).get(a).get(b).gtS().select();
  }
  /** Pushes min(a, b) of two i32 locals. */
  minS(a: Local, b: Local): this {
    return this.get(a).get(b).get(a).get(b).ltS().select();
  }

  /** local += n (i32 immediate) */
  inc(l: Local, n: number): this {
    return this.get(l).i32(n).add().set(l);
  }
  /** local += other local */
  incBy(l: Local, by: Local): this {
    return this.get(l).get(by).add().set(l);
  }

  /** memory.copy: [dst, src, bytes] */
  memoryCopy(): this {
    return this.op(0xfc, 0x0a, 0x00, 0x00);
  }

  v128Load(offset = 0): this {
    return this.simd(0x00, 4, ...uleb(offset));
  }
  /** v128.load32_splat: one f32 from memory in all four lanes. */
  v128Load32Splat(offset = 0): this {
    return this.simd(0x09, 2, ...uleb(offset));
  }
  v128Store(offset = 0): this {
    return this.simd(0x0b, 4, ...uleb(offset));
  }
  /** f32x4.splat: an f32 on the stack in all four lanes. */
  f32x4Splat(): this {
    return this.simd(0x13);
  }
  v128Zero(): this {
    return this.simd(0x0c, ...new Array<number>(16).fill(0));
  }
  f32x4Eq(): this {
    return this.simd(0x41);
  }
  v128And(): this {
    return this.simd(0x4e);
  }
  /** a & ~b */
  v128AndNot(): this {
    return this.simd(0x4f);
  }
  v128Or(): this {
    return this.simd(0x50);
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Sub(): this {
    return this.simd(0xe5);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
  f32x4Div(): this {
    return this.simd(0xe7);
  }
  f32x4Max(): this {
    return this.simd(0xe9);
  }

  /**
   * for (i = from; i < to; i += step) body, with `to` re-read from a local
   * each pass. `from` pushes the start value.
   */
  forLt(i: Local, from: (f: this) => void, to: Local, step: number | Local, body: (f: this) => void): this {
    from(this);
    this.set(i);
    this.op(0x02, 0x40); // block
    this.op(0x03, 0x40); // loop
    this.get(i).get(to).op(0x4f).op(0x0d, 1); // i >= to (unsigned): br_if exit
    body(this);
    if (step instanceof Local) this.incBy(i, step);
    else this.inc(i, step);
    this.op(0x0c, 0); // br loop
    this.op(0x0b, 0x0b); // end loop, end block
    return this;
  }

  body(): number[] {
    const runs: number[][] = this.localTypes.map((t) => [1, t]);
    const bytes = [...vec(runs), ...this.code, 0x0b];
    return [...uleb(bytes.length), ...bytes];
  }
}

/** A module of void functions that import one memory as env.memory. */
export function assemble(fns: Fn[]): Uint8Array {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0]);
  const imports = [[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]];
  const funcs = fns.map((_, i) => uleb(i));
  const exports = fns.map((f, i) => [...name(f.exportName), 0x00, ...uleb(i)]);
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(funcs)),
    ...section(7, vec(exports)),
    ...section(10, vec(fns.map((f) => f.body()))),
  ]);
}
