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

/** Bindings in order: dims (uniform M, N, K), A, B, C, then bias and mask when the variant has them. */
export function matmulWgsl(v: MatmulVariant): string {
  if (v.relu && v.reluMask) throw new Error('matmul: relu and reluMask are exclusive');
  let binding = 4;
  const extra: string[] = [];
  if (v.bias) extra.push(`@group(0) @binding(${binding++}) var<storage, read> bias: array<f32>;`);
  if (v.reluMask) extra.push(`@group(0) @binding(${binding++}) var<storage, read> mask: array<f32>;`);
  const epilogue = [
    v.bias ? 'value = value + bias[c];' : '',
    v.relu ? 'value = max(value, 0.0);' : '',
    v.reluMask ? 'value = select(0.0, value, mask[r * dims.N + c] > 0.0);' : '',
  ]
    .filter(Boolean)
    .join(' ');
  // Each load maps the flat index e to (row, k) so that neighbouring invocations read neighbouring addresses.
  const loadA = v.transA
    ? `let ak = e / ${TILE}u; let am = e % ${TILE}u;`
    : `let am = e / ${BK}u; let ak = e % ${BK}u;`;
  const loadB = v.transB
    ? `let bn = e / ${BK}u; let bk = e % ${BK}u;`
    : `let bk = e / ${TILE}u; let bn = e % ${TILE}u;`;
  return `
struct Dims { M: u32, N: u32, K: u32, pad: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
${extra.join('\n')}
var<workgroup> As: array<f32, ${TILE * BK}>;
var<workgroup> Bs: array<f32, ${TILE * BK}>;

fn readA(m: u32, k: u32) -> f32 {
  if (m >= dims.M || k >= dims.K) { return 0.0; }
  return A[${v.transA ? 'k * dims.M + m' : 'm * dims.K + k'}];
}

fn readB(k: u32, n: u32) -> f32 {
  if (k >= dims.K || n >= dims.N) { return 0.0; }
  return B[${v.transB ? 'n * dims.K + k' : 'k * dims.N + n'}];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wg.y * ${TILE}u;
  let col0 = wg.x * ${TILE}u;
  let tid = lid.y * 16u + lid.x;
  var acc: array<f32, 16>;
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
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        a[i] = As[k * ${TILE}u + lid.y + i * 16u];
        b[i] = Bs[k * ${TILE}u + lid.x + i * 16u];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          acc[i * 4u + j] = fma(a[i], b[j], acc[i * 4u + j]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      let r = row0 + lid.y + i * 16u;
      let c = col0 + lid.x + j * 16u;
      if (r < dims.M && c < dims.N) {
        var value = acc[i * 4u + j];
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
