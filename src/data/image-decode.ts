import { PNG } from 'pngjs';
import { decode as decodeJpeg } from 'jpeg-js';
import { DataError } from './errors';

export interface DecodedImage {
  width: number;
  height: number;
  /** 8-bit RGBA, row-major. */
  rgba: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

function startsWith(bytes: Uint8Array, signature: number[]): boolean {
  return signature.every((byte, i) => bytes[i] === byte);
}

/** The format the bytes say they are (by signature), or undefined. */
function formatOf(bytes: Uint8Array): 'PNG' | 'JPEG' | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'PNG';
  if (startsWith(bytes, JPEG_SIGNATURE)) return 'JPEG';
  return undefined;
}

/**
 * What went wrong, in words: pngjs says a file cut short is "There are some read requests waitng on finished
 * stream" and most damage "unrecognised content at end of stream"; the decoders' own words follow a colon.
 */
function decodeFailure(format: 'PNG' | 'JPEG', message: string): string {
  if (/read requests waitng on finished stream/i.test(message)) return `the ${format} file ends before its image does`;
  return message ? `corrupt ${format} data: ${message}` : `corrupt ${format} data`;
}

/** Decodes by content, not by file name, so a mislabelled .jpg that is a PNG still loads. */
export function decodeImage(path: string, bytes: Uint8Array): DecodedImage {
  const format = formatOf(bytes);
  if (format === undefined) throw new DataError(path, 'cannot decode image (not a PNG or JPEG file)');
  let decoded: DecodedImage;
  try {
    if (format === 'PNG') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      decoded = { width: png.width, height: png.height, rgba: png.data };
    } else {
      const jpeg = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true });
      decoded = { width: jpeg.width, height: jpeg.height, rgba: jpeg.data };
    }
  } catch (error) {
    throw new DataError(path, `cannot decode image (${decodeFailure(format, (error as Error).message)})`);
  }
  if (!(decoded.width > 0 && decoded.height > 0) || decoded.rgba.length < decoded.width * decoded.height * 4) {
    throw new DataError(path, 'cannot decode image (no pixel data)');
  }
  return decoded;
}
