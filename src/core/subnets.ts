/**
 * The subnets of this host's (namespace's) interfaces, from os.networkInterfaces(), cached briefly:
 * enough to tell whether a next hop shares a subnet with a peer (RFC 4271 §5.1.3 third-party next hop).
 */
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { parseIPv4, parseIPv6 } from '../util/ip.js';

interface Subnet {
  readonly bytes: Uint8Array;
  readonly length: number;
}

const toBytes = (a: string): Uint8Array | null => {
  const v = parseIPv4(a);
  if (v >= 0) return Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  return parseIPv6(a.replace(/%.*$/, ''));
};

function inSubnet(addr: Uint8Array, s: Subnet): boolean {
  if (addr.length !== s.bytes.length) return false;
  for (let bit = 0; bit < s.length; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((addr[bit >> 3] & m) !== (s.bytes[bit >> 3] & m)) return false;
  }
  return true;
}

/** The first global (not link-local) address of `family` among one interface's addresses. */
export function globalAddressOf(
  list: readonly NetworkInterfaceInfo[] | undefined,
  family: 4 | 6,
): string | undefined {
  const name = family === 4 ? 'IPv4' : 'IPv6';
  return list?.find((i) => i.family === name && !i.internal && !/^fe80:/i.test(i.address))?.address;
}

export class LocalSubnets {
  private cache: Subnet[] = [];
  private at = -Infinity;

  constructor(private readonly maxAgeMs = 1000) {}

  private subnets(): Subnet[] {
    const now = Date.now();
    if (now - this.at < this.maxAgeMs) return this.cache;
    const out: Subnet[] = [];
    for (const list of Object.values(networkInterfaces())) {
      for (const i of list ?? []) {
        if (i.internal || !i.cidr) continue;
        const bytes = toBytes(i.address);
        if (bytes) out.push({ bytes, length: Number(i.cidr.split('/')[1]) });
      }
    }
    this.cache = out;
    this.at = now;
    return out;
  }

  /** The interface holding our address `local` (its scope for a scoped link-local one). */
  interfaceOf(local: string): string | undefined {
    const scope = /%(.+)$/.exec(local)?.[1];
    if (scope) return scope;
    const want = toBytes(local);
    if (!want) return undefined;
    for (const [name, list] of Object.entries(networkInterfaces())) {
      for (const i of list ?? []) {
        const b = toBytes(i.address);
        if (b && b.length === want.length && b.every((x, k) => x === want[k])) return name;
      }
    }
    return undefined;
  }

  /** Our IPv6 link-local address on interface `name` (RFC 4291 §2.5.6), if it has one. */
  linkLocalOf(name: string): string | undefined {
    const a = networkInterfaces()[name]?.find((i) => i.family === 'IPv6' && /^fe80:/i.test(i.address));
    return a?.address.replace(/%.*$/, '');
  }

  /** Our first global address of `family` on interface `name`, if it has one. */
  globalOf(name: string, family: 4 | 6): string | undefined {
    return globalAddressOf(networkInterfaces()[name], family);
  }

  /** Whether `address` is on one of our point-to-point subnets (IPv4 /30 or /31, IPv6 /126 or /127). */
  pointToPoint(address: string): boolean {
    const x = toBytes(address);
    if (!x) return false;
    const min = x.length === 4 ? 30 : 126;
    return this.subnets().some((s) => s.length >= min && s.length < x.length * 8 && inSubnet(x, s));
  }

  /** True when `a` and `b` are on one of our connected subnets. */
  shareSubnet(a: string, b: string): boolean {
    const x = toBytes(a);
    const y = toBytes(b);
    if (!x || !y) return false;
    return this.subnets().some((s) => inSubnet(x, s) && inSubnet(y, s));
  }
}
