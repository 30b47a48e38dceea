/**
 * The byte span ([offset, length]) of every line of graph.jsonl, as a long-lived holder (the
 * service's LiveGraph) keeps it while other writers change a few lines at a time.
 *
 * Replacing a line by one of another length moves every later line. Re-writing the offsets of
 * all later lines (a flat array) costs O(lines) per change: at 100k lines, ~1 ms warm but ~30 ms
 * on the first change after the service started (a 200k-iteration loop that V8 has not compiled
 * yet), which was most of a tick after one `wg log`. Here a change costs O(log lines): the
 * length changes since the last compaction sit in a Fenwick tree, and a line's offset is its
 * stored offset plus the changes before it. Appends go into spare capacity (O(1)); only running
 * out of it compacts (O(lines), amortized by growing the capacity by a quarter).
 *
 * `flat()` gives the plain array GraphIndex carries (for the write path, which streams the
 * whole file anyway).
 */

export class LineSpans {
  /** [offset, length] per line; an offset still lacks the length changes of earlier lines held in `fen`. */
  private base: Uint32Array;
  /** 1-based Fenwick tree over the per-line length changes since the last compaction. */
  private fen: Float64Array;
  private dirty = false;
  private n: number;
  /** Passes over every line so far (compactions, growth): the tests check that a change causes none. */
  rebuilds = 0;

  /** `spans`: flat [offset, length] pairs of `n` lines (copied; the caller keeps its array). */
  constructor(spans: Uint32Array, n: number = spans.length / 2) {
    this.n = n;
    const cap = capacityFor(n);
    this.base = new Uint32Array(2 * cap);
    this.base.set(spans.subarray(0, 2 * n));
    this.fen = new Float64Array(cap + 1);
  }

  get length(): number {
    return this.n;
  }

  offset(i: number): number {
    return this.base[2 * i]! + this.before(i);
  }

  len(i: number): number {
    return this.base[2 * i + 1]!;
  }

  /** Where line `i` ends (its newline, or the end of the file for an unterminated last line). */
  end(i: number): number {
    return this.offset(i) + this.len(i);
  }

  /** Line `i` now has `len` bytes: every later line moves by the difference. O(log lines). */
  replace(i: number, len: number): void {
    if (i < 0 || i >= this.n) throw new RangeError(`line ${i} of ${this.n}`);
    const d = len - this.base[2 * i + 1]!;
    if (d === 0) return;
    this.base[2 * i + 1] = len;
    // The change counts for the lines after i: added at position i + 1 (1-based: i + 2).
    for (let k = i + 2; k < this.fen.length; k += k & -k) this.fen[k] = this.fen[k]! + d;
    this.dirty = true;
  }

  /** A new last line at byte `offset` of `len` bytes. O(1) amortized. */
  append(offset: number, len: number): void {
    if (this.n === this.fen.length - 1) this.grow();
    const i = this.n++;
    this.base[2 * i] = offset - this.before(i);
    this.base[2 * i + 1] = len;
  }

  /** The plain [offset, length] array of the current lines (a fresh copy). O(lines). */
  flat(): Uint32Array {
    this.compact();
    return this.base.slice(0, 2 * this.n);
  }

  /** The sum of the length changes of lines before `i`. */
  private before(i: number): number {
    if (!this.dirty) return 0;
    let s = 0;
    for (let k = i + 1; k > 0; k -= k & -k) s += this.fen[k]!;
    return s;
  }

  /** Folds the pending length changes into the offsets (one pass) and empties the tree. */
  private compact(): void {
    if (!this.dirty) return;
    const fen = this.fen;
    // The tree's point values (per-position changes) in place, in O(lines): undo the build.
    for (let k = fen.length - 1; k > 0; k--) {
      const up = k + (k & -k);
      if (up < fen.length) fen[up] = fen[up]! - fen[k]!;
    }
    let shift = 0;
    for (let i = 0; i < this.n; i++) {
      shift += fen[i + 1]!;
      this.base[2 * i] = this.base[2 * i]! + shift;
    }
    fen.fill(0);
    this.dirty = false;
    this.rebuilds++;
  }

  private grow(): void {
    this.compact();
    const cap = capacityFor(this.n + 1);
    const base = new Uint32Array(2 * cap);
    base.set(this.base.subarray(0, 2 * this.n));
    this.base = base;
    this.fen = new Float64Array(cap + 1);
    this.rebuilds++;
  }
}

/** Room for a quarter more lines (at least 1024) before the next compaction. */
const capacityFor = (n: number): number => n + Math.max(1024, n >> 2);
