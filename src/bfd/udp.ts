/**
 * BFD's UDP edge (RFC 5881 single hop, RFC 5883 multihop). Receiving: Node's dgram cannot tell the
 * TTL a datagram arrived with, which RFC 5881 §5 requires (GTSM: 255), so the receive sockets on
 * 3784/4784 are made with socket(2) through koffi, with IP_RECVTTL / IPV6_RECVHOPLIMIT, read with
 * recvmsg(2); readiness comes from poll(2) run on one libuv pool thread (koffi's async call), woken
 * through a pipe on close. Sending: a dgram socket per session from a port in 49152–65535 (RFC 5881
 * §4), TTL 255. Linux, 64-bit only (struct layouts); where the FFI cannot load, open() says why.
 */
import dgram from 'node:dgram';
import { formatIPv6 } from '../util/ip.js';
import {
  AF_INET,
  AF_INET6,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  type Libc,
  libc,
  MSG_DONTWAIT,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOL_SOCKET,
} from '../util/libc.js';

export const SINGLE_HOP_PORT = 3784;
export const MULTIHOP_PORT = 4784;

const SOCK_DGRAM = 2;
const SO_REUSEADDR = 2;
const IP_RECVTTL = 12;
const IPV6_V6ONLY = 26;
const IPV6_RECVHOPLIMIT = 51;
const IPV6_HOPLIMIT = 52;
const POLLIN = 1;

export interface Datagram {
  readonly data: Buffer;
  /** Source address (IPv6 without scope) and port. */
  readonly address: string;
  readonly port: number;
  /** TTL / hop limit the datagram arrived with; -1 when the kernel did not say. */
  readonly ttl: number;
  /** Arrived on 4784. */
  readonly multihop: boolean;
}

/** libc, or why the FFI is unavailable. */
function loadLibc(): Libc | string {
  try {
    return libc();
  } catch (e) {
    return `koffi could not load libc: ${(e as Error).message}`;
  }
}

const int = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
};

