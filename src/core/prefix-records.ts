/**
 * The compact per-prefix summaries of the journal (issue 15 §1): one slot per prefix with a history,
 * held in typed-array columns (no object per prefix, no object per outage): first seen, last change,
 * flap and change counts, total outage time and the open outage per kind, and a small ring of the
 * last outage windows. Slots of forgotten prefixes are reused. Pure storage: prefix-history.ts
 * decides what to record.
 */
import type { PrefixKey } from '../rib/prefix-key.js';

export type OutageKind = 'no-best' | 'no-fib';
export const OUTAGE_KINDS: readonly OutageKind[] = ['no-best', 'no-fib'];
export const kindIndex = (k: OutageKind): 0 | 1 => (k === 'no-best' ? 0 : 1);

/** One outage window of a slot (times in journal ms; end null while it lasts). */
export interface OutageEntry {
  readonly kind: OutageKind;
  readonly start: number;
  readonly end: number | null;
}

export class PrefixRecords {
  /** Outage windows kept per prefix (the last ones). */
  readonly perPrefix: number;
  private cap = 0;
  private used = 0;
  private readonly free: number[] = [];
  private family = new Uint8Array(0);
  private keys: (PrefixKey | undefined)[] = [];
  private firstSeen = new Float64Array(0);
  private lastChange = new Float64Array(0);
  private flaps = new Uint32Array(0);
  private changes = new Uint32Array(0);
  private outageCount = new Uint32Array(0);
  /** Per slot and kind (slot * 2 + kind): ended outage time, the open one's start (NaN: none). */
  private totalMs = new Float64Array(0);
  private openStart = new Float64Array(0);
  /** Per slot × perPrefix: the outage ring (the next entry goes to outageCount % perPrefix). */
  private oStart = new Float64Array(0);
  private oEnd = new Float64Array(0);
  private oKind = new Uint8Array(0);

  constructor(perPrefix = 4) {
    this.perPrefix = Math.max(1, Math.floor(perPrefix));
  }

  /** Slots in use. */
  get size(): number {
    return this.used - this.free.length;
  }

  /** Bytes held by the columns (for tests and the memory bound). */
  get bytes(): number {
    return this.cap * (1 + 8 + 8 * 2 + 4 * 3 + 8 * 4 + this.perPrefix * 17);
  }

  /** A new slot for a prefix first seen at `firstSeen`, changed at `t`. */
  add(family: 4 | 6, key: PrefixKey, firstSeen: number, t: number): number {
    const i = this.free.length ? (this.free.pop() as number) : this.used++;
    if (i >= this.cap) this.grow(Math.max(64, this.cap * 2));
    this.family[i] = family;
    this.keys[i] = key;
    this.firstSeen[i] = firstSeen;
    this.lastChange[i] = t;
    this.flaps[i] = 0;
    this.changes[i] = 0;
    this.outageCount[i] = 0;
    this.totalMs[i * 2] = this.totalMs[i * 2 + 1] = 0;
    this.openStart[i * 2] = this.openStart[i * 2 + 1] = Number.NaN;
    return i;
  }

  /** Gives the slot back (its prefix is forgotten). */
  remove(i: number): void {
    this.keys[i] = undefined;
    this.free.push(i);
  }

  private grow(cap: number): void {
    const f64 = (a: Float64Array, n: number) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const m = this.perPrefix;
    const family = new Uint8Array(cap);
    family.set(this.family);
    this.family = family;
    this.firstSeen = f64(this.firstSeen, cap);
    this.lastChange = f64(this.lastChange, cap);
    for (const name of ['flaps', 'changes', 'outageCount'] as const) {
      const b = new Uint32Array(cap);
      b.set(this[name]);
      this[name] = b;
    }
    this.totalMs = f64(this.totalMs, cap * 2);
    this.openStart = f64(this.openStart, cap * 2);
    this.oStart = f64(this.oStart, cap * m);
    this.oEnd = f64(this.oEnd, cap * m);
    const kind = new Uint8Array(cap * m);
    kind.set(this.oKind);
    this.oKind = kind;
    this.cap = cap;
  }

  familyOf(i: number): 4 | 6 {
    return this.family[i] as 4 | 6;
  }
  keyOf(i: number): PrefixKey {
    return this.keys[i] as PrefixKey;
  }
  firstSeenOf(i: number): number {
    return this.firstSeen[i];
  }
  lastChangeOf(i: number): number {
    return this.lastChange[i];
  }
  flapsOf(i: number): number {
    return this.flaps[i];
  }
  changesOf(i: number): number {
    return this.changes[i];
  }
  outageCountOf(i: number): number {
    return this.outageCount[i];
  }

  /** A selection change at `t`; `lost`: the prefix lost its best path (a flap). */
  changed(i: number, t: number, lost: boolean): void {
    this.lastChange[i] = t;
    this.changes[i]++;
    if (lost) this.flaps[i]++;
  }

  touch(i: number, t: number): void {
    this.lastChange[i] = t;
  }

  /** Opens an outage of `kind` at `t` unless one is open. */
  open(i: number, kind: OutageKind, t: number): void {
    const k = i * 2 + kindIndex(kind);
    if (!Number.isNaN(this.openStart[k])) return;
    this.openStart[k] = t;
    const slot = i * this.perPrefix + (this.outageCount[i] % this.perPrefix);
    this.oStart[slot] = t;
    this.oEnd[slot] = Number.NaN;
    this.oKind[slot] = kindIndex(kind);
    this.outageCount[i]++;
  }

  /** Closes the open outage of `kind` at `t`; returns its length (0 when none was open). */
  close(i: number, kind: OutageKind, t: number): number {
    const ki = kindIndex(kind);
    const k = i * 2 + ki;
    const start = this.openStart[k];
    if (Number.isNaN(start)) return 0;
    this.openStart[k] = Number.NaN;
    this.totalMs[k] += t - start;
    // Its window, unless newer outages of the other kind have overwritten it in the ring.
    const base = i * this.perPrefix;
    for (let s = base; s < base + this.perPrefix; s++)
      if (this.oKind[s] === ki && this.oStart[s] === start && Number.isNaN(this.oEnd[s])) this.oEnd[s] = t;
    return t - start;
  }

  /** Outage time of `kind` so far: ended ones and the open one up to `t`. */
  outageMs(i: number, kind: OutageKind, t: number): number {
    const k = i * 2 + kindIndex(kind);
    const start = this.openStart[k];
    return this.totalMs[k] + (Number.isNaN(start) ? 0 : t - start);
  }

  /** The last outage windows, oldest first. */
  outages(i: number): OutageEntry[] {
    const m = this.perPrefix;
    const n = this.outageCount[i];
    const out: OutageEntry[] = [];
    for (let c = Math.max(0, n - m); c < n; c++) {
      const s = i * m + (c % m);
      const end = this.oEnd[s];
      out.push({
        kind: OUTAGE_KINDS[this.oKind[s]],
        start: this.oStart[s],
        end: Number.isNaN(end) ? null : end,
      });
    }
    return out;
  }
}
