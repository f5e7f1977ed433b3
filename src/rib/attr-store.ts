/**
 * Attribute interning (BIRD's rta cache, FRR's attrhash): one AttrSet per distinct attribute set,
 * found by a key of octets, reference-counted and dropped when the last path lets go. A set made
 * from attributes is keyed by their encoding as a 4-octet-AS session sends them (RFC 6793), which
 * for an IPv4 next hop (or none) is exactly an UPDATE's path attributes, so packing copies the key
 * (`keyOctets`) instead of encoding again. A set received from a neighbor is keyed by the octets as
 * they came (`receivedKey`), so finding it encodes nothing. Not decoding, policy or import rules.
 */
import { parseIPv4 } from '../util/ip.js';
import { type AsPathSegment, type PathAttributes, Writer, writeAttributes } from '../wire/index.js';
import type { AttrSet, RouteAttrs } from './types.js';

const CANONICAL = { fourOctetAs: true } as const;

/**
 * Key tags (a first char no path attribute's flags octet can be: known attributes are sent with
 * 0x40 or 0x80 set, unknown ones are kept only when optional). Canonical keys of an IPv4 (or no)
 * next hop have no tag: they are the octets.
 */
const TAG_NEXT_HOPS = 1;
const TAG_RECEIVED = 2;

/** Canonical key: the octets of `a` for a 4-octet-AS session, next hops of other forms first. */
export function attrKey(a: RouteAttrs): string {
  return new KeyWriter().canonical(a);
}

/**
 * The octets a canonical key stands for (the path attributes of a classic IPv4 UPDATE to a
 * 4-octet-AS session, NEXT_HOP included), or null when the key is of another form.
 */
export function keyOctets(set: AttrSet): string | null {
  const k = set.key;
  return k.length === 0 || k.charCodeAt(0) >= 0x40 ? k : null;
}

const ipv4 = (nh: string | undefined) => nh === undefined || parseIPv4(nh) >= 0;

/** Writes keys into one reused buffer and reads them out as latin1 strings (one flat string each). */
class KeyWriter {
  private readonly w = new Writer(256);
  private view: Buffer = Buffer.alloc(0);

  canonical(a: RouteAttrs): string {
    const w = this.w;
    w.pos = 0;
    if (a.linkLocalNextHop === undefined && ipv4(a.nextHop)) {
      writeAttributes(w, a, CANONICAL);
      return this.read();
    }
    const { nextHop, linkLocalNextHop, ...rest } = a;
    w.u8(TAG_NEXT_HOPS);
    this.nextHops(nextHop, linkLocalNextHop);
    writeAttributes(w, rest as PathAttributes, CANONICAL);
    return this.read();
  }

  received(octets: Uint8Array, fourOctetAs: boolean, nextHop?: string, linkLocal?: string): string {
    const w = this.w;
    w.pos = 0;
    // By session AS size (RFC 6793: the same octets decode otherwise) and with or without MP next hops.
    w.u8(TAG_RECEIVED + (fourOctetAs ? 0 : 1) + (nextHop === undefined ? 0 : 2));
    if (nextHop !== undefined) this.nextHops(nextHop, linkLocal);
    w.bytes(octets);
    return this.read();
  }

  /** Next hops as text, each ended by '|' (addresses hold no '|': the key splits one way only). */
  private nextHops(nextHop: string | undefined, linkLocal: string | undefined): void {
    for (const t of [nextHop ?? '', linkLocal ?? '']) {
      for (let i = 0; i < t.length; i++) this.w.u8(t.charCodeAt(i));
      this.w.u8(0x7c);
    }
  }

  private read(): string {
    const b = this.w.buf;
    if (this.view.buffer !== b.buffer || this.view.byteOffset !== b.byteOffset)
      this.view = Buffer.from(b.buffer, b.byteOffset, b.length);
    return this.view.toString('latin1', 0, this.w.pos);
  }
}

/**
 * A copy of `a` with its fields in one fixed order, frozen: objects of the same fields share a
 * hidden class. (An object spread, `{ ...a }`, gave V8 a hidden class per copy: 190 B a set.)
 * `like` is the set made before: an equal AS path or next hop is taken from it (sets made in a
 * row often differ in a community only; a decoded AS path is ~150 B).
 */
function ownCopy(a: RouteAttrs, like: RouteAttrs | undefined): RouteAttrs {
  const o: { -readonly [K in keyof RouteAttrs]: RouteAttrs[K] } = {};
  if (a.origin !== undefined) o.origin = a.origin;
  if (a.asPath !== undefined)
    o.asPath = like?.asPath && sameAsPath(like.asPath, a.asPath) ? like.asPath : a.asPath;
  if (a.nextHop !== undefined) o.nextHop = like?.nextHop === a.nextHop ? like.nextHop : a.nextHop;
  if (a.linkLocalNextHop !== undefined) o.linkLocalNextHop = a.linkLocalNextHop;
  if (a.med !== undefined) o.med = a.med;
  if (a.localPref !== undefined) o.localPref = a.localPref;
  if (a.atomicAggregate !== undefined) o.atomicAggregate = a.atomicAggregate;
  if (a.aggregator !== undefined) o.aggregator = a.aggregator;
  if (a.communities !== undefined) o.communities = a.communities;
  if (a.originatorId !== undefined) o.originatorId = a.originatorId;
  if (a.clusterList !== undefined) o.clusterList = a.clusterList;
  if (a.extendedCommunities !== undefined) o.extendedCommunities = a.extendedCommunities;
  if (a.largeCommunities !== undefined) o.largeCommunities = a.largeCommunities;
  if (a.unknown !== undefined) o.unknown = a.unknown;
  return Object.freeze(o);
}

function sameAsPath(x: readonly AsPathSegment[], y: readonly AsPathSegment[]): boolean {
  if (x === y) return true;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const a = x[i].asns;
    const b = y[i].asns;
    if (x[i].type !== y[i].type || a.length !== b.length) return false;
    for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
  }
  return true;
}

let stores = 0;

export class AttrStore {
  private readonly sets = new Map<string, AttrSet>();
  private readonly keys = new KeyWriter();
  private nextId = 1;
  /** The attributes of the set made last (ownCopy shares their AS path and next hop). */
  private last: RouteAttrs | undefined;
  /** Marks the sets of this store, so holding one is checked without hashing its key. */
  private readonly owner = ++stores;

  get size(): number {
    return this.sets.size;
  }

  /** The shared set for `attrs`, its reference count raised by one. */
  intern(attrs: RouteAttrs): AttrSet {
    return this.internKeyed(this.keys.canonical(attrs), attrs);
  }

  /**
   * The key of attributes as a neighbor sent them: `octets` are the UPDATE's path attributes less
   * the MP ones (UpdateMessage.attributeOctets), `nextHop` and `linkLocal` those of MP_REACH_NLRI
   * (RFC 4760 §3) when its NLRI are the ones keyed. Only for attributes stored as decoded.
   */
  receivedKey(octets: Uint8Array, fourOctetAs: boolean, nextHop?: string, linkLocal?: string): string {
    return this.keys.received(octets, fourOctetAs, nextHop, linkLocal);
  }

  /** The shared set under `key` (of attrKey or receivedKey: `attrs` are what it stands for), referenced once more. */
  internKeyed(key: string, attrs: RouteAttrs): AttrSet {
    let set = this.sets.get(key);
    if (!set) {
      const own = ownCopy(attrs, this.last);
      this.last = own;
      set = { id: this.nextId++, attrs: own, key, refs: 0, owner: this.owner };
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
