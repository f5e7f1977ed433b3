/**
 * Attribute interning (BIRD's rta cache, FRR's attrhash): one AttrSet per distinct attribute set,
 * found by a canonical key, reference-counted and dropped when the last path lets go.
 */
import { encodeAttributes } from '../wire/index.js';
import type { AttrSet, RouteAttrs } from './types.js';

const CANONICAL = { fourOctetAs: true } as const;

/** Canonical key: the attributes' 4-octet wire form plus the next hops of any family. */
export function attrKey(a: RouteAttrs): string {
  const { nextHop, linkLocalNextHop, ...rest } = a;
  const enc = encodeAttributes(rest, CANONICAL);
  return `${latin1(enc.before)}${latin1(enc.after)}|${nextHop ?? ''}|${linkLocalNextHop ?? ''}`;
}

/** The octets as a string, read in place (no copy). */
const latin1 = (b: Uint8Array): string =>
  b.length === 0 ? '' : Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

let stores = 0;

export class AttrStore {
  private readonly sets = new Map<string, AttrSet>();
  private nextId = 1;
  /** Marks the sets of this store, so holding one is checked without hashing its key. */
  private readonly owner = ++stores;

  get size(): number {
    return this.sets.size;
  }

  /** The shared set for `attrs`, its reference count raised by one. */
  intern(attrs: RouteAttrs): AttrSet {
    const key = attrKey(attrs);
    let set = this.sets.get(key);
    if (!set) {
      set = { id: this.nextId++, attrs: Object.freeze({ ...attrs }), key, refs: 0, owner: this.owner };
      this.sets.set(key, set);
    }
    set.refs++;
    return set;
  }

  /**
   * Takes another reference on a set already interned; use the returned set. A set this store does
   * not hold (another store's, or one already dropped) is interned here instead.
   */
  ref(set: AttrSet): AttrSet {
    if (set.owner !== this.owner || set.refs <= 0) return this.intern(set.attrs);
    set.refs++;
    return set;
  }

  /** Drops one reference; a set this store does not hold is left alone. */
  release(set: AttrSet): void {
    if (set.owner !== this.owner || set.refs <= 0) return;
    if (--set.refs <= 0) this.sets.delete(set.key);
  }
}
