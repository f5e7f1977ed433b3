/**
 * TCP MD5 signatures (RFC 2385) and GTSM (RFC 5082) as data: the Linux `struct tcp_md5sig` a
 * listener or a connecting socket gets, the table of keys a listener should hold for the
 * configured neighbors and listen ranges, and the TTL check of a saved SYN. Pure; the setsockopt
 * calls are in socket-options.ts.
 */
import { ipv4ToBytes, ipv6ToBytes, parseIPv4, parseIPv6, parsePrefix } from '../util/ip.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
/** struct sockaddr_storage (128) + flags, prefixlen, keylen, ifindex (8) + key[80]. */
export const TCP_MD5SIG_SIZE = 216;
export const TCP_MD5SIG_MAXKEYLEN = 80;
export const TCP_MD5SIG_FLAG_PREFIX = 1;

/** One key on a socket: a peer address, or a prefix (TCP_MD5SIG_EXT + FLAG_PREFIX). */
export interface Md5Key {
  readonly address: string;
  /** Set for a listen range: the key covers every address of the prefix. */
  readonly prefixLength?: number;
  readonly password: string;
}

/** The bytes of an IPv4 address in the socket's family: as is, or v4-mapped on an AF_INET6 socket. */
function addressBytes(address: string, socketFamily: 4 | 6): Uint8Array | null {
  if (parseIPv4(address) >= 0) {
    const v4 = ipv4ToBytes(address);
    if (socketFamily === 4) return v4;
    const mapped = new Uint8Array(16);
    mapped[10] = 0xff;
    mapped[11] = 0xff;
    mapped.set(v4, 12);
    return mapped;
  }
  if (socketFamily === 4 || parseIPv6(address) === null) return null;
  return ipv6ToBytes(address);
}

/** Writes a sockaddr_in / sockaddr_in6 (port 0 unless given) at the start of `b`. */
export function writeSockaddr(b: Buffer, address: string, socketFamily: 4 | 6, port = 0): boolean {
  const bytes = addressBytes(address, socketFamily);
  if (!bytes) return false;
  b.writeUInt16LE(socketFamily === 4 ? AF_INET : AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  b.set(bytes, socketFamily === 4 ? 4 : 8);
  return true;
}

/**
 * `struct tcp_md5sig` for setsockopt(TCP_MD5SIG[_EXT]) on a socket of `socketFamily`; a null
 * password deletes the key (keylen 0). Null when the address cannot go on such a socket (an IPv6
 * peer on an IPv4 listener). Linux takes an IPv4 prefix length for a v4-mapped address.
 */
export function encodeMd5Sig(
  key: Omit<Md5Key, 'password'> & { password: string | null },
  socketFamily: 4 | 6,
) {
  const b = Buffer.alloc(TCP_MD5SIG_SIZE);
  if (!writeSockaddr(b, key.address, socketFamily)) return null;
  const secret = key.password === null ? Buffer.alloc(0) : Buffer.from(key.password, 'utf8');
  if (secret.length > TCP_MD5SIG_MAXKEYLEN) throw new RangeError('TCP MD5 key longer than 80 bytes');
  if (key.prefixLength !== undefined) {
    b.writeUInt8(TCP_MD5SIG_FLAG_PREFIX, 128);
    b.writeUInt8(key.prefixLength, 129);
  }
  b.writeUInt16LE(secret.length, 130);
  secret.copy(b, 136);
  return b;
}

/** Identity of a key slot on a socket (address and prefix length, not the password). */
export const md5Slot = (k: Omit<Md5Key, 'password'>) =>
  k.prefixLength === undefined ? k.address : `${k.address}/${k.prefixLength}`;

interface PasswordHolder {
  readonly password?: string | undefined;
}

/** The keys a listener holds: each neighbor with a password, and each listen range with one. */
export function wantedKeys(
  neighbors: readonly (PasswordHolder & { address: string })[],
  ranges: readonly (PasswordHolder & { prefix: string })[],
): Map<string, Md5Key> {
  const keys = new Map<string, Md5Key>();
  for (const r of ranges) {
    if (r.password === undefined) continue;
    const p = parsePrefix(r.prefix);
    if (!p) continue;
    const address = r.prefix.slice(0, r.prefix.indexOf('/'));
    const k = { address, prefixLength: p.length, password: r.password };
    keys.set(md5Slot(k), k);
  }
  for (const n of neighbors) {
    if (n.password === undefined) continue;
    keys.set(n.address, { address: n.address, password: n.password });
  }
  return keys;
}

/** What to set (added or changed password) and what to delete to go from `installed` to `wanted`. */
export function keyChanges(
  installed: ReadonlyMap<string, Md5Key>,
  wanted: ReadonlyMap<string, Md5Key>,
): { set: Md5Key[]; remove: Md5Key[] } {
  const set = [...wanted.entries()]
    .filter(([slot, k]) => installed.get(slot)?.password !== k.password)
    .map(([, k]) => k);
  const remove = [...installed.entries()].filter(([slot]) => !wanted.has(slot)).map(([, k]) => k);
  return { set, remove };
}

/** RFC 5082 §3: accept only packets with TTL ≥ 256 − hops (hops 1: TTL 255, a directly connected peer). */
export const minTtlFor = (hops: number) => 256 - hops;

/** `ttl-security` as hops: true means 1, an object its `hops`, false or absent none. */
export function gtsmHops(setting: boolean | { hops: number } | undefined): number | undefined {
  if (setting === undefined || setting === false) return undefined;
  return setting === true ? 1 : setting.hops;
}

/** The TTL (IPv4) or hop limit (IPv6) of a SYN saved by TCP_SAVE_SYN (its IP header first); null if unreadable. */
export function synTtl(header: Uint8Array): number | null {
  if (header.length < 20) return null;
  const version = header[0] >> 4;
  if (version === 4) return header[8];
  if (version === 6 && header.length >= 40) return header[7];
  return null;
}
