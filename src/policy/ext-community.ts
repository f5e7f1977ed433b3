/**
 * Extended communities in policy text, parsed into the 8-octet values the codec stores (16 hex
 * digits): route target "rt:65000:100", route origin "soo:…" (BIRD's "ro:…"), each with a 2-octet
 * AS, a 4-octet AS (RFC 5668) or an IPv4 address as global administrator (RFC 4360 §3.1-3.3, §4,
 * §5), link bandwidth "lb:65000:1250000" in bytes per second (RFC 10005, FRR's `bandwidth`), and
 * any value as "0x" + 16 hex digits. Patterns take "*" for either part. Pure; no wire framing.
 */

import { formatIPv4, parseIPv4 } from '../util/ip.js';
import { AS_TRANS } from '../wire/index.js';

/** The type octet (RFC 4360 §3, RFC 5668 §2, RFC 7153 registries). */
export const ExtCommunityType = {
  TWO_OCTET_AS: 0x00,
  IPV4_ADDRESS: 0x01,
  FOUR_OCTET_AS: 0x02,
  /** RFC 4360 §2: the T bit set marks a community not to be passed to other ASes. */
  NON_TRANSITIVE: 0x40,
} as const;

/** Sub-types with these type octets (RFC 4360 §4, §5; RFC 10005 §2). */
export const ExtCommunitySubtype = {
  ROUTE_TARGET: 0x02,
  ROUTE_ORIGIN: 0x03,
  LINK_BANDWIDTH: 0x04,
} as const;

/** rt = route target, soo = route origin (site of origin), lb = link bandwidth, hex = any other value. */
export type ExtCommunityKind = 'rt' | 'soo' | 'lb' | 'hex';

/** An extended community as policy sees it. */
export interface ExtCommunity {
  readonly kind: ExtCommunityKind;
  /** The AS number, or the address text for the IPv4-address-specific type; 0 for `hex`. */
  readonly global: number | string;
  /** The local administrator; for `lb` the bandwidth in bytes per second (an IEEE float32). */
  readonly local: number;
  /** The 8 octets as 16 lowercase hex digits (the codec's form). */
  readonly hex: string;
}

/** A pattern; null parts are "*". A `hex` pattern matches its exact value. */
export interface ExtCommunityPattern {
  readonly kind: ExtCommunityKind;
  readonly global: number | string | null;
  readonly local: number | null;
  readonly hex?: string;
}

const KINDS: Record<string, ExtCommunityKind> = { rt: 'rt', soo: 'soo', ro: 'soo', lb: 'lb' };
const SUBTYPE: Record<'rt' | 'soo', number> = {
  rt: ExtCommunitySubtype.ROUTE_TARGET,
  soo: ExtCommunitySubtype.ROUTE_ORIGIN,
};
const U16 = 0xffff;
const U32 = 0xffffffff;
/** Bandwidth units for bits per second; a bare number is bytes per second (RFC 10005 §2). */
const BIT_UNITS: Record<string, number> = { bps: 1, kbps: 1e3, mbps: 1e6, gbps: 1e9, tbps: 1e12 };

const FORMS =
  'rt:GLOBAL:LOCAL, soo:GLOBAL:LOCAL (or ro:), lb:AS:BYTES-PER-SECOND or 0x + 16 hex digits; ' +
  'GLOBAL is an AS number or an IPv4 address';

const uint = (s: string, max: number): number => {
  if (!/^\d{1,10}$/.test(s)) return -1;
  const n = Number(s);
  return n <= max ? n : -1;
};

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

/** Bytes per second as RFC 10005 §2 carries it: IEEE 754 single precision, big-endian. */
export function float32Hex(bytesPerSecond: number): string {
  const b = Buffer.alloc(4);
  b.writeFloatBE(bytesPerSecond);
  return b.toString('hex');
}

/** "1250000", "12.5e6", "10Mbps", "1gbps" → bytes per second, or -1 (negative, not finite, too large). */
export function parseBandwidth(text: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([a-z]*)$/i.exec(text);
  if (!m) return -1;
  const unit = m[2].toLowerCase();
  const scale = unit === '' ? 1 : BIT_UNITS[unit] === undefined ? -1 : BIT_UNITS[unit] / 8;
  const v = Number(m[1]) * scale;
  return scale < 0 || !Number.isFinite(Math.fround(v)) ? -1 : Math.fround(v);
}

