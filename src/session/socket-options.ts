/**
 * Socket options Node's `net` cannot set, through libc's setsockopt (koffi FFI, prebuilt in its npm
 * package): the IP TTL for eBGP (RFC 4271 §8 eBGP single-hop default 1, `ebgp-multihop N`).
 * Linux only; where the FFI cannot load, options are skipped with one warning.
 */

import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

const IPPROTO_IP = 0;
const IP_TTL = 2;
const IPPROTO_IPV6 = 41;
const IPV6_UNICAST_HOPS = 16;

type SetSockOpt = (fd: number, level: number, name: number, value: Buffer, length: number) => number;

let setsockopt: SetSockOpt | null | undefined;

function libc(): SetSockOpt | null {
  if (setsockopt !== undefined) return setsockopt;
  try {
    const koffi = createRequire(import.meta.url)('koffi');
    const lib = koffi.load('libc.so.6');
    setsockopt = lib.func(
      'int setsockopt(int fd, int level, int name, const void *val, uint32_t len)',
    ) as SetSockOpt;
  } catch {
    setsockopt = null;
  }
  return setsockopt;
}

const fdOf = (s: Socket): number | undefined => (s as unknown as { _handle?: { fd?: number } })._handle?.fd;

/** Sets the unicast TTL / hop limit of a connected socket; returns an error text or null. */
export function setTtl(socket: Socket, ttl: number): string | null {
  const call = libc();
  if (!call) return 'setsockopt is unavailable (koffi could not load libc)';
  const fd = fdOf(socket);
  if (fd === undefined || fd < 0) return 'socket has no file descriptor';
  const v = Buffer.alloc(4);
  v.writeInt32LE(ttl);
  const v6 = socket.remoteFamily === 'IPv6' && !(socket.remoteAddress ?? '').startsWith('::ffff:');
  const rc = v6 ? call(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, v, 4) : call(fd, IPPROTO_IP, IP_TTL, v, 4);
  return rc === 0 ? null : `setsockopt failed (${rc})`;
}
