/** What one predict request was answered with, kept so that a later :feedback can be scored. */
export interface LoggedPrediction {
  version: number;
  classes: number[];
  /** Its labels came (POST :feedback): a second time would count them twice. */
  labelled?: boolean;
}

/** Requests kept at most, and their instances at most (a request may hold up to maxInstances of them). */
export const LOG_REQUESTS = 10_000;
export const LOG_INSTANCES = 100_000;

const EMPTY = -1;

/**
 * Two independent 32-bit hashes of a request id (FNV-1a and a multiply-xorshift), read as one 64-bit key: among
 * the 10,000 ids the log holds, two share a key with a probability near 10^8 / 2^65, so the id itself is not kept.
 */
function idHash(id: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = Math.imul(b ^ (b >>> 13), 0x5bd1e995);
  return [a >>> 0, (b ^ (b >>> 15)) >>> 0];
}

/**
 * The last predict answers by request id, within LOG_REQUESTS requests and LOG_INSTANCES instances; the oldest
 * drop out first. Every figure lives in typed arrays allocated with the first answer (about 0.7 MB at the default
 * bounds), so serving memory does not creep while the log fills: a Map of ids and objects grew about 200 bytes a
 * request until 10,000 requests (issue 11's soak, where it was most of the heap's growth).
 *
 * Answers sit in a ring in arrival order (their classes in a second ring); an open-addressing table (linear
 * probing, backward-shift deletion) maps an id's 64-bit hash to its ring position. An id recorded again leaves a
 * dead entry behind, which keeps its room until it is the oldest.
 */
export class PredictionLog {
  private keys = new Uint32Array(0); // per ring entry: the id's two hashes
  private versions = new Int32Array(0);
  private classStart = new Int32Array(0);
  private classCount = new Int32Array(0);
  private flags = new Uint8Array(0); // 1 live, 2 labelled
  private classes = new Int32Array(0);
  private table = new Int32Array(0); // ring positions, EMPTY where free
  private head = 0; // oldest ring entry
  private used = 0; // ring entries, dead ones included
  private live = 0;
  private classHead = 0;
  private classUsed = 0;

  constructor(
    readonly capacity = LOG_REQUESTS,
    readonly instanceCapacity = LOG_INSTANCES,
  ) {}

  record(requestId: string, entry: LoggedPrediction): void {
    const n = entry.classes.length;
    if (n > this.instanceCapacity || this.capacity === 0) return;
    this.allocate();
    const key = idHash(requestId);
    this.kill(this.find(key));
    while (this.used >= this.capacity || this.classUsed + n > this.instanceCapacity) this.dropOldest();
    const at = (this.head + this.used) % this.capacity;
    const start = (this.classHead + this.classUsed) % this.instanceCapacity;
    for (let i = 0; i < n; i++) this.classes[(start + i) % this.instanceCapacity] = entry.classes[i];
    this.keys[2 * at] = key[0];
    this.keys[2 * at + 1] = key[1];
    this.versions[at] = entry.version;
    this.classStart[at] = start;
    this.classCount[at] = n;
    this.flags[at] = entry.labelled ? 3 : 1;
    this.used++;
    this.live++;
    this.classUsed += n;
    this.insert(at);
  }

  has(requestId: string): boolean {
    return this.find(idHash(requestId)) !== EMPTY;
  }

  /** A copy of what the request was answered with; change it through markLabelled. */
  get(requestId: string): LoggedPrediction | undefined {
    const at = this.find(idHash(requestId));
    if (at === EMPTY) return undefined;
    const classes: number[] = [];
    for (let i = 0; i < this.classCount[at]; i++)
      classes.push(this.classes[(this.classStart[at] + i) % this.instanceCapacity]);
    return { version: this.versions[at], classes, labelled: (this.flags[at] & 2) !== 0 };
  }

  /** Records that the request's labels came; false when it is no longer in the log. */
  markLabelled(requestId: string): boolean {
    const at = this.find(idHash(requestId));
    if (at === EMPTY) return false;
    this.flags[at] |= 2;
    return true;
  }

  get size(): number {
    return this.live;
  }

  private allocate(): void {
    if (this.versions.length > 0) return;
    const cap = this.capacity;
    this.keys = new Uint32Array(2 * cap);
    this.versions = new Int32Array(cap);
    this.classStart = new Int32Array(cap);
    this.classCount = new Int32Array(cap);
    this.flags = new Uint8Array(cap);
    this.classes = new Int32Array(this.instanceCapacity);
    let size = 1;
    while (size < 2 * cap) size *= 2; // at most half full: short probe runs
    this.table = new Int32Array(size).fill(EMPTY);
  }

  private home(at: number): number {
    return this.keys[2 * at] & (this.table.length - 1);
  }

  /** The ring position of the live entry with this key, or EMPTY. */
  private find(key: [number, number]): number {
    if (this.table.length === 0) return EMPTY;
    const mask = this.table.length - 1;
    for (let i = key[0] & mask; ; i = (i + 1) & mask) {
      const at = this.table[i];
      if (at === EMPTY) return EMPTY;
      if (this.keys[2 * at] === key[0] && this.keys[2 * at + 1] === key[1]) return at;
    }
  }

  private insert(at: number): void {
    const mask = this.table.length - 1;
    let i = this.home(at);
    while (this.table[i] !== EMPTY) i = (i + 1) & mask;
    this.table[i] = at;
  }

  /** Takes a live entry out of the table; its ring room stays until it is the oldest. */
  private kill(at: number): void {
    if (at === EMPTY) return;
    const mask = this.table.length - 1;
    let i = this.home(at);
    while (this.table[i] !== at) i = (i + 1) & mask;
    // backward-shift deletion: pull later entries of the probe run into the hole when their home allows it
    for (let j = (i + 1) & mask; this.table[j] !== EMPTY; j = (j + 1) & mask) {
      const h = this.home(this.table[j]);
      if (((j - h) & mask) >= ((j - i) & mask)) {
        this.table[i] = this.table[j];
        i = j;
      }
    }
    this.table[i] = EMPTY;
    this.flags[at] = 0;
    this.live--;
  }

  private dropOldest(): void {
    const at = this.head;
    if (this.flags[at] !== 0) this.kill(at);
    this.classHead = (this.classHead + this.classCount[at]) % this.instanceCapacity;
    this.classUsed -= this.classCount[at];
    this.head = (this.head + 1) % this.capacity;
    this.used--;
  }
}
