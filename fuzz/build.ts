/**
 * Byte-level BGP message building for the fuzzer, independent of src/wire: headers, an UPDATE split
 * into withdrawn / attributes / NLRI that mutations edit and reassemble (optionally with lying
 * lengths), OPENs, and synthetic valid UPDATEs (RFC 4271 §4, RFC 4760, RFC 6793 4-octet ASNs).
 */
import type { Prng } from './prng.js';

export const MARKER = new Uint8Array(16).fill(0xff);

export const concat = (parts: readonly Uint8Array[]): Uint8Array => Buffer.concat(parts);

const u16b = (n: number) => Uint8Array.of((n >> 8) & 0xff, n & 0xff);
const u32b = (n: number) => Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

/** A whole message: marker, length (or `lenOverride`), type, body. */
export function message(type: number, body: Uint8Array, lenOverride?: number): Uint8Array {
  const len = lenOverride ?? 19 + body.length;
  return concat([MARKER, u16b(len & 0xffff), Uint8Array.of(type), body]);
}

export const KEEPALIVE = message(4, new Uint8Array(0));

export interface Attr {
  flags: number;
  code: number;
  value: Uint8Array;
}

export interface UpdateParts {
  withdrawn: Uint8Array;
  attrs: Attr[];
  nlri: Uint8Array;
}

/** Attribute header + value; the Extended Length flag picks a 2-octet length (RFC 4271 §4.3). */
export function encodeAttr(a: Attr, lenOverride?: number): Uint8Array {
  const len = lenOverride ?? a.value.length;
  const head =
    a.flags & 0x10
      ? Uint8Array.of(a.flags, a.code, (len >> 8) & 0xff, len & 0xff)
      : Uint8Array.of(a.flags, a.code, len & 0xff);
  return concat([head, a.value]);
}

/** Parses a well-formed UPDATE message into parts; null when it is not one. */
export function parseUpdate(m: Uint8Array): UpdateParts | null {
  if (m.length < 23 || m[18] !== 2) return null;
  const b = m.subarray(19);
  const wlen = (b[0] << 8) | b[1];
  if (4 + wlen > b.length) return null;
  const alen = (b[2 + wlen] << 8) | b[3 + wlen];
  const aEnd = 4 + wlen + alen;
  if (aEnd > b.length) return null;
  const attrs: Attr[] = [];
  let p = 4 + wlen;
  while (p < aEnd) {
    const flags = b[p];
    const hdr = flags & 0x10 ? 4 : 3;
    if (p + hdr > aEnd) return null;
    const len = hdr === 4 ? (b[p + 2] << 8) | b[p + 3] : b[p + 2];
    if (p + hdr + len > aEnd) return null;
    attrs.push({ flags, code: b[p + 1], value: b.slice(p + hdr, p + hdr + len) });
    p += hdr + len;
  }
  return { withdrawn: b.slice(2, 2 + wlen), attrs, nlri: b.slice(aEnd) };
}

export interface Lies {
  wlen?: number;
  alen?: number;
  header?: number;
}

/** Reassembles an UPDATE; `lies` replace the computed length fields. */
export function buildUpdate(u: UpdateParts, lies: Lies = {}, rawAttrs?: Uint8Array): Uint8Array {
  const attrs = rawAttrs ?? concat(u.attrs.map((a) => encodeAttr(a)));
  const body = concat([
    u16b(lies.wlen ?? u.withdrawn.length),
    u.withdrawn,
    u16b(lies.alen ?? attrs.length),
    attrs,
    u.nlri,
  ]);
  return message(2, body, lies.header);
}

export interface OpenSpec {
  version?: number;
  as2: number;
  hold: number;
  id: number;
  /** Capabilities as [code, value]; each in its own optional parameter when `separate`. */
  caps: [number, Uint8Array][];
  optLenDelta?: number;
  paramType?: number;
}

export function buildOpen(o: OpenSpec): Uint8Array {
  const caps = concat(o.caps.map(([c, v]) => concat([Uint8Array.of(c, v.length), v])));
  const params = caps.length
    ? concat([Uint8Array.of(o.paramType ?? 2, caps.length), caps])
    : new Uint8Array(0);
  const body = concat([
    Uint8Array.of(o.version ?? 4),
    u16b(o.as2),
    u16b(o.hold),
    u32b(o.id),
    Uint8Array.of((params.length + (o.optLenDelta ?? 0)) & 0xff),
    params,
  ]);
  return message(1, body);
}

/** The fuzz peer's OPEN: IPv4 + IPv6 unicast, route refresh, 4-octet AS (RFC 4760, 2918, 6793). */
export function validOpenSpec(asn: number, id: number, hold = 240): OpenSpec {
  return {
    as2: asn > 0xffff ? 23456 : asn,
    hold,
    id,
    caps: [
      [1, Uint8Array.of(0, 1, 0, 1)],
      [1, Uint8Array.of(0, 2, 0, 1)],
      [2, new Uint8Array(0)],
      [65, u32b(asn)],
    ],
  };
}

