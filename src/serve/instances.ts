import { DeependError } from '../util/deepend-error';

// Turns a TF Serving predict body into one flat float32 batch. Row format:
// {"instances": [x, ...]}; columnar: {"inputs": [x, ...]} (or {"inputs":
// {"NAME": [...]}}). Each x is a nested array of the model's input shape, the
// same without trailing 1s ([28][28] for 28x28x1), or a flat list of its size.

/** A predict body that cannot be read as a batch: answered 400 (code `usage`). */
export class RequestError extends DeependError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'RequestError';
  }
}

export interface ParsedBatch {
  x: Float32Array;
  count: number;
  /** Row requests are answered with "predictions", columnar ones with "outputs". */
  format: 'row' | 'columnar';
}

function fail(message: string): never {
  throw new RequestError(message);
}

function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

function same(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function withoutTrailingOnes(shape: readonly number[]): number[] {
  const s = [...shape];
  while (s.length > 1 && s[s.length - 1] === 1) s.pop();
  return s;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 20))}` : `a ${typeof value}`;
}

/** The instance's values in row-major order, checking it is a regular array of numbers. */
function fillInstance(
  value: unknown,
  shape: readonly number[],
  out: Float32Array,
  offset: number,
  where: string,
): void {
  const index: number[] = [];
  let o = offset;
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') fail(`${where}: element [${index.join(',')}] is ${describe(v)}, not a number`);
      out[o] = v;
      // JSON numbers past ~1.8e308 parse as Infinity; past ~3.4e38 they overflow float32
      if (!Number.isFinite(out[o]))
        fail(
          `${where}: element [${index.join(',')}] is ${Number.isFinite(v) ? `${v}, outside the float32 range` : 'not a finite number'}`,
        );
      o++;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      const got = Array.isArray(v) ? `${v.length} values` : describe(v);
      fail(`${where}: not a regular array: [${index.join(',')}] has ${got}, expected ${shape[depth]} values`);
    }
    for (let i = 0; i < v.length; i++) {
      index.push(i);
      walk(v[i], depth + 1);
      index.pop();
    }
  };
  walk(value, 0);
}

/** A single-input request may name its input ({"NAME": value}); anything else is taken as the value. */
function unwrapNamed(value: unknown, where: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1)
    fail(`${where}: the model has one input, but the object names ${keys.length} (${keys.slice(0, 3).join(', ')})`);
  return (value as Record<string, unknown>)[keys[0]];
}

function instancesOf(body: Record<string, unknown>): { list: unknown[]; format: ParsedBatch['format'] } {
  const hasInstances = 'instances' in body;
  const hasInputs = 'inputs' in body;
  if (hasInstances === hasInputs)
    fail('the request must have exactly one of "instances" (row format) or "inputs" (columnar format)');
  if (body.signature_name !== undefined && body.signature_name !== 'serving_default') {
    fail(`unknown signature_name ${JSON.stringify(body.signature_name)}: the model has only "serving_default"`);
  }
  const raw = hasInstances ? body.instances : unwrapNamed(body.inputs, '"inputs"');
  const key = hasInstances ? 'instances' : 'inputs';
  if (!Array.isArray(raw)) fail(`"${key}" must be a list of inputs, got ${describe(raw)}`);
  if (raw.length === 0) fail(`"${key}" is empty: send at least one input`);
  return { list: raw, format: hasInstances ? 'row' : 'columnar' };
}

/** Parses a predict body (already JSON-decoded) for a model with this per-instance input shape. */
export function parseBatch(body: unknown, inputShape: readonly number[], maxInstances: number): ParsedBatch {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    fail(`the request body must be a JSON object, got ${describe(body)}`);
  const { list, format } = instancesOf(body as Record<string, unknown>);
  if (list.length > maxInstances) fail(`${list.length} inputs in one request; the limit is ${maxInstances}`);
  const size = inputShape.reduce((a, b) => a * b, 1);
  const accepted = [inputShape, withoutTrailingOnes(inputShape), [size]];
  const x = new Float32Array(list.length * size);
  list.forEach((item, i) => {
    const where = `input ${i}`;
    const value = format === 'row' ? unwrapNamed(item, where) : item;
    const shape = shapeOf(value);
    const match = accepted.find((s) => same(s, shape));
    if (!match) {
      fail(
        `${where} has shape [${shape.join(',')}]; the model takes [${inputShape.join(',')}] (or ${size} numbers in a flat list)`,
      );
    }
    fillInstance(value, match, x, i * size, where);
  });
  return { x, count: list.length, format };
}
