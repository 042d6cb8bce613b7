/**
 * Softmax cross-entropy per row, and its gradient with respect to the
 * scores, in one pass (one invocation per row). Two loss forms, matching
 * src/train/classifier.ts exactly:
 * - probs = 1 (the model ends in a softmax): loss = -log(p_y + 1e-7), and
 *   dL/dz_j = r (p_j - [j = y]) / B with r = p_y / (p_y + 1e-7), the exact
 *   gradient of that loss through the softmax;
 * - probs = 0 (raw scores, Keras's from_logits): loss = -log softmax(z)_y, r = 1.
 * Bindings: params (uniform B, N, probs), Z [B,N], labels u32 [B], dZ [B,N], rowLoss [B].
 */
export const SOFTMAX_CE_WGSL = `
struct Params { B: u32, N: u32, probs: u32, pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> Z: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> dZ: array<f32>;
@group(0) @binding(4) var<storage, read_write> rowLoss: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let r = gid.x;
  if (r >= p.B) { return; }
  let base = r * p.N;
  var top = Z[base];
  for (var j = 1u; j < p.N; j++) { top = max(top, Z[base + j]); }
  var total = 0.0;
  for (var j = 0u; j < p.N; j++) { total += exp(Z[base + j] - top); }
  let y = labels[r];
  let py = exp(Z[base + y] - top) / total;
  var loss: f32;
  var scale: f32;
  if (p.probs == 1u) {
    loss = -log(py + 1e-7);
    scale = py / (py + 1e-7);
  } else {
    loss = log(total) - (Z[base + y] - top);
    scale = 1.0;
  }
  let invB = 1.0 / f32(p.B);
  for (var j = 0u; j < p.N; j++) {
    let pj = exp(Z[base + j] - top) / total;
    dZ[base + j] = scale * (pj - select(0.0, 1.0, j == y)) * invB;
  }
  rowLoss[r] = loss;
}
`;

/** The batch's mean loss into lossLog[slot] (one workgroup). Bindings: params (uniform B, slot), rowLoss, lossLog. */
export const LOSS_MEAN_WGSL = `
struct Params { B: u32, slot: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rowLoss: array<f32>;
@group(0) @binding(2) var<storage, read_write> lossLog: array<f32>;
var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var s = 0.0;
  for (var r = lid.x; r < p.B; r += 256u) { s += rowLoss[r]; }
  part[lid.x] = s;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (lid.x < w) { part[lid.x] += part[lid.x + w]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { lossLog[p.slot] = part[0] / f32(p.B); }
}
`;
