import { gemmWgsl } from './matmul';

/**
 * Conv2D as implicit GEMM (NHWC input, TF.js filter layout [KH, KW, C, CO]):
 * the tiled GEMM of matmul.ts reads its patches in place, no im2col buffer.
 *   forward      Y[B*OH*OW, CO]    = patches(x)[B*OH*OW, KH*KW*C] . W[KH*KW*C, CO]
 *   filter grad dW[KH*KW*C, CO]    = patches(x)^T . dY[B*OH*OW, CO]
 *   input grad  dX[B*H*W, C]       = gathered dY[B*H*W, KH*KW*CO] . W^T (per tap)
 * The geometry (with TF's 'same' padding split: the smaller half on top/left)
 * is a uniform, so one pipeline serves every batch size.
 */
export interface ConvGeometry {
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  CO: number;
  KH: number;
  KW: number;
  stride: number;
  padT: number;
  padL: number;
}

export function convGeometry(
  input: [number, number, number],
  filters: number,
  kernel: [number, number],
  stride: number,
  padding: 'same' | 'valid',
): ConvGeometry {
  const [H, W, C] = input;
  const [KH, KW] = kernel;
  if (padding === 'valid') {
    return {
      H,
      W,
      C,
      CO: filters,
      KH,
      KW,
      stride,
      padT: 0,
      padL: 0,
      OH: Math.ceil((H - KH + 1) / stride),
      OW: Math.ceil((W - KW + 1) / stride),
    };
  }
  const OH = Math.ceil(H / stride);
  const OW = Math.ceil(W / stride);
  const padH = Math.max((OH - 1) * stride + KH - H, 0);
  const padW = Math.max((OW - 1) * stride + KW - W, 0);
  return { H, W, C, CO: filters, KH, KW, stride, padT: Math.floor(padH / 2), padL: Math.floor(padW / 2), OH, OW };
}

/** The geometry uniform: 12 words in the order of the WGSL struct. */
export function convGeometryWords(g: ConvGeometry): Uint32Array {
  return Uint32Array.from([g.H, g.W, g.C, g.OH, g.OW, g.CO, g.KH, g.KW, g.stride, g.padT, g.padL, 0]);
}

const GEO = `
struct Geo { H: u32, W: u32, C: u32, OH: u32, OW: u32, CO: u32, KH: u32, KW: u32, stride: u32, padT: u32, padL: u32, pad: u32 }
@group(0) @binding(NEXT) var<uniform> g: Geo;

// Input value under tap (ky, kx, ci) of output pixel (b, oy, ox); zero in the padding.
fn patchValue(pixel: u32, tap: u32) -> f32 {
  let ox = pixel % g.OW;
  let rest = pixel / g.OW;
  let oy = rest % g.OH;
  let b = rest / g.OH;
  let ci = tap % g.C;
  let t = tap / g.C;
  let kx = t % g.KW;
  let ky = t / g.KW;
  let iy = i32(oy * g.stride + ky) - i32(g.padT);
  let ix = i32(ox * g.stride + kx) - i32(g.padL);
  if (iy < 0 || ix < 0 || iy >= i32(g.H) || ix >= i32(g.W)) { return 0.0; }
  return A[((b * g.H + u32(iy)) * g.W + u32(ix)) * g.C + ci];
}
`;

/** Forward. Bindings: dims (M = B*OH*OW, N = CO, K = KH*KW*C), x, W, y, [bias], then the geometry. */
export function convForwardWgsl(e: { bias: boolean; relu: boolean }): string {
  return gemmWgsl(
    {
      decls: GEO,
      readA: 'return patchValue(m, k);',
      readB: 'return B[k * dims.N + n];',
      contiguousA: 'k',
      contiguousB: 'n',
    },
    { bias: e.bias, relu: e.relu, reluMask: false },
  );
}

/** Filter gradient. Bindings: dims (M = KH*KW*C, N = CO, K = B*OH*OW), x, dY, dW, then the geometry. */
export function convFilterGradWgsl(): string {
  return gemmWgsl(
    {
      decls: GEO,
      readA: 'return patchValue(k, m);',
      readB: 'return B[k * dims.N + n];',
      contiguousA: 'm',
      contiguousB: 'n',
    },
    { bias: false, relu: false, reluMask: false },
  );
}

/**
 * Input gradient, optionally times the ReLU mask of the layer below (mask = its output).
 * Bindings: dims (M = B*H*W, N = C, K = KH*KW*CO), dY, W, dX, [mask], then the geometry.
 */
export function convInputGradWgsl(reluMask: boolean): string {
  const readA = `
  let ix = m % g.W;
  let rest = m / g.W;
  let iy = rest % g.H;
  let b = rest / g.H;
  let co = k % g.CO;
  let t = k / g.CO;
  let kx = t % g.KW;
  let ky = t / g.KW;
  let ny = i32(iy + g.padT) - i32(ky);
  let nx = i32(ix + g.padL) - i32(kx);
  if (ny < 0 || nx < 0) { return 0.0; }
  if (u32(ny) % g.stride != 0u || u32(nx) % g.stride != 0u) { return 0.0; }
  let oy = u32(ny) / g.stride;
  let ox = u32(nx) / g.stride;
  if (oy >= g.OH || ox >= g.OW) { return 0.0; }
  return A[((b * g.OH + oy) * g.OW + ox) * g.CO + co];`;
  const readB = 'let co = k % g.CO; let tap = k / g.CO; return B[(tap * g.C + n) * g.CO + co];';
  return gemmWgsl(
    { decls: GEO, readA, readB, contiguousA: 'k', contiguousB: 'k' },
    { bias: false, relu: false, reluMask },
  );
}
