/**
 * Next hops toward unnumbered and RFC 8950 peers: IPv4 routes get our IPv6 (link-local) next hop
 * where the session has no IPv4 address and Extended Next Hop was negotiated; a reflector passes a
 * next hop on unchanged (RFC 4456 §10) unless the receiver cannot use it: a link-local one from
 * another link (RFC 2545 §3), an IPv6 one for IPv4 to a peer without RFC 8950 (§4).
 */
import { describe, expect, test } from 'vitest';
import { rewrite, selfNextHop } from '../../../src/rib/export-rules.js';
import type { PeerInfo } from '../../../src/rib/types.js';
import { attrs, ebgp, exportOptions, ibgp, LOCAL, LOCAL_PEER, pathFactory } from './fixtures.js';

const path = pathFactory();
/** Without the fixture's default IPv4 address: an unnumbered session has none. */
const noV4 = (p: PeerInfo): PeerInfo => {
  const { localAddress4: _, ...rest } = p;
  return rest;
};
const UNNUMBERED = noV4(
  ebgp('fe80::2%eth1', 65100, {
    localAddress6: 'fe80::1',
    interface: 'eth1',
    extendedNextHop4: true,
  }),
);
const CLIENT_A = noV4(
  ibgp('fd00::a', true, { localAddress6: 'fd00::1', extendedNextHop4: true, interface: 'eth2' }),
);
const CLIENT_B = noV4(
  ibgp('fd00::b', true, { localAddress6: 'fd00::1', extendedNextHop4: true, interface: 'eth2' }),
);
const V4_CLIENT = ibgp('10.0.0.9', true, { localAddress4: '10.0.0.1', interface: 'eth3' });

describe('selfNextHop', () => {
  test('IPv4 over an RFC 8950 session without an IPv4 address: our IPv6 address', () => {
    expect(selfNextHop(UNNUMBERED, 4)).toEqual({ self: 'fe80::1' });
    expect(selfNextHop({ ...UNNUMBERED, extendedNextHop4: false } as PeerInfo, 4)).toEqual({});
    expect(selfNextHop({ ...UNNUMBERED, localAddress4: '10.9.0.1' } as PeerInfo, 4)).toEqual({
      self: '10.9.0.1',
    });
    expect(selfNextHop({ ...CLIENT_A, localLinkLocal6: 'fe80::1' } as PeerInfo, 4)).toEqual({
      self: 'fd00::1',
      linkLocal: 'fe80::1',
    });
  });

  test('a local IPv4 route toward an unnumbered eBGP peer goes with our link-local next hop', () => {
    expect(rewrite(path(LOCAL_PEER, attrs()), UNNUMBERED, LOCAL, exportOptions(), 4).nextHop).toBe('fe80::1');
  });
});

describe('next hop passed on by a reflector', () => {
  test('an IPv6 global next hop of an IPv4 route goes unchanged to RFC 8950 clients', () => {
    const p = path(CLIENT_A, attrs({ nextHop: 'fd00::a' }));
    expect(rewrite(p, CLIENT_B, LOCAL, exportOptions(), 4).nextHop).toBe('fd00::a');
  });

  test('…but becomes next hop self toward a client without RFC 8950', () => {
    const p = path(CLIENT_A, attrs({ nextHop: 'fd00::a' }));
    expect(rewrite(p, V4_CLIENT, LOCAL, exportOptions(), 4).nextHop).toBe('10.0.0.1');
  });

  test('a link-local next hop stays on its link: unchanged on the same link, self elsewhere', () => {
    const p = path(CLIENT_A, attrs({ nextHop: 'fe80::a' }));
    expect(rewrite(p, CLIENT_B, LOCAL, exportOptions(), 6).nextHop).toBe('fe80::a');
    const other = { ...CLIENT_B, interface: 'eth9' } as PeerInfo;
    expect(rewrite(p, other, LOCAL, exportOptions(), 6).nextHop).toBe('fd00::1');
  });

  test('toward eBGP a link-local next hop is never a third-party next hop', () => {
    const fromLink = ebgp('fe80::7%eth1', 65300, { interface: 'eth1' });
    const p = path(fromLink, attrs({ nextHop: 'fe80::7' }));
    const to = ebgp('fe80::8%eth2', 65400, {
      localAddress6: 'fe80::1',
      interface: 'eth2',
      extendedNextHop4: true,
    });
    expect(rewrite(p, to, LOCAL, exportOptions({ onSharedSubnet: () => true }), 6).nextHop).toBe('fe80::1');
  });
});
