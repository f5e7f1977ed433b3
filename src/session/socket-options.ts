/**
 * Socket options Node's `net` cannot set, through libc (koffi FFI, prebuilt in its npm package):
 * the IP TTL for eBGP (RFC 4271 §8 single-hop default 1, `ebgp-multihop N`), TCP MD5 keys
 * (RFC 2385) on listeners and connecting sockets, and GTSM (RFC 5082: TTL 255 out, IP_MINTTL /
 * IPV6_MINHOPCOUNT in, the TTL of the saved SYN of an accepted connection).
 *
 * Active sessions that need an option before the SYN leaves (a key, GTSM) get their socket from
 * socket(2) here, options set, wrapped in a net.Socket that Node then connects itself: connect
 * completion, ECONNREFUSED and timeouts are reported exactly as for net.connect.
 * Linux only; where the FFI cannot load, every call returns an error text.
 */

import net from 'node:net';
import { ipFamily } from '../util/ip.js';
import {
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_UNICAST_HOPS,
  type Libc,
  libc,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
} from '../util/libc.js';
import { encodeMd5Sig, type Md5Key, synTtl } from './tcp-md5.js';

const IP_MINTTL = 21;
const IPPROTO_TCP = 6;
const TCP_MD5SIG = 14;
const TCP_SAVE_SYN = 27;
const TCP_SAVED_SYN = 28;
const TCP_MD5SIG_EXT = 32;
const IPV6_MINHOPCOUNT = 73;
const SOCK_STREAM = 1;

/** libc, or null when the FFI is unavailable (the options are then reported as unsupported). */
function loadLibc(): Libc | null {
  try {
    return libc();
  } catch {
    return null;
  }
}

const UNAVAILABLE = 'setsockopt is unavailable (koffi could not load libc)';

type Handle = { _handle?: { fd?: number } };
const fdOf = (s: net.Socket | net.Server): number | undefined => (s as unknown as Handle)._handle?.fd;

function int(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

function setopt(fd: number, level: number, name: number, value: Buffer): string | null {
  const c = loadLibc();
  if (!c) return UNAVAILABLE;
  if (c.setsockopt(fd, level, name, value, value.length) === 0) return null;
  return `setsockopt(${level}, ${name}) failed: errno ${c.errno()}`;
}

/** True when the traffic of `socket` is IPv6 (not an IPv4 peer on a dual-stack socket). */
const isV6 = (socket: net.Socket) =>
  socket.remoteFamily === 'IPv6' && !(socket.remoteAddress ?? '').startsWith('::ffff:');

function ttlOpts(fd: number, v6: boolean, ttl: number, minTtl?: number): string | null {
  const err = v6
    ? setopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, int(ttl))
    : setopt(fd, IPPROTO_IP, IP_TTL, int(ttl));
  if (err || minTtl === undefined) return err;
  return v6
    ? setopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, int(minTtl))
    : setopt(fd, IPPROTO_IP, IP_MINTTL, int(minTtl));
}

/** Sets the unicast TTL / hop limit of a connected socket, and the minimum accepted (GTSM) when given. */
export function setTtl(socket: net.Socket, ttl: number, minTtl?: number): string | null {
  const fd = fdOf(socket);
  if (fd === undefined || fd < 0) return 'socket has no file descriptor';
  return ttlOpts(fd, isV6(socket), ttl, minTtl);
}

/** Family of a socket from the address it is bound to (a listener: its listen address). */
const serverFamily = (server: net.Server): 4 | 6 =>
  (server.address() as net.AddressInfo | null)?.family === 'IPv6' ? 6 : 4;

/**
 * Installs (password) or deletes (null) one TCP MD5 key on a listener. Keys for addresses the
 * listener's family cannot carry (IPv6 on an IPv4 listener) are skipped: null, nothing to do.
 */
