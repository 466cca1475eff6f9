/**
 * Mergeable distinct-visitor sketches.
 *
 * A sketch is exact while it holds at most EXACT_LIMIT distinct visitors: it
 * stores each visitor's 53-bit hash with a signed reference count, so
 * contributions can be retracted exactly when a late event moves a session
 * to another key. A count may go negative in one shard's row while the
 * matching +1 sits in another shard's row (compaction merged it there): a
 * bucket's counts summed over its rows are never negative, so a range counts
 * a visitor when the sum of its counts over every row is positive.
 * Past the limit it becomes a HyperLogLog with 2^14 registers (standard error
 * about 0.8%), estimated with Ertl's improved raw estimator, which needs no
 * empirical bias tables. Retractions on a HyperLogLog are ignored: above a
 * thousand visitors the figure is an estimate anyway.
 */

export const EXACT_LIMIT = 1_000;
const PRECISION = 14;
const REGISTERS = 1 << PRECISION;
/** Visitor hashes are 48-bit: six bytes each in a stored sketch. */
const HASH_BITS = 48;
/** Hash bits left for the rank after the register index. */
const RANK_BITS = HASH_BITS - PRECISION;

const TAG_EXACT = 1;
/** HyperLogLog, one byte per register (written by earlier versions; still read). */
const TAG_HLL = 2;
/** HyperLogLog, a nibble per register, with the rare registers above 14 listed after. */
const TAG_HLL_NIBBLES = 3;
/** HyperLogLog with few registers set: (index, rank) triples. */
const TAG_HLL_SPARSE = 4;
/** Largest rank a nibble holds; a nibble of 15 says "see the list". */
const NIBBLE_MAX = 14;

export type Sketch =
  | { kind: "exact"; counts: Map<number, number> }
  | { kind: "hll"; registers: Uint8Array };

function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A well-mixed 48-bit hash of a visitor id (two seeded FNV-1a lanes). At
 * 1,000 visitors the chance of any collision is about 2 in a billion.
 */
export function hashVisitor(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  const hi = mix32(a ^ Math.imul(b, 0x27d4eb2d)) & 0xffff; // 16 bits
  const lo = mix32(b ^ a ^ id.length);
  return hi * 0x1_0000_0000 + lo;
}

export function emptySketch(): Sketch {
  return { kind: "exact", counts: new Map() };
}

function registerOf(hash: number): { index: number; rank: number } {
  const index = hash % REGISTERS;
  let rest = Math.floor(hash / REGISTERS);
  let rank = 1;
  // Rank = position of the lowest set bit of the remaining RANK_BITS bits.
  while (rank <= RANK_BITS && (rest & 1) === 0) {
    rest = Math.floor(rest / 2);
    rank++;
  }
  return { index, rank };
}

/** A HyperLogLog of the visitors whose count is positive. */
function toHll(counts: Map<number, number>): Uint8Array {
  const registers = new Uint8Array(REGISTERS);
  for (const [hash, count] of counts)
    if (count > 0) addHashToRegisters(registers, hash);
  return registers;
}

function addHashToRegisters(registers: Uint8Array, hash: number): void {
  const { index, rank } = registerOf(hash);
  if (registers[index] < rank) registers[index] = rank;
}

/** Adds `delta` references of visitor `hash` (negative retracts). Mutates. */
export function addToSketch(
  sketch: Sketch,
  hash: number,
  delta: number,
): Sketch {
  if (sketch.kind === "hll") {
    if (delta > 0) addHashToRegisters(sketch.registers, hash);
    return sketch;
  }
  const next = (sketch.counts.get(hash) ?? 0) + delta;
  if (next !== 0) sketch.counts.set(hash, next);
  else sketch.counts.delete(hash);
  if (sketch.counts.size > EXACT_LIMIT) {
    return { kind: "hll", registers: toHll(sketch.counts) };
  }
  return sketch;
}

/**
 * Accumulates sketches for a distinct count over many buckets. It stays exact
 * (summed counts, unbounded in memory) until any input is a HyperLogLog.
 */
export class DistinctCounter {
  private exact: Map<number, number> | null = new Map();
  private registers: Uint8Array | null = null;

  add(sketch: Sketch): void {
    if (sketch.kind === "exact") {
      for (const [hash, count] of sketch.counts) this.addHash(hash, count);
      return;
    }
    this.switchToHll();
    const regs = this.registers!;
    for (let i = 0; i < REGISTERS; i++)
      if (regs[i] < sketch.registers[i]) regs[i] = sketch.registers[i];
  }

  addHash(hash: number, count = 1): void {
    if (this.exact) this.exact.set(hash, (this.exact.get(hash) ?? 0) + count);
    else if (count > 0) addHashToRegisters(this.registers!, hash);
  }

  private switchToHll(): void {
    if (this.registers) return;
    this.registers = toHll(this.exact!);
    this.exact = null;
  }

  count(): number {
    if (this.exact) return countPositive(this.exact);
    return Math.round(estimateHll(this.registers!));
  }

  /**
   * Everything added, as one sketch that can be merged again elsewhere (the
   * dashboard merges a range's settled and live parts). Signed counts are
   * kept while exact, so a retraction in one part still cancels the other's.
   */
  toSketch(): Sketch {
    if (this.registers)
      return { kind: "hll", registers: this.registers.slice() };
    const counts = new Map<number, number>();
    for (const [hash, count] of this.exact!)
      if (count !== 0) counts.set(hash, count);
    return countPositive(counts) > EXACT_LIMIT
      ? { kind: "hll", registers: toHll(counts) }
      : { kind: "exact", counts };
  }
}

function countPositive(counts: Map<number, number>): number {
  let n = 0;
  for (const count of counts.values()) if (count > 0) n++;
  return n;
}

