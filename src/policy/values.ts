/**
 * Text forms policy config uses, parsed into numbers once: communities (RFC 1997 "AS:value" and the
 * IANA well-known names), large communities (RFC 8092 "g:l1:l2"), prefix ranges ("P ge N le M"),
 * and AS-path regexes with the Cisco/FRR `_` separator. Pure; shared by schema.ts and compile.ts.
 */
import { formatPrefix, ipFamily, parsePrefix } from '../util/ip.js';
import type { LargeCommunity } from '../wire/index.js';

/** IANA "BGP Well-known Communities" registry, by the names FRR and BIRD print. */
export const WELL_KNOWN_COMMUNITIES = {
  'graceful-shutdown': 0xffff0000, // RFC 8326
  'accept-own': 0xffff0001, // RFC 7611
  'llgr-stale': 0xffff0006, // RFC 9494
  'no-llgr': 0xffff0007, // RFC 9494
  blackhole: 0xffff029a, // RFC 7999
  'no-export': 0xffffff01, // RFC 1997
  'no-advertise': 0xffffff02, // RFC 1997
  'no-export-subconfed': 0xffffff03, // RFC 1997
  'no-peer': 0xffffff04, // RFC 3765
} as const satisfies Record<string, number>;

const U16 = 0xffff;
const U32 = 0xffffffff;

const uint = (s: string, max: number): number => {
  if (!/^\d{1,10}$/.test(s)) return -1;
  const n = Number(s);
  return n <= max ? n : -1;
};

/** "65000:1" or a well-known name → the 32-bit community value, or -1 when malformed. */
export function parseCommunity(text: string): number {
  const known = (WELL_KNOWN_COMMUNITIES as Record<string, number>)[text];
  if (known !== undefined) return known;
  const parts = text.split(':');
  if (parts.length !== 2) return -1;
  const hi = uint(parts[0], U16);
  const lo = uint(parts[1], U16);
  return hi < 0 || lo < 0 ? -1 : hi * 0x10000 + lo;
}

/** "g:l1:l2", each part 0..2^32-1 (RFC 8092 §3), or null when malformed. */
export function parseLargeCommunity(text: string): LargeCommunity | null {
  const parts = text.split(':');
  if (parts.length !== 3) return null;
  const v = parts.map((p) => uint(p, U32));
  return v.some((x) => x < 0) ? null : [v[0], v[1], v[2]];
}

/** A community pattern: matches c when (c & mask) === value; "65000:*" and "*:666" are wildcards. */
export interface CommunityPattern {
  readonly value: number;
  readonly mask: number;
}

export function parseCommunityPattern(text: string): CommunityPattern | null {
  const exact = parseCommunity(text);
  if (exact >= 0) return { value: exact, mask: U32 };
  const parts = text.split(':');
  if (parts.length !== 2 || !parts.includes('*')) return null;
  const hi = parts[0] === '*' ? 0 : uint(parts[0], U16);
  const lo = parts[1] === '*' ? 0 : uint(parts[1], U16);
  if (hi < 0 || lo < 0) return null;
  const mask = (parts[0] === '*' ? 0 : 0xffff0000) + (parts[1] === '*' ? 0 : U16);
  return { value: hi * 0x10000 + lo, mask };
}

/** A large-community pattern; null parts are "*" wildcards. */
export type LargeCommunityPattern = readonly [number | null, number | null, number | null];

export function parseLargeCommunityPattern(text: string): LargeCommunityPattern | null {
  const parts = text.split(':');
  if (parts.length !== 3) return null;
  const v = parts.map((p) => (p === '*' ? null : uint(p, U32)));
  return v.some((x) => x !== null && x < 0) ? null : [v[0], v[1], v[2]];
}

/** A prefix range: the prefix and every more-specific from `ge` to `le` bits (inclusive). */
export interface PrefixRange {
  /** Canonical text ("10.0.0.0/8", "fd00::/8"). */
  readonly prefix: string;
  readonly ge: number;
  readonly le: number;
}

/**
 * Checks and completes a range the way Cisco/FRR prefix lists read: no ge/le = exact; `le` alone
 * = length..le; `ge` alone = ge..max. Requires length ≤ ge ≤ le ≤ max. Returns a message on error.
 */
export function prefixRange(prefix: string, ge?: number, le?: number): PrefixRange | string {
  const p = parsePrefix(prefix);
  if (!p) {
    const lenient = parsePrefix(prefix, true);
    return lenient
      ? `host bits of ${prefix} must be zero (did you mean ${formatPrefix(lenient.family, lenient.bytes, lenient.length)}?)`
      : `'${prefix}' is not a prefix like 10.0.0.0/8 or fd00::/8`;
  }
  const max = p.family === 4 ? 32 : 128;
  const lo = ge ?? p.length;
  const hi = le ?? (ge === undefined ? p.length : max);
  if (lo < p.length) return `ge ${lo} is shorter than the prefix length ${p.length}`;
  if (hi > max) return `le ${hi} is longer than ${max} bits`;
  if (lo > hi) return `ge ${lo} is greater than le ${hi}`;
  return { prefix: formatPrefix(p.family, p.bytes, p.length), ge: lo, le: hi };
}

/** "10.0.0.0/8", "10.0.0.0/8 le 24", "fd00::/8 ge 48 le 64" → a range, or a message on error. */
export function parsePrefixRange(text: string): PrefixRange | string {
  const words = text.trim().split(/\s+/);
  let ge: number | undefined;
  let le: number | undefined;
  for (let i = 1; i < words.length; i += 2) {
    const key = words[i];
    const n = uint(words[i + 1] ?? '', 128);
    if ((key !== 'ge' && key !== 'le') || n < 0)
      return `'${text}' must read PREFIX [ge N] [le N] (N from 0 to 128)`;
    if ((key === 'ge' ? ge : le) !== undefined) return `'${text}' repeats ${key}`;
    if (key === 'ge') ge = n;
    else le = n;
  }
  return prefixRange(words[0], ge, le);
}

/** An address ("10.0.0.1") or a prefix ("10.0.0.0/24") → the range of host routes it covers, or a message. */
export function addressRange(text: string): PrefixRange | string {
  const fam = ipFamily(text);
  const r = prefixRange(fam === 4 ? `${text}/32` : fam === 6 ? `${text}/128` : text);
  if (typeof r === 'string') return text.includes('/') ? r : `'${text}' is not an address or a prefix`;
  const max = r.prefix.includes(':') ? 128 : 32;
  return { prefix: r.prefix, ge: max, le: max };
}

/**
 * Cisco/FRR AS-path regex → JavaScript source: an unescaped `_` matches a separator or either end
 * (FRR bgp_regex.c: `(^|[,{}() ]|$)`); inside a [...] class it stands for the separators.
 */
export function asPathRegexSource(text: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      out += c + (text[i + 1] ?? '');
      i++;
    } else if (c === '_') {
      out += inClass ? ' ,{}()\\[\\]' : '(?:^|[ ,{}()\\[\\]]|$)';
    } else {
      if (c === '[' && !inClass) inClass = true;
      else if (c === ']' && inClass) inClass = false;
      out += c;
    }
  }
  return out;
}

/** Compiles an AS-path regex, or returns the syntax error's message. */
export function compileAsPathRegex(text: string): RegExp | string {
  try {
    return new RegExp(asPathRegexSource(text));
  } catch (e) {
    return (e as Error).message;
  }
}
