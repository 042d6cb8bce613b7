/**
 * Bias gradient: db[n] = sum over the batch of dY[m, n]. One invocation per
 * column; neighbouring invocations read neighbouring addresses.
 * Bindings: dims (uniform M, N), dY [M,N], db [N].
 */
export const BIAS_GRAD_WGSL = `
struct Dims { M: u32, N: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.x;
  if (n >= dims.N) { return; }
  var s = 0.0;
  for (var m = 0u; m < dims.M; m++) { s += dY[m * dims.N + n]; }
  db[n] = s;
}
`;
