/**
 * A Map from prefix key to value for the 1M-entry tables (Loc-RIB, Adj-RIB-Out): numeric keys
 * (IPv4, prefix-key.ts) in typed arrays, open addressing with linear probing and backward-shift
 * deletion, so lookups touch two arrays and churn never rehashes the table; string keys (IPv6) in
 * a plain Map. Values live in slots that keep their number while the entry lives; a deleted
 * entry's slot is reused. Iteration (slot order, then the strings) tolerates changes in between.
 * Not the routing data itself: only where it is kept.
 */
import type { PrefixKey } from './prefix-key.js';

const EMPTY = 0;
const MIN_INDEX = 16;

/** A 32-bit mix of a numeric key (IPv4 keys above 2^30 fold their high part in). */
const mix = (k: number): number =>
  k < 1073741824 ? k : (k >>> 0) ^ Math.imul((k / 4294967296) | 0, 0x85ebca6b);

export class PrefixTable<V> implements Map<PrefixKey, V> {
  /** Key of each slot. */
  private slotKeys = new Float64Array(MIN_INDEX);
  /** Value of each slot; undefined for a free one. */
  private readonly vals: (V | undefined)[] = [];
  /** Hash position → slot + 1 (0: empty); at most half full. */
  private index = new Int32Array(MIN_INDEX);
  private shift = 32 - Math.log2(MIN_INDEX);
  private readonly freeSlots: number[] = [];
  /** Slots handed out so far (the free ones below it included). */
  private used = 0;
  private count = 0;
  private readonly strings = new Map<string, V>();

  get size(): number {
    return this.count + this.strings.size;
  }

  get [Symbol.toStringTag](): string {
    return 'PrefixTable';
  }

  private home(k: number): number {
    return Math.imul(mix(k), 0x9e3779b1) >>> this.shift;
  }

  /** The index position holding `k`, or -1 - the empty position where it would go. */
  private find(k: number): number {
    const index = this.index;
    const keys = this.slotKeys;
    const mask = index.length - 1;
    let i = this.home(k);
    for (;;) {
      const s = index[i];
      if (s === EMPTY) return -1 - i;
      if (keys[s - 1] === k) return i;
      i = (i + 1) & mask;
    }
  }

  get(key: PrefixKey): V | undefined {
    if (typeof key === 'string') return this.strings.get(key);
    const i = this.find(key);
    return i < 0 ? undefined : this.vals[this.index[i] - 1];
  }

  has(key: PrefixKey): boolean {
    if (typeof key === 'string') return this.strings.has(key);
    return this.find(key) >= 0;
  }

  set(key: PrefixKey, value: V): this {
    if (typeof key === 'string') {
      this.strings.set(key, value);
      return this;
    }
    let i = this.find(key);
    if (i >= 0) {
      this.vals[this.index[i] - 1] = value;
      return this;
    }
    if ((this.count + 1) * 2 > this.index.length) {
      this.grow();
      i = this.find(key);
    }
    const s = this.freeSlots.length ? (this.freeSlots.pop() as number) : this.used++;
    if (s >= this.slotKeys.length) {
      const k = new Float64Array(this.slotKeys.length * 2);
      k.set(this.slotKeys);
      this.slotKeys = k;
    }
    this.slotKeys[s] = key;
    if (s === this.vals.length) this.vals.push(value);
    else this.vals[s] = value;
    this.index[-1 - i] = s + 1;
    this.count++;
    return this;
  }

  delete(key: PrefixKey): boolean {
    if (typeof key === 'string') return this.strings.delete(key);
    let i = this.find(key);
    if (i < 0) return false;
    const index = this.index;
    const mask = index.length - 1;
    const s = index[i] - 1;
    this.vals[s] = undefined;
    this.freeSlots.push(s);
    this.count--;
    // Backward shift: entries after the hole that may move into it do, so probes stay unbroken.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const t = index[j];
      if (t === EMPTY) break;
      const h = this.home(this.slotKeys[t - 1]);
      if (((j - h) & mask) >= ((j - i) & mask)) {
        index[i] = t;
        i = j;
      }
    }
    index[i] = EMPTY;
    return true;
  }

  clear(): void {
    this.slotKeys = new Float64Array(MIN_INDEX);
    this.vals.length = 0;
    this.index = new Int32Array(MIN_INDEX);
    this.shift = 32 - Math.log2(MIN_INDEX);
    this.freeSlots.length = 0;
    this.used = 0;
    this.count = 0;
    this.strings.clear();
  }

  /** Doubles the index (slots stay where they are). */
  private grow(): void {
    const old = this.index;
    const index = new Int32Array(old.length * 2);
    this.index = index;
    this.shift--;
    const mask = index.length - 1;
    for (let j = 0; j < old.length; j++) {
      const s = old[j];
      if (s === EMPTY) continue;
      let i = this.home(this.slotKeys[s - 1]);
      while (index[i] !== EMPTY) i = (i + 1) & mask;
      index[i] = s;
    }
  }

  *entries(): MapIterator<[PrefixKey, V]> {
    for (let s = 0; s < this.used; s++) {
      const v = this.vals[s];
      if (v !== undefined) yield [this.slotKeys[s], v];
    }
    yield* this.strings.entries();
  }

  *keys(): MapIterator<PrefixKey> {
    for (let s = 0; s < this.used; s++) if (this.vals[s] !== undefined) yield this.slotKeys[s];
    yield* this.strings.keys();
  }

  *values(): MapIterator<V> {
    for (let s = 0; s < this.used; s++) {
      const v = this.vals[s];
      if (v !== undefined) yield v;
    }
    yield* this.strings.values();
  }

  [Symbol.iterator](): MapIterator<[PrefixKey, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: PrefixKey, map: Map<PrefixKey, V>) => void, self?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(self, v, k, this);
  }
}
