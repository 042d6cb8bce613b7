export interface Dataset {
  /** 'mnist', the resolved folder path, or the resolved csv path. */
  source: string;
  kind: 'image' | 'tabular';
  /** Per sample: [H, W, C] for images, [F] for tabular. */
  inputShape: number[];
  /** Label names; class id = index. */
  classes: string[];
  /** Raw (not normalised) features, count * prod(inputShape), row-major NHWC. Images are in [0, 1]. */
  x: Float32Array;
  /** Class ids. */
  y: Int32Array;
  count: number;
}

/** Per channel (images) or per feature (tabular); applied as (x - mean) / std. */
export interface Normalisation {
  mean: number[];
  std: number[];
}

export interface SplitSpec {
  seed: number;
  validationFraction: number;
  testFraction: number;
}

export interface DataSplit {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
  spec: SplitSpec;
  counts: { train: number; validation: number; test: number };
  /** sha256 (hex) over the sorted test indices, the source and the count: names the held-out split. */
  fingerprint: string;
}

export interface LoadOptions {
  /** The model's per-sample input shape; images are resized / converted to it, tabular data must match it. */
  inputShape?: number[];
  /** The model's labels; the data's classes are mapped onto them. */
  classes?: string[];
  /** At most this many samples, shared as evenly as possible between the classes. */
  limit?: number;
}
