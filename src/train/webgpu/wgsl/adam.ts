/**
 * Adam over every trainable value at once (weights, gradients and both
 * moments are each one flat buffer), as tfjs-core 4.22's AdamOptimizer:
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   w = w - lr (m / c1) / (sqrt(v / c2) + eps),  c1 = 1 - b1^t, c2 = 1 - b2^t
 * (TF.js's default eps is 1e-7). Grid-stride loop, so any size fits the dispatch limit.
 * Bindings: params (uniform), w, g, m, v.
 */
export const ADAM_WGSL = `
struct Params { count: u32, pad0: u32, pad1: u32, pad2: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, c1: f32, c2: f32, pad3: f32, pad4: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * 256u;
  for (var i = gid.x; i < p.count; i += stride) {
    let gi = g[i];
    let mi = p.beta1 * m[i] + (1.0 - p.beta1) * gi;
    let vi = p.beta2 * v[i] + (1.0 - p.beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] - p.lr * (mi / p.c1) / (sqrt(vi / p.c2) + p.eps);
  }
}
`;

/** Adam's uniform block: 12 words (count, 3 pad, lr, beta1, beta2, eps, c1, c2, 2 pad). */
export const ADAM_PARAMS_BYTES = 48;

export const ADAM_MAX_WORKGROUPS = 4096;
