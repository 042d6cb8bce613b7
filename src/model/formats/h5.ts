import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { float16ToFloat32 } from './dequantize';
import { messageOf, problem } from './problem';

/** The part of h5wasm's API deepend uses (h5wasm ships its types for ESM consumers only). */
export interface H5Attribute {
  value: unknown;
}
export interface H5Entity {
  attrs: Record<string, H5Attribute>;
  create_attribute(name: string, data: string | string[], shape?: number[] | null, dtype?: string | null): void;
}
export interface H5Group extends H5Entity {
  keys(): string[];
  get(path: string): H5Group | H5Dataset | null;
  create_group(name: string): H5Group;
  create_dataset(args: { name: string; data: Float32Array | Int32Array; shape: number[]; dtype?: string }): H5Dataset;
}
export interface H5Dataset extends H5Entity {
  shape: number[] | null;
  value: unknown;
  metadata: { type: number; size: number };
}
export interface H5File extends H5Group {
  file_id: bigint;
  close(): number;
}
interface H5Module {
  File: new (path: string, mode: 'r' | 'w') => H5File;
  Group: new (...args: never[]) => H5Group;
  Dataset: new (...args: never[]) => H5Dataset;
  ready: Promise<{ activate_throwing_error_handler(): number }>;
}

// h5wasm is ESM-only and this project compiles to CommonJS, where a plain import() would become require().
const importEsm = new Function('s', 'return import(s)') as (s: string) => Promise<{ default: H5Module }>;
let loading: Promise<H5Module> | undefined;

/** h5wasm's node build (real file paths), with HDF5 errors thrown instead of printed to stderr. */
export function h5wasm(): Promise<H5Module> {
  loading ??= (async () => {
    const h5 = (await importEsm('h5wasm/node')).default;
    const module = await h5.ready;
    module.activate_throwing_error_handler();
    return h5;
  })();
  return loading;
}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** HDF5's superblock signature sits at 0, 512, 1024, 2048, ... (after an optional user block). */
export function looksLikeHdf5(path: string): boolean {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      if (readSync(fd, buf, 0, 8, at) === 8 && buf.equals(SIGNATURE)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** HDF5's error stack, reduced to its innermost description. */
export function hdf5Reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const frames = [...text.matchAll(/#\d+: .* in [\w.]+\(\): (.+)$/gm)].map((m) => m[1].trim());
  return frames.length > 0 ? frames[frames.length - 1] : messageOf(err);
}

/** Opens `path` read-only; `source` names the user's file in errors. */
export async function openH5(path: string, source: string): Promise<H5File> {
  const h5 = await h5wasm();
  if (!looksLikeHdf5(path)) throw problem(source, 'not an HDF5 file (no HDF5 signature)');
  let file: H5File;
  try {
    file = new h5.File(path, 'r');
  } catch (err) {
    throw problem(source, `HDF5 could not open it (${hdf5Reason(err)})`);
  }
  if (file.file_id < 0n) throw problem(source, 'HDF5 could not open it');
  return file;
}

export function isGroup(entity: unknown): entity is H5Group {
  return typeof (entity as H5Group | null)?.keys === 'function';
}

export function isDataset(entity: unknown): entity is H5Dataset {
  return entity !== null && typeof entity === 'object' && 'shape' in entity && !isGroup(entity);
}

function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return undefined;
}

export function stringAttr(entity: H5Entity, name: string): string | undefined {
  const attr = entity.attrs[name];
  if (!attr) return undefined;
  const v = attr.value;
  return asString(Array.isArray(v) && v.length === 1 ? v[0] : v);
}

/** A list-of-strings attribute, also when Keras split it into `name0`, `name1`, ... (over 64 KiB). */
export function stringListAttr(entity: H5Entity, name: string): string[] | undefined {
  const attrs = entity.attrs;
  const chunks: unknown[] = [];
  if (attrs[name]) chunks.push(attrs[name].value);
  else for (let i = 0; attrs[`${name}${i}`]; i++) chunks.push(attrs[`${name}${i}`].value);
  if (chunks.length === 0) return undefined;
  return chunks.flatMap((c) => (Array.isArray(c) ? c : [c])).map((s) => asString(s) ?? String(s));
}

const H5T_FLOAT = 1;

/** A dataset's values as float32 (float16 by bit conversion, float64 and integers by value). */
export function datasetFloats(ds: H5Dataset, where: string, source: string): Float32Array {
  let raw: unknown;
  try {
    raw = ds.value;
  } catch (err) {
    throw problem(source, `cannot read ${where} (${hdf5Reason(err)})`);
  }
  if (raw instanceof Float32Array) return raw;
  if (ds.metadata.type === H5T_FLOAT && ds.metadata.size === 2 && raw instanceof Uint16Array)
    return Float32Array.from(raw, float16ToFloat32);
  if (raw instanceof BigInt64Array || raw instanceof BigUint64Array) return Float32Array.from(raw, (b) => Number(b));
  if (ArrayBuffer.isView(raw) && !(raw instanceof DataView))
    return Float32Array.from(raw as unknown as ArrayLike<number>);
  if (typeof raw === 'number') return Float32Array.of(raw);
  // a scalar int64 (Keras's Normalization `count`) reads as a bigint
  if (typeof raw === 'bigint') return Float32Array.of(Number(raw));
  throw problem(source, `${where} does not hold numbers`);
}