export function setListenerKey(
  server: net.Server,
  key: Omit<Md5Key, 'password'> & { password: string | null },
): string | null {
  const fd = fdOf(server);
  if (fd === undefined || fd < 0) return 'listener has no file descriptor';
  const family = serverFamily(server);
  if (family === 4 && ipFamily(key.address) === 6) return null;
  const sig = encodeMd5Sig(key, family);
  if (!sig) return `cannot encode a key for ${key.address}`;
  return setopt(fd, IPPROTO_TCP, key.prefixLength === undefined ? TCP_MD5SIG : TCP_MD5SIG_EXT, sig);
}

/**
 * GTSM on a listener: TTL 255 for its SYN-ACKs (a GTSM peer that set its minimum before connecting
 * drops anything less) and TCP_SAVE_SYN, so the TTL of each accepted connection's SYN can be
 * checked per neighbor (synTtlOf). `on: false` puts both back to the defaults.
 */
export function setListenerGtsm(server: net.Server, on: boolean): string | null {
  const fd = fdOf(server);
  if (fd === undefined || fd < 0) return 'listener has no file descriptor';
  const v6 = serverFamily(server) === 6;
  const ttl = int(on ? 255 : -1);
  const err = v6
    ? (setopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl) ?? setopt(fd, IPPROTO_IP, IP_TTL, ttl))
    : setopt(fd, IPPROTO_IP, IP_TTL, ttl);
  return err ?? setopt(fd, IPPROTO_TCP, TCP_SAVE_SYN, int(on ? 1 : 0));
}

/** The TTL / hop limit the SYN of an accepted connection arrived with (TCP_SAVED_SYN); null when not saved. */
export function synTtlOf(socket: net.Socket): number | null {
  const c = loadLibc();
  const fd = fdOf(socket);
  if (!c || fd === undefined || fd < 0) return null;
  const header = Buffer.alloc(512);
  const len = int(header.length);
  if (c.getsockopt(fd, IPPROTO_TCP, TCP_SAVED_SYN, header, len) !== 0) return null;
  return synTtl(header.subarray(0, len.readInt32LE(0)));
}

export interface PreparedConnect {
  readonly address: string;
  readonly port: number;
  readonly localAddress?: string;
  /** TCP MD5 key for the peer (RFC 2385): on the socket before the SYN. */
  readonly password?: string;
  readonly ttl?: number;
  /** GTSM minimum TTL of what the peer sends, the SYN-ACK included. */
  readonly minTtl?: number;
}

/**
 * An outgoing connection whose options are set before connect(): socket(2), the options, then a
 * net.Socket over the descriptor that Node connects (and binds to localAddress) itself, so
 * 'connect', ECONNREFUSED and the rest behave as with net.connect. Throws when an option cannot be
 * set: a session with a password must never go out without it.
 */
export function connectPrepared(o: PreparedConnect): net.Socket {
  const c = loadLibc();
  if (!c) throw new Error(UNAVAILABLE);
  const v6 = ipFamily(o.address.replace(/%.*$/, '')) === 6; // a link-local address has a zone
  const fd = c.socket(v6 ? 10 : 2, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error(`socket() failed: errno ${c.errno()}`);
  let socket: net.Socket;
  try {
    let err: string | null = null;
    if (o.password !== undefined) {
      const sig = encodeMd5Sig({ address: o.address, password: o.password }, v6 ? 6 : 4);
      err = sig ? setopt(fd, IPPROTO_TCP, TCP_MD5SIG, sig) : `cannot encode a key for ${o.address}`;
    }
    if (!err && o.ttl !== undefined) err = ttlOpts(fd, v6, o.ttl, o.minTtl);
    if (err) throw new Error(err);
    // manualStart: no read before the connection exists (an unconnected socket polls as hung up).
    socket = new net.Socket({ fd, manualStart: true } as net.SocketConstructorOpts);
  } catch (e) {
    c.close(fd);
    throw e;
  }
  return socket.connect({
    host: o.address,
    port: o.port,
    ...(o.localAddress && { localAddress: o.localAddress }),
  });
}
