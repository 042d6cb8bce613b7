import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/*
 * Reads a SQLite write-ahead log the way SQLite's recovery does (header,
 * salts, cumulative checksums; https://www.sqlite.org/fileformat2.html#walformat)
 * to tell, before SQLite opens the database, whether recovery will throw away
 * committed transactions. SQLite drops a damaged WAL without a word.
 */

const HEADER = 32;
const FRAME_HEADER = 24;
const MAGIC_LE = 0x377f0682;
const MAGIC_BE = 0x377f0683;
const WAL_VERSION = 3007000;

function checksum(buf: Buffer, start: number, end: number, bigEndian: boolean, s: [number, number]): [number, number] {
  let [s1, s2] = s;
  for (let i = start; i < end; i += 8) {
    const a = bigEndian ? buf.readUInt32BE(i) : buf.readUInt32LE(i);
    const b = bigEndian ? buf.readUInt32BE(i + 4) : buf.readUInt32LE(i + 4);
    s1 = (s1 + a + s2) >>> 0;
    s2 = (s2 + b + s1) >>> 0;
  }
  return [s1, s2];
}

function readAll(path: string): Buffer {
  const size = statSync(path).size;
  const buf = Buffer.alloc(size);
  const fd = openSync(path, 'r');
  try {
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}

/**
 * Why SQLite will discard committed data from this WAL, or undefined when it
 * will not (no WAL, an empty one, a valid one, or one whose only damage is a
 * torn frame of a transaction that never committed). Damage is reported when
 * the header is not a valid WAL header, or when a commit frame of the current
 * generation (the header's salts) lies beyond the first frame that fails.
 */
export function walDamage(walPath: string): string | undefined {
  if (!existsSync(walPath)) return undefined;
  const buf = readAll(walPath);
  if (buf.length === 0) return undefined;
  const whole = `all ${buf.length} bytes of it were discarded`;
  if (buf.length < HEADER) return `it is shorter than a WAL header: ${whole}`;
  const magic = buf.readUInt32BE(0);
  if (magic !== MAGIC_LE && magic !== MAGIC_BE) return `its header is not a WAL header: ${whole}`;
  const bigEndian = magic === MAGIC_BE;
  const pageSize = buf.readUInt32BE(8);
  if (buf.readUInt32BE(4) !== WAL_VERSION || pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
    return `its header is damaged: ${whole}`;
  let s = checksum(buf, 0, 24, bigEndian, [0, 0]);
  if (s[0] !== buf.readUInt32BE(24) || s[1] !== buf.readUInt32BE(28)) return `its header checksum fails: ${whole}`;
  const salt1 = buf.readUInt32BE(16);
  const salt2 = buf.readUInt32BE(20);
  const frameSize = FRAME_HEADER + pageSize;
  let offset = HEADER;
  let valid = 0;
  for (; offset + frameSize <= buf.length; offset += frameSize, valid++) {
    if (buf.readUInt32BE(offset + 8) !== salt1 || buf.readUInt32BE(offset + 12) !== salt2) break;
    s = checksum(buf, offset, offset + 8, bigEndian, s);
    s = checksum(buf, offset + FRAME_HEADER, offset + frameSize, bigEndian, s);
    if (s[0] !== buf.readUInt32BE(offset + 16) || s[1] !== buf.readUInt32BE(offset + 20)) break;
  }
  const brokenAt = offset;
  for (let o = brokenAt + frameSize; o + frameSize <= buf.length; o += frameSize) {
    const current = buf.readUInt32BE(o + 8) === salt1 && buf.readUInt32BE(o + 12) === salt2;
    if (current && buf.readUInt32BE(o + 4) !== 0) {
      return `frame ${valid + 1} (byte ${brokenAt}) is damaged and committed transactions after it were discarded`;
    }
  }
  return undefined;
}