export function sketchCardinality(sketch: Sketch): number {
  if (sketch.kind === "exact") return countPositive(sketch.counts);
  return Math.round(estimateHll(sketch.registers));
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const previous = z;
    z += x * y;
    y += y;
    if (z === previous) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const previous = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === previous) return z / 3;
  }
}

/** Ertl (2017), "New cardinality estimation algorithms for HyperLogLog sketches". */
export function estimateHll(registers: Uint8Array): number {
  const histogram = new Array<number>(RANK_BITS + 2).fill(0);
  for (const r of registers) histogram[r]++;
  const m = registers.length;
  let z = m * tau(1 - histogram[RANK_BITS + 1] / m);
  for (let k = RANK_BITS; k >= 1; k--) z = 0.5 * (z + histogram[k]);
  z += m * sigma(histogram[0] / m);
  return (m * m) / (2 * Math.LN2 * z);
}

// ------------------------------------------------------------ encoding

/**
 * Stored form. Exact: a tag byte, then per visitor its 48-bit hash (6 bytes)
 * and its signed reference count as a zigzag varint (1 byte for counts from
 * -64 to 63): about 7 bytes a visitor. HyperLogLog: whichever is smaller of
 * a sparse list of set registers (3 bytes each) and the registers as
 * nibbles (8 KiB) plus a list of the few above 14. Sketches are most of what
 * a top list reads, so every byte here is read many times.
 */
export function encodeSketch(sketch: Sketch): ArrayBuffer {
  if (sketch.kind === "hll") return encodeHll(sketch.registers);
  const bytes: number[] = [TAG_EXACT];
  for (const [hash, count] of sketch.counts) {
    const hi = Math.floor(hash / 0x1_0000_0000);
    const lo = hash >>> 0;
    bytes.push(
      hi >>> 8,
      hi & 0xff,
      lo >>> 24,
      (lo >>> 16) & 0xff,
      (lo >>> 8) & 0xff,
      lo & 0xff,
    );
    let zigzag = count >= 0 ? count * 2 : -count * 2 - 1;
    while (zigzag >= 0x80) {
      bytes.push((zigzag & 0x7f) | 0x80);
      zigzag = Math.floor(zigzag / 128);
    }
    bytes.push(zigzag);
  }
  return new Uint8Array(bytes).buffer;
}

function encodeHll(registers: Uint8Array): ArrayBuffer {
  let set = 0;
  let high = 0;
  for (const r of registers) {
    if (r > 0) set++;
    if (r > NIBBLE_MAX) high++;
  }
  if (3 * set < REGISTERS / 2 + 3 * high) {
    const out = new Uint8Array(1 + 3 * set);
    out[0] = TAG_HLL_SPARSE;
    let at = 1;
    registers.forEach((r, i) => {
      if (r === 0) return;
      out[at++] = i >>> 8;
      out[at++] = i & 0xff;
      out[at++] = r;
    });
    return out.buffer;
  }
  const out = new Uint8Array(1 + REGISTERS / 2 + 3 * high);
  out[0] = TAG_HLL_NIBBLES;
  let at = 1 + REGISTERS / 2;
  registers.forEach((r, i) => {
    const nibble = Math.min(r, NIBBLE_MAX + 1);
    out[1 + (i >>> 1)] |= i & 1 ? nibble << 4 : nibble;
    if (r > NIBBLE_MAX) {
      out[at++] = i >>> 8;
      out[at++] = i & 0xff;
      out[at++] = r;
    }
  });
  return out.buffer;
}

function decodeHll(b: Uint8Array): Sketch {
  const registers = new Uint8Array(REGISTERS);
  let at = 1;
  if (b[0] === TAG_HLL_NIBBLES) {
    for (let i = 0; i < REGISTERS; i++)
      registers[i] = (b[1 + (i >>> 1)] >>> (i & 1 ? 4 : 0)) & 0x0f;
    at = 1 + REGISTERS / 2;
  }
  for (; at + 2 < b.length; at += 3)
    registers[(b[at] << 8) | b[at + 1]] = b[at + 2];
  return { kind: "hll", registers };
}

export function decodeSketch(buffer: ArrayBuffer): Sketch {
  if (buffer.byteLength === 0) return emptySketch();
  const b = new Uint8Array(buffer);
  if (b[0] === TAG_HLL) return { kind: "hll", registers: b.slice(1) };
  if (b[0] === TAG_HLL_NIBBLES || b[0] === TAG_HLL_SPARSE) return decodeHll(b);
  const counts = new Map<number, number>();
  let i = 1;
  while (i + 6 < b.length) {
    const hash =
      ((b[i] << 8) | b[i + 1]) * 0x1_0000_0000 +
      ((b[i + 2] << 24) >>> 0) +
      (b[i + 3] << 16) +
      (b[i + 4] << 8) +
      b[i + 5];
    i += 6;
    let zigzag = 0;
    let scale = 1;
    for (;;) {
      const byte = b[i++];
      zigzag += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 128;
    }
    counts.set(hash, zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2);
  }
  return { kind: "exact", counts };
}

/** Merges `other` into `target` (reference counts add). Returns the result. */
export function mergeSketchInto(target: Sketch, other: Sketch): Sketch {
  if (other.kind === "exact") {
    let result = target;
    for (const [hash, count] of other.counts)
      result = addToSketch(result, hash, count);
    return result;
  }
  const registers =
    target.kind === "hll" ? target.registers : toHll(target.counts);
  for (let i = 0; i < REGISTERS; i++)
    if (registers[i] < other.registers[i]) registers[i] = other.registers[i];
  return { kind: "hll", registers };
}

export function isEmptySketch(sketch: Sketch): boolean {
  return sketch.kind === "exact" && sketch.counts.size === 0;
}
