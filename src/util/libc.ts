/**
 * The C library through koffi: one table of the calls rackbgp's socket edges make (TCP options,
 * BFD's UDP with recvmsg, the ICMPv6 socket for router advertisements, rtnetlink). Loaded once per
 * thread on first use; `libc()` throws when the FFI is unavailable and each caller says what it
 * falls back to. Pointers are Buffers (or addresses from memmove); errno is read right after a call.
 */
import { createRequire } from 'node:module';

/** Linux socket constants the edges share (socket(2), setsockopt(2), <linux/in.h>, <linux/in6.h>). */
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const IPPROTO_IP = 0;
export const IPPROTO_IPV6 = 41;
export const IP_TTL = 2;
export const IPV6_UNICAST_HOPS = 16;
export const MSG_DONTWAIT = 0x40;

/** A libc call; `async` runs it on koffi's thread pool (BFD's blocking poll). */
export type LibcCall = ((...a: unknown[]) => number) & { async: (...a: unknown[]) => void };

export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, length: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  getsockopt(fd: number, level: number, name: number, value: Buffer, length: Buffer): number;
  send(fd: number, buf: Buffer, len: number, flags: number): number;
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  sendto(fd: number, buf: Buffer, len: number, flags: number, to: Buffer, tolen: number): number;
  recvfrom(fd: number, buf: Buffer, len: number, flags: number, from: Buffer, fromlen: Buffer): number;
  recvmsg: LibcCall;
  poll: LibcCall;
  pipe2(fds: Buffer, flags: number): number;
  write(fd: number, buf: Buffer, n: number): number;
  close(fd: number): number;
  setns(fd: number, nstype: number): number;
  if_nametoindex(name: string): number;
  strerror(errno: number): string;
  /** memmove(p, p, 0) returns p: the address of a Buffer's bytes for pointers inside structs. */
  memmove(dst: Buffer, src: Buffer, n: number): number | bigint;
  errno(): number;
}

const loaded: { libc?: Libc } = {};

export function libc(): Libc {
  if (loaded.libc) return loaded.libc;
  const koffi = createRequire(import.meta.url)('koffi');
  const lib = koffi.load('libc.so.6');
  const f = (prototype: string) => lib.func(prototype);
  loaded.libc = {
    socket: f('int socket(int domain, int type, int protocol)'),
    bind: f('int bind(int fd, const void *addr, uint32_t len)'),
    setsockopt: f('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)'),
    getsockopt: f('int getsockopt(int fd, int level, int name, void *val, void *len)'),
    send: f('long send(int fd, const void *buf, size_t len, int flags)'),
    recv: f('long recv(int fd, void *buf, size_t len, int flags)'),
    sendto: f('long sendto(int fd, const void *buf, size_t len, int flags, const void *to, uint32_t tolen)'),
    recvfrom: f('long recvfrom(int fd, void *buf, size_t len, int flags, void *from, void *fromlen)'),
    recvmsg: f('intptr_t recvmsg(int fd, void *msg, int flags)'),
    poll: f('int poll(void *fds, uint64_t n, int timeout)'),
    pipe2: f('int pipe2(void *fds, int flags)'),
    write: f('intptr_t write(int fd, const void *buf, uint64_t n)'),
    close: f('int close(int fd)'),
    setns: f('int setns(int fd, int nstype)'),
    if_nametoindex: f('unsigned int if_nametoindex(const char *name)'),
    strerror: f('const char *strerror(int errnum)'),
    memmove: f('uintptr_t memmove(void *dst, const void *src, uint64_t n)'),
    errno: () => koffi.errno() as number,
  };
  return loaded.libc;
}
