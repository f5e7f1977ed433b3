/**
 * A NETLINK_ROUTE socket through libc (koffi, as src/session/socket-options.ts): opened in this
 * namespace or in a named one (setns around socket(2)), with extended and capped ACKs and a receive
 * buffer large enough for the ACKs of one send. Sends and receives are synchronous: the kernel runs
 * rtnetlink requests inside sendmsg, so their ACKs are queued when send() returns. No message
 * format here (netlink-messages.ts).
 */
import { closeSync, openSync } from 'node:fs';
import { type Libc, libc, MSG_DONTWAIT, SOCK_CLOEXEC, SOCK_RAW, SOL_SOCKET } from '../util/libc.js';

const AF_NETLINK = 16;
const NETLINK_ROUTE = 0;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
const CLONE_NEWNET = 0x40000000;
export const EAGAIN = 11;
export const ENOBUFS = 105;
const EINTR = 4;

export class NetlinkError extends Error {
  constructor(
    readonly op: string,
    readonly errno: number,
    text: string,
  ) {
    super(`netlink ${op}: ${text} (errno ${errno})`);
  }
}

function int(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

export class NetlinkSocket {
  private closed = false;

  private constructor(
    private readonly c: Libc,
    private readonly fd: number,
  ) {}

  /**
   * Opens a NETLINK_ROUTE socket, in network namespace `netns` (a name under /run/netns) when
   * given: the calling thread enters it for socket(2) only and returns at once (the socket stays
   * in it). Throws NetlinkError (or the FFI's load error) when that is not possible.
   */
  static open(o: { netns?: string; rcvbuf?: number } = {}): NetlinkSocket {
    const c = libc();
    const fd = o.netns ? inNamespace(c, o.netns, () => rawSocket(c)) : rawSocket(c);
    const s = new NetlinkSocket(c, fd);
    try {
      s.opt(SOL_NETLINK, NETLINK_EXT_ACK, 1, true);
      s.opt(SOL_NETLINK, NETLINK_CAP_ACK, 1, true);
      s.opt(SOL_SOCKET, SO_SNDBUF, 1 << 20, true);
      const rcv = o.rcvbuf ?? 8 << 20;
      // FORCE passes net.core.rmem_max (needs CAP_NET_ADMIN, which a FIB writer has anyway).
      if (!s.opt(SOL_SOCKET, SO_RCVBUFFORCE, rcv, true)) s.opt(SOL_SOCKET, SO_RCVBUF, rcv, false);
    } catch (e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** Sends `len` octets of `buf` (one or more messages) to the kernel in one datagram. */
  send(buf: Buffer, len = buf.length): void {
    for (;;) {
      const n = this.c.send(this.fd, buf, len, 0);
      if (n === len) return;
      const e = this.c.errno();
      if (n < 0 && e === EINTR) continue;
      throw this.error('send', n < 0 ? e : 0);
    }
  }

  /** Receives one datagram without waiting; 0 when nothing is queued. Throws on ENOBUFS (ACKs lost). */
  recv(buf: Buffer): number {
    for (;;) {
      const n = this.c.recv(this.fd, buf, buf.length, MSG_DONTWAIT);
      if (n >= 0) return n;
      const e = this.c.errno();
      if (e === EINTR) continue;
      if (e === EAGAIN) return 0;
      throw this.error('recv', e);
    }
  }

  /** The C library's text for an errno ("File exists"). */
  strerror(errno: number): string {
    return this.c.strerror(errno);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.c.close(this.fd);
  }

  private opt(level: number, name: number, value: number, soft: boolean): boolean {
    const v = int(value);
    if (this.c.setsockopt(this.fd, level, name, v, 4) === 0) return true;
    if (soft) return false;
    throw this.error(`setsockopt(${level}, ${name})`, this.c.errno());
  }

  private error(op: string, errno: number): NetlinkError {
    return new NetlinkError(op, errno, errno ? this.c.strerror(errno) : 'short write');
  }
}

function rawSocket(c: Libc): number {
  const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    const e = c.errno();
    throw new NetlinkError('socket', e, c.strerror(e));
  }
  return fd;
}

/** Runs `fn` with the calling thread in namespace `name`, then moves it back. */
function inNamespace<T>(c: Libc, name: string, fn: () => T): T {
  const home = openSync('/proc/thread-self/ns/net', 'r');
  let target: number;
  try {
    target = openSync(`/run/netns/${name}`, 'r');
  } catch (e) {
    closeSync(home);
    throw new Error(`netlink: no network namespace ${name}: ${(e as Error).message}`);
  }
  try {
    if (c.setns(target, CLONE_NEWNET) !== 0) {
      const e = c.errno();
      throw new NetlinkError(`setns(${name})`, e, c.strerror(e));
    }
    try {
      return fn();
    } finally {
      if (c.setns(home, CLONE_NEWNET) !== 0) {
        // Staying in the wrong namespace would misdirect every later socket: stop here.
        process.abort();
      }
    }
  } finally {
    closeSync(target);
    closeSync(home);
  }
}
