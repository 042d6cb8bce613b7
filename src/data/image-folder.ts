import { type Dirent, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Dataset, LoadOptions } from './types';
import { DataError } from './errors';
import { classQuotas, classRemap, sortClassNames } from './classes';
import { decodeImage, type DecodedImage } from './image-decode';
import { isGrayscale, toChannels } from './image-pixels';
import { resizeImage } from './image-resize';
import { imageShapeOf } from './image-shape';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

interface ClassFiles {
  name: string;
  files: string[];
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/** Names of the folder's sub-folders or files, following symbolic links (datasets are often linked in). */
async function listEntries(folder: string, want: 'folders' | 'files'): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(folder, { withFileTypes: true });
  } catch (error) {
    throw new DataError(folder, `cannot list folder (${errorCode(error)})`);
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    let isFolder = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await fs.stat(path.join(folder, entry.name)).catch(() => undefined);
      isFolder = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (want === 'folders' ? isFolder : isFile) names.push(entry.name);
  }
  return names;
}

async function listClassFolders(folder: string): Promise<ClassFiles[]> {
  const names = sortClassNames(await listEntries(folder, 'folders'));
  if (names.length === 0)
    throw new DataError(folder, 'no class sub-folders (expected one sub-folder of images per class)');
  const classes: ClassFiles[] = [];
  for (const name of names) {
    const classFolder = path.join(folder, name);
    const files = (await listEntries(classFolder, 'files'))
      .filter((file) => IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase()))
      .sort()
      .map((file) => path.join(classFolder, file));
    if (files.length === 0) throw new DataError(classFolder, 'class folder has no PNG or JPEG images');
    classes.push({ name, files });
  }
  return classes;
}

async function readImage(file: string): Promise<DecodedImage> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    throw new DataError(file, `cannot read image (${errorCode(error)})`);
  }
  return decodeImage(file, bytes);
}

/**
 * Loads a folder with one sub-folder of PNG/JPEG images per class. Images are
 * converted to [0, 1] floats and resized to options.inputShape; without it, to
 * the first image's size, gray when every image is gray and RGB otherwise.
 */
export async function loadImageFolder(folder: string, options: LoadOptions): Promise<Dataset> {
  const classFiles = await listClassFolders(folder);
  const dataClasses = classFiles.map((c) => c.name);
  const target = options.inputShape ? imageShapeOf(folder, options.inputShape) : undefined;
  const remap = options.classes ? classRemap(folder, dataClasses, options.classes) : undefined;

  const quotas = classQuotas(
    classFiles.map((c) => c.files.length),
    options.limit,
  );
  const chosen = classFiles.flatMap((c, id) => c.files.slice(0, quotas[id]).map((file) => ({ file, id })));
  if (chosen.length === 0) throw new DataError(folder, 'no images to load');

  const first = await readImage(chosen[0].file);
  const height = target?.height ?? first.height;
  const width = target?.width ?? first.width;
  // Without a target, images stay RGB until every one is known to be gray.
  const channels = target?.channels ?? 3;
  const sampleSize = height * width * channels;
  const x = new Float32Array(chosen.length * sampleSize);
  const y = new Int32Array(chosen.length);
  let allGray = true;

  for (let i = 0; i < chosen.length; i++) {
    const image = i === 0 ? first : await readImage(chosen[i].file);
    if (!target && allGray) allGray = isGrayscale(image);
    resizeImage(toChannels(image, channels), image.height, image.width, channels, height, width, x, i * sampleSize);
    y[i] = remap ? remap[chosen[i].id] : chosen[i].id;
  }

  const gray = !target && allGray;
  return {
    source: folder,
    kind: 'image',
    inputShape: [height, width, gray ? 1 : channels],
    classes: options.classes ? [...options.classes] : dataClasses,
    x: gray ? keepFirstChannel(x, 3) : x,
    y,
    count: chosen.length,
  };
}

function keepFirstChannel(interleaved: Float32Array, channels: number): Float32Array {
  const out = new Float32Array(interleaved.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = interleaved[i * channels];
  return out;
}