interface Parts {
  readonly kind: ExtCommunityKind;
  readonly global: string;
  readonly local: string;
  readonly hex?: string;
}

function split(text: string): Parts | string {
  if (/^0x[0-9a-f]{16}$/i.test(text))
    return { kind: 'hex', global: '', local: '', hex: text.slice(2).toLowerCase() };
  const parts = text.split(':');
  const kind = KINDS[parts[0]?.toLowerCase() ?? ''];
  if (parts.length !== 3 || !kind) return `'${text}' must be ${FORMS}`;
  return { kind, global: parts[1], local: parts[2] };
}

/** The global administrator: an IPv4 address, or an AS number (0..2^32-1); null for "*". */
function parseGlobal(p: Parts, text: string, wildcard: boolean): { value: number | string | null } | string {
  if (wildcard && p.global === '*') return { value: null };
  const address = p.kind === 'lb' ? -1 : parseIPv4(p.global);
  if (address >= 0) return { value: formatIPv4(address) };
  const asn = uint(p.global, U32);
  if (asn < 0)
    return `'${text}': '${p.global}' is not an AS number (0-4294967295)${p.kind === 'lb' ? '' : ' or an IPv4 address'}`;
  // RFC 10005 §2 has a 2-octet AS field; FRR puts AS_TRANS there for a 4-octet AS.
  return { value: p.kind === 'lb' && asn > U16 ? AS_TRANS : asn };
}

/** Largest local part the global part leaves room for (6 value octets in all, RFC 4360 §3.1-3.3, RFC 5668 §2). */
const localMax = (global: number | string | null) =>
  global === null || (typeof global === 'number' && global <= U16) ? U32 : U16;

function localProblem(text: string, global: number | string | null): string {
  const what =
    typeof global === 'string'
      ? 'an IPv4-address'
      : global !== null && global > U16
        ? 'a 4-octet AS'
        : 'a 2-octet AS';
  return `'${text}': the local part of ${what} community is 0-${localMax(global)}`;
}

/** "rt:65000:100" → the value and its 8 octets, or a message when malformed. */
export function parseExtCommunity(text: string): ExtCommunity | string {
  const p = split(text);
  if (typeof p === 'string') return p;
  if (p.kind === 'hex') return decodeExtCommunity(p.hex!);
  if (p.global === '*' || p.local === '*')
    return `'${text}': * belongs in match and remove patterns, not in a value`;
  const g = parseGlobal(p, text, false);
  if (typeof g === 'string') return g;
  const global = g.value!;
  if (p.kind === 'lb') {
    const bw = parseBandwidth(p.local);
    if (bw < 0)
      return `'${text}': '${p.local}' is not a bandwidth (bytes per second, or N with bps, kbps, Mbps, Gbps)`;
    const type = ExtCommunityType.NON_TRANSITIVE | ExtCommunityType.TWO_OCTET_AS;
    return decodeExtCommunity(
      hex(type, 2) + hex(ExtCommunitySubtype.LINK_BANDWIDTH, 2) + hex(global as number, 4) + float32Hex(bw),
    );
  }
  const local = uint(p.local, localMax(global));
  if (local < 0) return localProblem(text, global);
  return decodeExtCommunity(encodeAddressed(p.kind, global, local));
}

/** Type, sub-type, global and local administrator of a route target or origin. */
function encodeAddressed(kind: 'rt' | 'soo', global: number | string, local: number): string {
  const sub = hex(SUBTYPE[kind], 2);
  if (typeof global === 'string')
    return hex(ExtCommunityType.IPV4_ADDRESS, 2) + sub + hex(parseIPv4(global), 8) + hex(local, 4);
  if (global > U16) return hex(ExtCommunityType.FOUR_OCTET_AS, 2) + sub + hex(global, 8) + hex(local, 4);
  return hex(ExtCommunityType.TWO_OCTET_AS, 2) + sub + hex(global, 4) + hex(local, 8);
}

