/**
 * The argument of `show routes` (and `show ip bgp`): a prefix (that destination, or with `longer` it
 * and every more-specific one) or an address (the longest matching prefix with a best path: the
 * route that forwards it, RFC 1812 §5.2.4.3). Parsing is pure and says why a text is not one.
 */
import type { Dest, LocRib } from '../rib/loc-rib.js';
import { keyFromWire, keyLength, writeKey } from '../rib/prefix-key.js';
import { formatPrefix, parseIPv4, parseIPv6, parsePrefix } from '../util/ip.js';

export type RouteQuery =
  | { readonly kind: 'prefix'; readonly family: 4 | 6; readonly bytes: Uint8Array; readonly length: number }
  | { readonly kind: 'longer'; readonly family: 4 | 6; readonly bytes: Uint8Array; readonly length: number }
  | { readonly kind: 'address'; readonly family: 4 | 6; readonly bytes: Uint8Array };

/** The query `text` asks for, or the reason it is malformed. */
export function parseRouteQuery(
  text: string,
  longer = false,
): { readonly query: RouteQuery } | { readonly error: string } {
  const t = text.trim();
  const slash = t.indexOf('/');
  if (slash < 0) {
    if (longer) return { error: `--longer needs a prefix (ADDRESS/LENGTH), not the address '${t}'` };
    const bytes = addressBytes(t);
    if (!bytes) return { error: `'${t}' is neither an IPv4 or IPv6 address nor a prefix` };
    return { query: { kind: 'address', family: bytes.length === 4 ? 4 : 6, bytes } };
  }
  const addr = addressBytes(t.slice(0, slash));
  if (!addr) return { error: `'${t}': '${t.slice(0, slash)}' is not an IPv4 or IPv6 address` };
  const lenText = t.slice(slash + 1);
  const max = addr.length * 8;
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max)
    return { error: `'${t}': the prefix length must be a number from 0 to ${max}` };
  const strict = parsePrefix(t);
  if (!strict) {
    const p = parsePrefix(t, true);
    const network = p ? formatPrefix(p.family, p.bytes, p.length) : '';
    return { error: `'${t}' has host bits set: the prefix is ${network}` };
  }
  return { query: { kind: longer ? 'longer' : 'prefix', ...strict } };
}

function addressBytes(s: string): Uint8Array | null {
  const v4 = parseIPv4(s);
  if (v4 >= 0) return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255);
  return parseIPv6(s);
}

/** The destinations of the Loc-RIB `q` selects. */
export function selectRoutes(rib: LocRib, q: RouteQuery): Dest[] {
  const table = rib.tables[q.family];
  if (q.kind === 'prefix') {
    const d = table.get(keyFromWire(q.family, q.bytes, 0, q.length));
    return d ? [d] : [];
  }
  if (q.kind === 'address') {
    for (let len = q.bytes.length * 8; len >= 0; len--) {
      const d = table.get(keyFromWire(q.family, q.bytes, 0, len));
      if (d?.best) return [d];
    }
    return [];
  }
  const out: { d: Dest; wire: Uint8Array }[] = [];
  for (const [key, d] of table) {
    if (keyLength(key) < q.length) continue;
    const wire = new Uint8Array(17);
    writeKey(key, wire, 0);
    if (covers(q.bytes, q.length, wire.subarray(1))) out.push({ d, wire });
  }
  return out.sort((x, y) => compareWire(x.wire, y.wire)).map((x) => x.d);
}

/** NLRI wire forms (length octet, address octets) by address, then length (a prefix before its more-specifics). */
function compareWire(a: Uint8Array, b: Uint8Array): number {
  for (let i = 1; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a[0] - b[0];
}

/** Textual prefixes in the same order, IPv4 before IPv6 (unparsable ones last). */
export function comparePrefixText(x: string, y: string): number {
  const a = parsePrefix(x, true);
  const b = parsePrefix(y, true);
  if (!a || !b) return (a ? 0 : 1) - (b ? 0 : 1);
  if (a.family !== b.family) return a.family - b.family;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return a.bytes[i] - b.bytes[i];
  return a.length - b.length;
}

/** The first `length` bits of `addr` equal those of `network`. */
function covers(network: Uint8Array, length: number, addr: Uint8Array): boolean {
  const whole = length >> 3;
  for (let i = 0; i < whole; i++) if (network[i] !== addr[i]) return false;
  const rest = length & 7;
  if (rest === 0) return true;
  const mask = (0xff00 >> rest) & 0xff;
  return (network[whole] & mask) === (addr[whole] & mask);
}
