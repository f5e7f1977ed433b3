/**
 * Address arithmetic the lab planner needs: the n-th host of a subnet, the n-th block of a pool,
 * containment and overlap. Works on IPv4 and IPv6 text through src/util/ip's byte forms.
 */
import { formatIPv4, formatIPv6, ipFamily, parseIPv4, parseIPv6, parsePrefix } from '../util/ip.js';

export interface Net {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly length: number;
}

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);

function toBig(addr: string): { family: 4 | 6; value: bigint } {
  const v4 = parseIPv4(addr);
  if (v4 >= 0) return { family: 4, value: BigInt(v4) };
  const v6 = parseIPv6(addr);
  if (!v6) throw new Error(`not an IP address: ${addr}`);
  let value = 0n;
  for (const b of v6) value = (value << 8n) | BigInt(b);
  return { family: 6, value };
}

function fromBig(family: 4 | 6, value: bigint): string {
  if (family === 4) return formatIPv4(Number(value));
  const b = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    b[i] = Number(value & 255n);
    value >>= 8n;
  }
  return formatIPv6(b);
}

export function parseNet(prefix: string): Net {
  const p = parsePrefix(prefix, true);
  if (!p) throw new Error(`not a prefix: ${prefix}`);
  const { value } = toBig(prefix.slice(0, prefix.indexOf('/')));
  const hostBits = BigInt(bits(p.family) - p.length);
  return { family: p.family, base: (value >> hostBits) << hostBits, length: p.length };
}

export const netText = (n: Net) => `${fromBig(n.family, n.base)}/${n.length}`;

/** Address `n` of the subnet (0 is the network address itself). */
export function hostAt(prefix: string, n: number): string {
  const net = parseNet(prefix);
  const value = net.base + BigInt(n);
  if (!contains(prefix, fromBig(net.family, value))) throw new Error(`${prefix} has no host ${n}`);
  return fromBig(net.family, value);
}

/** The `index`-th sub-prefix of length `length` inside `pool`. */
export function subnetAt(pool: string, length: number, index: number): string {
  const net = parseNet(pool);
  if (length < net.length) throw new Error(`/${length} does not fit in ${pool}`);
  const size = 1n << BigInt(bits(net.family) - length);
  const base = net.base + size * BigInt(index);
  const out = `${fromBig(net.family, base)}/${length}`;
  if (!within(out, pool)) throw new Error(`${pool} has no ${index}-th /${length}`);
  return out;
}

export function contains(prefix: string, addr: string): boolean {
  if (ipFamily(addr) === 0) return false;
  const net = parseNet(prefix);
  const a = toBig(addr);
  if (a.family !== net.family) return false;
  const hostBits = BigInt(bits(net.family) - net.length);
  return a.value >> hostBits === net.base >> hostBits;
}

/** `inner` lies inside `outer` (or equals it). */
export function within(inner: string, outer: string): boolean {
  const i = parseNet(inner);
  const o = parseNet(outer);
  return i.family === o.family && i.length >= o.length && contains(outer, fromBig(i.family, i.base));
}

export const overlaps = (a: string, b: string) => within(a, b) || within(b, a);

/** "10.1.1.11" with the prefix length of `subnet`: "10.1.1.11/24". */
export const withLength = (addr: string, subnet: string) =>
  `${addr}/${subnet.slice(subnet.indexOf('/') + 1)}`;

/** Orders addresses numerically (IPv4 before IPv6). */
export function compareAddr(a: string, b: string): number {
  const x = toBig(a);
  const y = toBig(b);
  if (x.family !== y.family) return x.family - y.family;
  return x.value < y.value ? -1 : x.value > y.value ? 1 : 0;
}
