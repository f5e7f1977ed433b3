/**
 * A raw ICMPv6 socket bound to one interface, through libc (koffi FFI, prebuilt in its npm
 * package): sends Router Advertisements to all-nodes (ff02::1, hop limit 255 as RFC 4861 §6.1.2
 * requires) and reads the RAs and RSs of the link without blocking. The kernel fills in the
 * ICMPv6 checksum (RFC 3542 §3.1). Linux only; needs CAP_NET_RAW. Protocol logic is elsewhere.
 */

import { formatIPv6 } from '../util/ip.js';
import {
  AF_INET6,
  IPPROTO_IPV6,
  IPV6_UNICAST_HOPS,
  type Libc,
  libc,
  MSG_DONTWAIT,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_SOCKET,
} from '../util/libc.js';
import { Icmp6Type } from './router-advert.js';

const IPPROTO_ICMPV6 = 58;
const SO_BINDTODEVICE = 25;
const IPV6_MULTICAST_IF = 17;
const IPV6_MULTICAST_HOPS = 18;
const IPV6_MULTICAST_LOOP = 19;
const ICMP6_FILTER = 1;
const SOCKADDR_IN6 = 28;
const ALL_NODES = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

const int = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
};

/** ICMP6_FILTER (RFC 3542 §3.2): a set bit blocks the type; only RS and RA pass. */
function filter(): Buffer {
  const b = Buffer.alloc(32, 0xff);
  for (const t of [Icmp6Type.ROUTER_SOLICITATION, Icmp6Type.ROUTER_ADVERTISEMENT]) {
    const at = (t >> 5) * 4;
    b.writeUInt32LE((b.readUInt32LE(at) & ~(1 << (t & 31))) >>> 0, at);
  }
  return b;
}

export interface Icmp6Message {
  /** The sender's address with its zone (`fe80::1%eth1`). */
  readonly from: string;
  readonly data: Uint8Array;
}

export class Icmp6Socket {
  private readonly buf = Buffer.alloc(1500);
  private readonly from = Buffer.alloc(SOCKADDR_IN6);
  private readonly fromLen = Buffer.alloc(4);
  private closed = false;

  private constructor(
    private readonly c: Libc,
    private readonly fd: number,
    readonly ifname: string,
    private readonly ifindex: number,
  ) {}

  /** Opens the socket on `ifname`; throws with the reason (no such interface, no CAP_NET_RAW). */
  static open(ifname: string): Icmp6Socket {
    const c = libc();
    const ifindex = c.if_nametoindex(ifname);
    if (!ifindex) throw new Error(`no interface ${ifname}`);
    const fd = c.socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    if (fd < 0) throw new Error(`raw ICMPv6 socket: errno ${c.errno()} (needs CAP_NET_RAW)`);
    const dev = Buffer.from(`${ifname}\0`);
    const opts: [number, number, Buffer][] = [
      [SOL_SOCKET, SO_BINDTODEVICE, dev],
      [IPPROTO_IPV6, IPV6_MULTICAST_IF, int(ifindex)],
      [IPPROTO_IPV6, IPV6_MULTICAST_HOPS, int(255)],
      [IPPROTO_IPV6, IPV6_UNICAST_HOPS, int(255)],
      [IPPROTO_IPV6, IPV6_MULTICAST_LOOP, int(0)],
      [IPPROTO_ICMPV6, ICMP6_FILTER, filter()],
    ];
    for (const [level, name, value] of opts) {
      if (c.setsockopt(fd, level, name, value, value.length) !== 0) {
        const errno = c.errno();
        c.close(fd);
        throw new Error(`setsockopt(${level}, ${name}) on ${ifname}: errno ${errno}`);
      }
    }
    return new Icmp6Socket(c, fd, ifname, ifindex);
  }

  /** Sends `data` to all nodes of the link (ff02::1); returns an error text or null. */
  sendAllNodes(data: Uint8Array): string | null {
    if (this.closed) return 'closed';
    const to = Buffer.alloc(SOCKADDR_IN6);
    to.writeUInt16LE(AF_INET6, 0);
    to.set(ALL_NODES, 8);
    to.writeUInt32LE(this.ifindex, 24);
    const b = Buffer.from(data);
    const n = this.c.sendto(this.fd, b, b.length, 0, to, SOCKADDR_IN6);
    return n === b.length ? null : `sendto on ${this.ifname}: errno ${this.c.errno()}`;
  }

  /** Every message waiting on the socket (none when nothing came). */
  drain(): Icmp6Message[] {
    const out: Icmp6Message[] = [];
    while (!this.closed) {
      this.fromLen.writeUInt32LE(SOCKADDR_IN6);
      const n = Number(
        this.c.recvfrom(this.fd, this.buf, this.buf.length, MSG_DONTWAIT, this.from, this.fromLen),
      );
      if (n < 0) break;
      out.push({
        from: `${formatIPv6(this.from, 8)}%${this.ifname}`,
        data: Uint8Array.from(this.buf.subarray(0, n)),
      });
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.c.close(this.fd);
  }
}
