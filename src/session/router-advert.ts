/**
 * IPv6 Router Advertisement and Solicitation (RFC 4861 §4.1, §4.2), the part unnumbered BGP needs:
 * the RA we send so a neighbor learns our link-local address (router lifetime 0: not a default
 * router, §6.2.3), and the check of a received ICMPv6 message. Pure; no socket here.
 */

export const Icmp6Type = { ROUTER_SOLICITATION: 133, ROUTER_ADVERTISEMENT: 134 } as const;

/** RFC 4861 §4.6.1 Source Link-Layer Address option. */
const OPTION_SOURCE_LL = 1;

/**
 * An RA: cur hop limit 64, no M/O flags, router lifetime 0 (RFC 4861 §4.2: not a default router),
 * no reachable/retrans times, and our MAC in a Source Link-Layer Address option when known. The
 * checksum stays 0: the kernel computes it for raw ICMPv6 sockets (RFC 3542 §3.1).
 */
export function encodeRouterAdvert(mac?: Uint8Array): Uint8Array {
  const withMac = mac !== undefined && mac.length === 6;
  const out = new Uint8Array(16 + (withMac ? 8 : 0));
  out[0] = Icmp6Type.ROUTER_ADVERTISEMENT;
  out[4] = 64;
  if (withMac) {
    out[16] = OPTION_SOURCE_LL;
    out[17] = 1; // length in units of 8 octets
    out.set(mac, 18);
  }
  return out;
}

/**
 * What a received ICMPv6 message is to us: an RA or RS that passes the checks of RFC 4861 §6.1.1
 * and §6.1.2 that can be made on the message itself (code 0, length, well-formed options), or null.
 * The hop-limit 255 check needs the IPv6 header, which a raw socket does not hand over without
 * recvmsg ancillary data: the caller only learns an address from it, which the BGP session verifies.
 */
export function classifyIcmp6(
  m: Uint8Array,
): typeof Icmp6Type.ROUTER_ADVERTISEMENT | typeof Icmp6Type.ROUTER_SOLICITATION | null {
  if (m.length < 8 || m[1] !== 0) return null;
  const type = m[0];
  const fixed = type === Icmp6Type.ROUTER_ADVERTISEMENT ? 16 : type === Icmp6Type.ROUTER_SOLICITATION ? 8 : 0;
  if (fixed === 0 || m.length < fixed) return null;
  // §6.1.2: every option's length is greater than zero.
  for (let p = fixed; p < m.length; ) {
    if (p + 2 > m.length || m[p + 1] === 0) return null;
    p += m[p + 1] * 8;
    if (p > m.length) return null;
  }
  return type as typeof Icmp6Type.ROUTER_ADVERTISEMENT | typeof Icmp6Type.ROUTER_SOLICITATION;
}