function sockaddr(family: 4 | 6, port: number): Buffer {
  const b = Buffer.alloc(family === 4 ? 16 : 28);
  b.writeUInt16LE(family === 4 ? AF_INET : AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  return b;
}

/** Source of a datagram from its sockaddr_in / sockaddr_in6. */
export function parseSockaddr(b: Buffer): { address: string; port: number } | null {
  const family = b.readUInt16LE(0);
  const port = b.readUInt16BE(2);
  if (family === AF_INET) return { address: [...b.subarray(4, 8)].join('.'), port };
  if (family !== AF_INET6) return null;
  return { address: formatIPv6(b, 8), port };
}

/** The TTL (IP_TTL) or hop limit (IPV6_HOPLIMIT) control message of a recvmsg; -1 when absent. */
export function ttlFromControl(ctl: Buffer, length: number): number {
  for (let off = 0; off + 16 <= length; ) {
    const len = Number(ctl.readBigUInt64LE(off));
    if (len < 16) break;
    const level = ctl.readInt32LE(off + 8);
    const type = ctl.readInt32LE(off + 12);
    if ((level === IPPROTO_IP && type === IP_TTL) || (level === IPPROTO_IPV6 && type === IPV6_HOPLIMIT))
      return ctl.readInt32LE(off + 16);
    off += (len + 7) & ~7;
  }
  return -1;
}

interface RxSocket {
  readonly fd: number;
  readonly multihop: boolean;
}

/** The receive side: one socket per family and port, one poll(2) over all of them at a time. */
export class BfdReceiver {
  private closed = false;
  private readonly data = Buffer.alloc(2048);
  private readonly name = Buffer.alloc(128);
  private readonly ctl = Buffer.alloc(256);
  private readonly iov = Buffer.alloc(16);
  private readonly msg = Buffer.alloc(56);
  private readonly pollFds: Buffer;

  private constructor(
    private readonly c: Libc,
    private readonly sockets: RxSocket[],
    private readonly wake: [number, number],
    private readonly onDatagram: (d: Datagram) => void,
  ) {
    const addr = (b: Buffer) => BigInt(c.memmove(b, b, 0));
    this.iov.writeBigUInt64LE(addr(this.data), 0);
    this.iov.writeBigUInt64LE(BigInt(this.data.length), 8);
    this.msg.writeBigUInt64LE(addr(this.name), 0);
    this.msg.writeBigUInt64LE(addr(this.iov), 16);
    this.msg.writeBigUInt64LE(1n, 24);
    this.msg.writeBigUInt64LE(addr(this.ctl), 32);
    this.pollFds = Buffer.alloc(8 * (sockets.length + 1));
    [...sockets.map((s) => s.fd), wake[0]].forEach((fd, i) => {
      this.pollFds.writeInt32LE(fd, i * 8);
      this.pollFds.writeInt16LE(POLLIN, i * 8 + 4);
    });
  }

  /**
   * Binds 3784 and 4784 (or the given ports) on every address of both families; IPv6 only when the
   * host has it. Returns an error text when nothing could be bound.
   */
  static open(
    onDatagram: (d: Datagram) => void,
    ports = { single: SINGLE_HOP_PORT, multi: MULTIHOP_PORT },
  ): BfdReceiver | string {
    const c = loadLibc();
    if (typeof c === 'string') return c;
    const sockets: RxSocket[] = [];
    const errors: string[] = [];
    for (const family of [4, 6] as const) {
      for (const [port, multihop] of [
        [ports.single, false],
        [ports.multi, true],
      ] as const) {
        const r = openRx(c, family, port);
        if (typeof r === 'number') sockets.push({ fd: r, multihop });
        else if (family === 4) errors.push(r);
      }
    }
    const pipe = Buffer.alloc(8);
    if (errors.length || c.pipe2(pipe, 0o2000000 | 0o4000) !== 0) {
      for (const s of sockets) c.close(s.fd);
      return errors.join('; ') || `pipe2() failed: errno ${c.errno()}`;
    }
    const rx = new BfdReceiver(c, sockets, [pipe.readInt32LE(0), pipe.readInt32LE(4)], onDatagram);
    rx.arm();
    return rx;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // The poll thread returns on the pipe; its callback closes the descriptors.
    this.c.write(this.wake[1], Buffer.from([1]), 1);
  }

  /** Every datagram queued on the sockets now, delivered before this returns. */
  drainAll(): void {
    if (!this.closed) for (const s of this.sockets) this.drain(s);
  }

  private arm(): void {
    this.c.poll.async(this.pollFds, this.sockets.length + 1, -1, () => {
      if (this.closed) {
        for (const s of this.sockets) this.c.close(s.fd);
        this.c.close(this.wake[0]);
        this.c.close(this.wake[1]);
        return;
      }
      for (const s of this.sockets) this.drain(s);
      this.arm();
    });
  }

  private drain(s: RxSocket): void {
    for (;;) {
      this.msg.writeUInt32LE(this.name.length, 8);
      this.msg.writeBigUInt64LE(BigInt(this.ctl.length), 40);
      this.msg.writeInt32LE(0, 48);
      const n = Number(this.c.recvmsg(s.fd, this.msg, MSG_DONTWAIT));
      // EAGAIN: drained; any other error ends this round too (the next poll tries again).
      if (n < 0) return;
      const from = parseSockaddr(this.name.subarray(0, this.msg.readUInt32LE(8)));
      if (!from) continue;
      const ttl = ttlFromControl(this.ctl, Number(this.msg.readBigUInt64LE(40)));
      this.onDatagram({ data: Buffer.from(this.data.subarray(0, n)), ...from, ttl, multihop: s.multihop });
    }
  }
}

function openRx(c: Libc, family: 4 | 6, port: number): number | string {
  const fd = c.socket(family === 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return `socket() failed: errno ${c.errno()}`;
  const opt = (level: number, name: number, v: number) => c.setsockopt(fd, level, name, int(v), 4) === 0;
  const ok =
    opt(SOL_SOCKET, SO_REUSEADDR, 1) &&
    (family === 4
      ? opt(IPPROTO_IP, IP_RECVTTL, 1)
      : opt(IPPROTO_IPV6, IPV6_V6ONLY, 1) && opt(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1));
  const addr = sockaddr(family, port);
  if (!ok || c.bind(fd, addr, addr.length) !== 0) {
    const errno = c.errno();
    c.close(fd);
    return `cannot bind UDP ${family === 4 ? '0.0.0.0' : '[::]'}:${port}: errno ${errno}${errno === 98 ? ' (address in use: another BFD daemon?)' : ''}`;
  }
  return fd;
}

/** RFC 5881 §4: "The source port MUST be in the range 49152 through 65535", the same for the session. */
export const SOURCE_PORTS = { first: 49152, last: 65535 } as const;

/** One session's sending socket: TTL / hop limit 255 (RFC 5881 §5, RFC 5883 §5). */
export async function openSender(
  peer: string,
  localAddress: string | undefined,
  random: () => number = Math.random,
): Promise<{ send(b: Buffer, port: number): void; close(): void; port: number }> {
  const type = peer.includes(':') ? 'udp6' : 'udp4';
  for (let attempt = 0; ; attempt++) {
    const port = SOURCE_PORTS.first + Math.floor(random() * (SOURCE_PORTS.last - SOURCE_PORTS.first + 1));
    const s = dgram.createSocket({ type, reuseAddr: false });
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind({ port, ...(localAddress && { address: localAddress }), exclusive: true }, () => {
          s.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      s.close();
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 20) continue;
      throw e;
    }
    s.setTTL(255);
    // A send error (no route yet, link down) is what BFD is there to detect: not an exception.
    s.on('error', () => {});
    return {
      port,
      send: (b, dport) => s.send(b, dport, peer, () => {}),
      close: () => s.close(),
    };
  }
}