/** A prefix in NLRI form: length octet + the significant octets. */
export function prefix(bits: number, addr: Uint8Array): Uint8Array {
  const n = (bits + 7) >> 3;
  const out = new Uint8Array(1 + n);
  out[0] = bits;
  out.set(addr.subarray(0, n), 1);
  return out;
}

const v4 = (rng: Prng) => prefix(rng.range(8, 32), Uint8Array.of(10, 200, rng.int(256), rng.int(256)));
const v6 = (rng: Prng) => {
  const a = new Uint8Array(16);
  a.set([0xfd, 0x00, 0x02, 0x00, rng.int(256), rng.int(256), rng.int(256), rng.int(256)]);
  return prefix(rng.range(16, 64), a);
};
const many = (rng: Prng, max: number, f: (r: Prng) => Uint8Array) =>
  concat(Array.from({ length: rng.int(max + 1) }, () => f(rng)));

/** A random valid UPDATE for an iBGP 4-octet-AS session (IPv4 NLRI and/or IPv6 MP_REACH). */
export function syntheticUpdate(rng: Prng): UpdateParts {
  const attrs: Attr[] = [];
  const nlri = many(rng, 6, v4);
  const withdrawn = rng.chance(0.3) ? many(rng, 4, v4) : new Uint8Array(0);
  const v6reach = rng.chance(0.35) ? concat([v6(rng), many(rng, 3, v6)]) : null;
  if (rng.chance(0.15)) {
    const v = concat([Uint8Array.of(0, 2, 1), many(rng, 3, v6)]);
    attrs.push({ flags: 0x80, code: 15, value: v });
  }
  if (v6reach) {
    const nh = rng.chance(0.5) ? 16 : 32;
    const hop = new Uint8Array(nh);
    hop.set([0xfd, 0, 0, 0x98, 0, 2], 0);
    hop[15] = rng.int(256);
    if (nh === 32) hop.set([0xfe, 0x80], 16);
    attrs.push({
      flags: 0x80,
      code: 14,
      value: concat([Uint8Array.of(0, 2, 1, nh), hop, Uint8Array.of(0), v6reach]),
    });
  }
  if (nlri.length || v6reach) {
    attrs.push({ flags: 0x40, code: 1, value: Uint8Array.of(rng.int(3)) });
    const segs: Uint8Array[] = [];
    for (let s = rng.int(3); s >= 0; s--) {
      const n = rng.range(1, 5);
      segs.push(Uint8Array.of(rng.chance(0.8) ? 2 : 1, n));
      for (let i = 0; i < n; i++) segs.push(u32b(rng.chance(0.7) ? rng.range(64512, 65534) : rng.u32()));
    }
    attrs.push({ flags: 0x40, code: 2, value: rng.chance(0.1) ? new Uint8Array(0) : concat(segs) });
    if (nlri.length) attrs.push({ flags: 0x40, code: 3, value: Uint8Array.of(10, 98, 2, rng.range(2, 250)) });
    if (rng.chance(0.4)) attrs.push({ flags: 0x80, code: 4, value: u32b(rng.u32()) });
    if (rng.chance(0.6)) attrs.push({ flags: 0x40, code: 5, value: u32b(rng.int(500)) });
    if (rng.chance(0.1)) attrs.push({ flags: 0x40, code: 6, value: new Uint8Array(0) });
    if (rng.chance(0.1)) attrs.push({ flags: 0xc0, code: 7, value: concat([u32b(rng.u32()), rng.bytes(4)]) });
    if (rng.chance(0.4)) attrs.push({ flags: 0xc0, code: 8, value: rng.bytes(4 * rng.range(1, 5)) });
    if (rng.chance(0.15)) attrs.push({ flags: 0x80, code: 9, value: rng.bytes(4) });
    if (rng.chance(0.15)) attrs.push({ flags: 0x80, code: 10, value: rng.bytes(4 * rng.range(1, 3)) });
    if (rng.chance(0.2)) attrs.push({ flags: 0xc0, code: 16, value: rng.bytes(8 * rng.range(1, 3)) });
    if (rng.chance(0.2)) attrs.push({ flags: 0xc0, code: 32, value: rng.bytes(12 * rng.range(1, 3)) });
    if (rng.chance(0.1))
      attrs.push({ flags: 0xc0, code: rng.range(100, 250), value: rng.bytes(rng.int(12)) });
  }
  // Attribute order is free (RFC 4271 §5); shuffle some so mutations meet MP_REACH anywhere.
  if (rng.chance(0.3))
    for (let i = attrs.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [attrs[i], attrs[j]] = [attrs[j], attrs[i]];
    }
  return { withdrawn, attrs, nlri };
}
