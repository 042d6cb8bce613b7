/**
 * Max pooling with window = stride (non-overlapping, 'valid': what deepend
 * builds, 2x2 stride 2), NHWC. The forward pass keeps, per output, the flat
 * input index of its maximum (the first one in the window, as TF.js); the
 * backward pass is then a gather (each input looks up its window), fused
 * with the ReLU mask of the layer below. Elementwise over a 2-D grid of
 * 64-wide workgroups, so millions of elements fit the dispatch limit.
 */
export interface PoolGeometry {
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  size: number;
}

export function poolGeometry(input: [number, number, number], size: number): PoolGeometry {
  const [H, W, C] = input;
  return { H, W, C, OH: Math.floor(H / size), OW: Math.floor(W / size), size };
}

/** The uniform: count (of this dispatch's elements), then the geometry. */
export function poolWords(g: PoolGeometry, count: number): Uint32Array {
  return Uint32Array.from([count, g.H, g.W, g.C, g.OH, g.OW, g.size, 0]);
}

/** 2-D workgroup grid for `count` elements in 64-wide groups. */
export function elementwiseWorkgroups(count: number): [number, number] {
  const groups = Math.max(1, Math.ceil(count / 64));
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x)];
}

const GEO = `
struct Geo { count: u32, H: u32, W: u32, C: u32, OH: u32, OW: u32, size: u32, pad: u32 }
@group(0) @binding(0) var<uniform> g: Geo;
`;

/** Bindings: geometry (count = B*OH*OW*C), x, y, argmax (u32). */
export const MAX_POOL_WGSL = `${GEO}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> Arg: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let o = gid.x + gid.y * groups.x * 64u;
  if (o >= g.count) { return; }
  let c = o % g.C;
  var rest = o / g.C;
  let ox = rest % g.OW;
  rest = rest / g.OW;
  let oy = rest % g.OH;
  let b = rest / g.OH;
  var best = -3.402823e38;
  var arg = 0u;
  for (var dy = 0u; dy < g.size; dy++) {
    for (var dx = 0u; dx < g.size; dx++) {
      let i = ((b * g.H + oy * g.size + dy) * g.W + ox * g.size + dx) * g.C + c;
      let v = X[i];
      if (v > best) { best = v; arg = i; }
    }
  }
  Y[o] = best;
  Arg[o] = arg;
}
`;

/** Bindings: geometry (count = B*H*W*C), dY, argmax, dX, [x: the pooled input, for its ReLU mask]. */
export function maxPoolGradWgsl(reluMask: boolean): string {
  return `${GEO}
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read> Arg: array<u32>;
@group(0) @binding(3) var<storage, read_write> dX: array<f32>;
${reluMask ? '@group(0) @binding(4) var<storage, read> X: array<f32>;' : ''}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= g.count) { return; }
  let c = i % g.C;
  var rest = i / g.C;
  let ix = rest % g.W;
  rest = rest / g.W;
  let iy = rest % g.H;
  let b = rest / g.H;
  let oy = iy / g.size;
  let ox = ix / g.size;
  var grad = 0.0;
  if (oy < g.OH && ox < g.OW) {
    let o = ((b * g.OH + oy) * g.OW + ox) * g.C + c;
    if (Arg[o] == i) { grad = dY[o]; }
  }
  ${reluMask ? 'if (!(X[i] > 0.0)) { grad = 0.0; }' : ''}
  dX[i] = grad;
}
`;
}
