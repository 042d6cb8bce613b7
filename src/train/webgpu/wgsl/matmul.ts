/**
 * Tiled matrix multiply C[M,N] = op(A)[M,K] * op(B)[K,N] in WGSL, with an
 * optional epilogue: + bias[N], ReLU, or the ReLU mask of another tensor
 * (C *= mask > 0, the backward pass through a ReLU). A 16x16 workgroup
 * computes a 64x64 tile of C, 4x4 values per invocation, stepping through K
 * 16 at a time in workgroup memory. Transposes are read in place:
 * transA reads A stored [K,M], transB reads B stored [N,K].
 */
export interface MatmulVariant {
  transA: boolean;
  transB: boolean;
  bias: boolean;
  relu: boolean;
  reluMask: boolean;
}

export const MATMUL_TILE = 64;
const TILE = MATMUL_TILE;
const BK = 16;

/**
 * What a GEMM reads: WGSL bodies of readA(m, k) -> op(A)[m][k] and
 * readB(k, n) -> op(B)[k][n] (bounds already checked against dims), extra
 * declarations (a geometry uniform, helpers), and which index of each operand
 * runs along memory, so that neighbouring invocations load neighbouring
 * addresses ('m'/'n' or 'k').
 */
export interface GemmSource {
  readA: string;
  readB: string;
  decls?: string;
  contiguousA: 'm' | 'k';
  contiguousB: 'n' | 'k';
}

export interface GemmEpilogue {
  bias: boolean;
  relu: boolean;
  reluMask: boolean;
}

/** Bindings in order: dims (uniform M, N, K), A, B, C, then bias and mask when the variant has them. */
export function matmulWgsl(v: MatmulVariant): string {
  return gemmWgsl(
    {
      readA: `return A[${v.transA ? 'k * dims.M + m' : 'm * dims.K + k'}];`,
      readB: `return B[${v.transB ? 'n * dims.K + k' : 'k * dims.N + n'}];`,
      contiguousA: v.transA ? 'm' : 'k',
      contiguousB: v.transB ? 'k' : 'n',
    },
    v,
  );
}

/**
 * The tiled GEMM with any operand reader: dense layers read plain matrices,
 * convolutions read their patches in place (implicit GEMM, wgsl/conv.ts).
 * Bindings: dims, A, B, C, [bias], [mask], then whatever `decls` adds.
 */
export function gemmWgsl(source: GemmSource, e: GemmEpilogue): string {
  if (e.relu && e.reluMask) throw new Error('matmul: relu and reluMask are exclusive');
  let binding = 4;
  const extra: string[] = [];
  if (e.bias) extra.push(`@group(0) @binding(${binding++}) var<storage, read> bias: array<f32>;`);
  if (e.reluMask) extra.push(`@group(0) @binding(${binding++}) var<storage, read> mask: array<f32>;`);
  const epilogue = [
    e.bias ? 'value = value + bias[c];' : '',
    e.relu ? 'value = max(value, 0.0);' : '',
    e.reluMask ? 'value = select(0.0, value, mask[r * dims.N + c] > 0.0);' : '',
  ]
    .filter(Boolean)
    .join(' ');
  // Each load maps the flat index e to (row, k) so that neighbouring invocations read neighbouring addresses.
  const loadA =
    source.contiguousA === 'm'
      ? `let ak = e / ${TILE}u; let am = e % ${TILE}u;`
      : `let am = e / ${BK}u; let ak = e % ${BK}u;`;
  const loadB =
    source.contiguousB === 'k'
      ? `let bn = e / ${BK}u; let bk = e % ${BK}u;`
      : `let bk = e / ${TILE}u; let bn = e % ${TILE}u;`;
  const decls = (source.decls ?? '').replace(/@binding\(NEXT\)/g, () => `@binding(${binding++})`);
  return `
struct Dims { M: u32, N: u32, K: u32, pad: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
${extra.join('\n')}
${decls}
var<workgroup> As: array<f32, ${TILE * BK}>;
var<workgroup> Bs: array<f32, ${TILE * BK}>;

fn readA(m: u32, k: u32) -> f32 {
  if (m >= dims.M || k >= dims.K) { return 0.0; }
  ${source.readA}
}

fn readB(k: u32, n: u32) -> f32 {
  if (k >= dims.K || n >= dims.N) { return 0.0; }
  ${source.readB}
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wg.y * ${TILE}u;
  let col0 = wg.x * ${TILE}u;
  let tid = lid.y * 16u + lid.x;
  // row i of the invocation's 4x4 block as one vec4: a lavapipe compile took 0.3-0.4 s of CPU instead of 1.2-1.3
  // with 16 scalars and two 4-element arrays indexed in loops, and the conv kernels of a depth-3 step 570 CPU-ms
  // instead of 692
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < dims.K; k0 += ${BK}u) {
    for (var i = 0u; i < 4u; i++) {
      let e = tid + i * 256u;
      ${loadA}
      As[ak * ${TILE}u + am] = readA(row0 + am, k0 + ak);
      ${loadB}
      Bs[bk * ${TILE}u + bn] = readB(k0 + bk, col0 + bn);
    }
    workgroupBarrier();
    for (var k = 0u; k < ${BK}u; k++) {
      let base = k * ${TILE}u;
      let b = vec4f(Bs[base + lid.x], Bs[base + lid.x + 16u], Bs[base + lid.x + 32u], Bs[base + lid.x + 48u]);
      acc[0] = fma(vec4f(As[base + lid.y]), b, acc[0]);
      acc[1] = fma(vec4f(As[base + lid.y + 16u]), b, acc[1]);
      acc[2] = fma(vec4f(As[base + lid.y + 32u]), b, acc[2]);
      acc[3] = fma(vec4f(As[base + lid.y + 48u]), b, acc[3]);
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      let r = row0 + lid.y + i * 16u;
      let c = col0 + lid.x + j * 16u;
      if (r < dims.M && c < dims.N) {
        var value = acc[i][j];
        ${epilogue}
        C[r * dims.N + c] = value;
      }
    }
  }
}
`;
}

/** Workgroups for an M x N result. */
export function matmulWorkgroups(m: number, n: number): [number, number] {
  return [Math.ceil(n / TILE), Math.ceil(m / TILE)];
}
