// Two seeded data sets for bench:growth that nobody tuned deepend for: a folder of pictures of shapes and a CSV
// table. Both are hard enough that a shallow model stays well below a deeper one.
import { mulberry32 } from '../../src/data/random';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

function gaussOf(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

export const SHAPES = ['circle', 'ring', 'square', 'triangle', 'cross'] as const;
type Shape = (typeof SHAPES)[number];
const SIDE = 32;

function inTriangle(u: number, v: number, r: number): boolean {
  // an equilateral triangle with circumradius r, pointing up in (u, v)
  const corners = [0, 1, 2].map((k) => [r * Math.sin((2 * Math.PI * k) / 3), -r * Math.cos((2 * Math.PI * k) / 3)]);
  const side = (a: number[], b: number[]) => (b[0] - a[0]) * (v - a[1]) - (b[1] - a[1]) * (u - a[0]);
  const s = [side(corners[0], corners[1]), side(corners[1], corners[2]), side(corners[2], corners[0])];
  return s.every((x) => x >= 0) || s.every((x) => x <= 0);
}

function inside(shape: Shape, u: number, v: number, r: number): boolean {
  const d = Math.hypot(u, v);
  switch (shape) {
    case 'circle':
      return d < r;
    case 'ring':
      return d < r && d > r * 0.55;
    case 'square':
      return Math.abs(u) < r * 0.75 && Math.abs(v) < r * 0.75;
    case 'triangle':
      return inTriangle(u, v, r);
    case 'cross':
      return (Math.abs(u) < r * 0.3 && Math.abs(v) < r) || (Math.abs(v) < r * 0.3 && Math.abs(u) < r);
  }
}

/** One grey picture: a shape of random size, place, angle and contrast, over noise and a distracting bar. */
function shapePicture(shape: Shape, random: () => number): Uint8Array {
  const gauss = gaussOf(random);
  const r = 6 + random() * 8;
  const cx = r + random() * (SIDE - 2 * r);
  const cy = r + random() * (SIDE - 2 * r);
  const angle = random() * 2 * Math.PI;
  const background = random() * 110;
  const foreground = background + 70 + random() * 75;
  const bar = { x: random() * SIDE, angle: random() * Math.PI, level: background + (random() - 0.3) * 90 };
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const pixels = new Uint8Array(SIDE * SIDE);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = dx * cos + dy * sin;
      const v = -dx * sin + dy * cos;
      const onBar = Math.abs((x - bar.x) * Math.sin(bar.angle) - (y - SIDE / 2) * Math.cos(bar.angle)) < 1;
      let level = onBar ? bar.level : background;
      if (inside(shape, u, v, r)) level = foreground;
      pixels[y * SIDE + x] = Math.max(0, Math.min(255, Math.round(level + gauss() * 18)));
    }
  }
  return pixels;
}

function writeGreyPng(path: string, pixels: Uint8Array): void {
  const png = new PNG({ width: SIDE, height: SIDE });
  for (let p = 0; p < SIDE * SIDE; p++) {
    png.data[p * 4] = png.data[p * 4 + 1] = png.data[p * 4 + 2] = pixels[p];
    png.data[p * 4 + 3] = 255;
  }
  writeFileSync(path, PNG.sync.write(png));
}

/** A folder of `perClass` 32x32 grey PNGs in each of the five shape classes' folders (written once per dir). */
export function writeShapesFolder(dir: string, perClass = 900, seed = 11): string {
  if (existsSync(join(dir, 'done'))) return dir;
  const random = mulberry32(seed);
  for (const shape of SHAPES) {
    mkdirSync(join(dir, shape), { recursive: true });
    for (let i = 0; i < perClass; i++) writeGreyPng(join(dir, shape, `${i}.png`), shapePicture(shape, random));
  }
  writeFileSync(join(dir, 'done'), '');
  return dir;
}

/**
 * A four-class table of 12 features: the class is the sign of x0*x1 (an XOR) and whether (x2, x3) lies outside the
 * median circle; x4..x7 are noisy mixtures of x0..x3, x8..x11 noise; 3% of the labels are flipped.
 */
export function writeTabularCsv(path: string, rows = 6000, seed = 5): string {
  if (existsSync(path)) return path;
  const random = mulberry32(seed);
  const gauss = gaussOf(random);
  const names = ['quadrant_odd', 'quadrant_odd_far', 'quadrant_even', 'quadrant_even_far'];
  const lines = [[...Array.from({ length: 12 }, (_, i) => `x${i}`), 'label'].join(',')];
  for (let i = 0; i < rows; i++) {
    const x = Array.from({ length: 4 }, gauss);
    const mixed = [x[0] + x[2], x[1] - x[3], x[0] * 0.5 + gauss(), x[3] + gauss() * 0.5];
    const noise = Array.from({ length: 4 }, gauss);
    let label = (x[0] * x[1] > 0 ? 0 : 2) + (x[2] ** 2 + x[3] ** 2 > 2 * Math.LN2 ? 1 : 0);
    if (random() < 0.03) label = Math.floor(random() * 4);
    lines.push([...x, ...mixed, ...noise].map((f) => f.toFixed(4)).join(',') + `,${names[label]}`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}
