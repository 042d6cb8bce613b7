// Helpers that write small PNG, JPEG and CSV fixtures into a temp folder for the data tests.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { encode as encodeJpeg } from 'jpeg-js';

export type Rgba = [number, number, number, number];
export type PixelFn = (x: number, y: number) => Rgba;

export function gray(value: number): Rgba {
  return [value, value, value, 255];
}

function rgbaPixels(width: number, height: number, pixel: PixelFn): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  }
  return data;
}

/** colorType 0 = gray, 2 = RGB, 6 = RGBA. */
export function writePng(file: string, width: number, height: number, pixel: PixelFn, colorType: 0 | 2 | 6 = 6): void {
  const png = new PNG({ width, height });
  png.data = rgbaPixels(width, height, pixel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, PNG.sync.write(png, { colorType }));
}

export function writeJpeg(file: string, width: number, height: number, pixel: PixelFn): void {
  const encoded = encodeJpeg({ width, height, data: rgbaPixels(width, height, pixel) }, 100);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, encoded.data);
}

export function writeText(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export interface TempFolder {
  root: string;
  path(...parts: string[]): string;
  remove(): void;
}

export function tempFolder(): TempFolder {
  const root = mkdtempSync(path.join(tmpdir(), 'deepend-data-'));
  return {
    root,
    path: (...parts) => path.join(root, ...parts),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