/** "rt:65000:*", "soo:*:7", "lb:65000:*", exact values too → a pattern, or a message. */
export function parseExtCommunityPattern(text: string): ExtCommunityPattern | string {
  const p = split(text);
  if (typeof p === 'string') return p;
  if (p.kind === 'hex') return { kind: 'hex', global: null, local: null, hex: p.hex! };
  const g = parseGlobal(p, text, true);
  if (typeof g === 'string') return g;
  const global = g.value;
  if (p.local === '*') return { kind: p.kind, global, local: null };
  if (p.kind === 'lb') {
    const bw = parseBandwidth(p.local);
    return bw < 0 ? `'${text}': '${p.local}' is not a bandwidth or *` : { kind: 'lb', global, local: bw };
  }
  // A wildcard global admits any form, so the local part may be as wide as the 2-octet AS form's.
  const local = uint(p.local, localMax(global));
  return local < 0 ? localProblem(text, global) : { kind: p.kind, global, local };
}

/** The 8 octets (16 hex digits) → what policy matches on; unknown types are `hex`. */
export function decodeExtCommunity(value: string): ExtCommunity {
  const v = value.toLowerCase();
  const type = Number.parseInt(v.slice(0, 2), 16);
  const sub = Number.parseInt(v.slice(2, 4), 16);
  const u16 = (at: number) => Number.parseInt(v.slice(at, at + 4), 16);
  const u32 = (at: number) => Number.parseInt(v.slice(at, at + 8), 16);
  const other: ExtCommunity = { kind: 'hex', global: 0, local: 0, hex: v };
  if (v.length !== 16 || Number.isNaN(type) || Number.isNaN(sub)) return other;
  if (sub === ExtCommunitySubtype.LINK_BANDWIDTH) {
    // RFC 10005 §2: 0x40 (non-transitive); FRR also sends and reads it as 0x00 (transitive).
    if ((type & ~ExtCommunityType.NON_TRANSITIVE) !== ExtCommunityType.TWO_OCTET_AS) return other;
    return { kind: 'lb', global: u16(4), local: Buffer.from(v.slice(8), 'hex').readFloatBE(0), hex: v };
  }
  const kind =
    sub === ExtCommunitySubtype.ROUTE_TARGET ? 'rt' : sub === ExtCommunitySubtype.ROUTE_ORIGIN ? 'soo' : null;
  if (!kind) return other;
  switch (type) {
    case ExtCommunityType.TWO_OCTET_AS:
      return { kind, global: u16(4), local: u32(8), hex: v };
    case ExtCommunityType.IPV4_ADDRESS:
      return { kind, global: formatIPv4(u32(4)), local: u16(12), hex: v };
    case ExtCommunityType.FOUR_OCTET_AS:
      return { kind, global: u32(4), local: u16(12), hex: v };
    default:
      return other;
  }
}

/** The text form policy config takes: "rt:65000:100", "soo:10.0.0.1:5", "lb:65000:1250000", "0x…". */
export function formatExtCommunity(value: string): string {
  const c = decodeExtCommunity(value);
  return c.kind === 'hex' ? `0x${c.hex}` : `${c.kind}:${c.global}:${c.local}`;
}

/**
 * Whether a community matches a pattern. An AS global part matches the 2-octet and the 4-octet AS
 * forms alike (RFC 5668 §2 allows a small AS in the 4-octet form); an address only the IPv4 form.
 */
export function extCommunityMatches(p: ExtCommunityPattern, c: ExtCommunity): boolean {
  if (p.kind === 'hex') return c.hex === p.hex;
  return (
    p.kind === c.kind &&
    (p.global === null || p.global === c.global) &&
    (p.local === null || p.local === c.local)
  );
}

/** A test for one community (16 hex digits) against any of the patterns. */
export function extCommunityTest(patterns: readonly string[]): (value: string) => boolean {
  const parsed = patterns.map((text) => {
    const p = parseExtCommunityPattern(text);
    if (typeof p === 'string') throw new RangeError(p);
    return p;
  });
  return (value) => {
    const c = decodeExtCommunity(value);
    return parsed.some((p) => extCommunityMatches(p, c));
  };
}
