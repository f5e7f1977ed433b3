import { describe, expect, it } from 'vitest';
import {
  connectedPrefixes,
  connectedRoutes,
  diffConnected,
  NextHopTable,
  normalizeDst,
  parseAddrJson,
  parseRouteJson,
} from '../../../src/fib/next-hop.js';

// Shapes as printed by iproute2 6.1 `ip -j addr show` / `ip -j route show table main`.
const ADDR = JSON.stringify([
  {
    ifname: 'lo',
    flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
    link_type: 'loopback',
    addr_info: [
      { family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' },
      { family: 'inet', local: '10.255.0.1', prefixlen: 32, scope: 'global' },
      { family: 'inet6', local: '::1', prefixlen: 128, scope: 'host' },
    ],
  },
  {
    ifname: 'eth1',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    link_type: 'ether',
    addr_info: [
      { family: 'inet', local: '10.0.0.1', prefixlen: 24, scope: 'global' },
      { family: 'inet6', local: 'fd00:0:0:1::1', prefixlen: 64, scope: 'global' },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
    ],
  },
  {
    ifname: 'eth2',
    flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'],
    link_type: 'ether',
    addr_info: [{ family: 'inet', local: '10.0.2.1', prefixlen: 24, scope: 'global' }],
  },
  {
    ifname: 'eth3',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    link_type: 'ether',
    addr_info: [{ family: 'inet6', local: 'fd00:3::1', prefixlen: 64, scope: 'global', tentative: true }],
  },
]);

const ROUTES4 = JSON.stringify([
  { dst: 'default', gateway: '10.0.0.254', dev: 'eth1', flags: [] },
  { dst: '10.0.0.0/24', dev: 'eth1', protocol: 'kernel', scope: 'link', prefsrc: '10.0.0.1', flags: [] },
  { dst: '10.0.2.0/24', dev: 'eth2', protocol: 'kernel', scope: 'link', flags: ['linkdown'] },
  { dst: '10.9.0.0/16', gateway: '10.0.0.2', dev: 'eth1', protocol: 'static', flags: [] },
  {
    dst: '10.8.0.0/16',
    protocol: 'static',
    flags: [],
    nexthops: [
      { gateway: '10.0.0.2', dev: 'eth1', weight: 1, flags: [] },
      { gateway: '10.0.0.3', dev: 'eth1', weight: 1, flags: [] },
    ],
  },
  { dst: '10.9.9.0/24', gateway: '10.0.0.5', dev: 'eth1', protocol: 'rackbgp', metric: 20, flags: [] },
  { dst: '10.9.8.0/24', gateway: '10.0.0.6', dev: 'eth1', protocol: '179', metric: 20, flags: [] },
  // FRR's zebra installs its BGP routes as `proto bgp`: another daemon's, usable like a static one.
  { dst: '10.9.7.0/24', gateway: '10.0.0.7', dev: 'eth1', protocol: 'bgp', metric: 20, flags: [] },
  { type: 'unreachable', dst: '10.9.66.0/24', protocol: 'static', flags: [] },
  { dst: '10.7.7.7', gateway: '10.0.0.7', dev: 'eth1', flags: [] },
  // Read while eth2 still had carrier.
  { dst: '10.10.0.0/16', gateway: '10.0.2.9', dev: 'eth2', protocol: 'static', flags: [] },
]);

const ROUTES6 = JSON.stringify([
  { dst: 'fd00:0:0:1::/64', dev: 'eth1', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
  { dst: 'fd99::/48', gateway: 'fe80::2', dev: 'eth1', protocol: 'static', metric: 1024, flags: [] },
  { dst: 'fd99::/48', gateway: 'fe80::3', dev: 'eth1', protocol: 'static', metric: 10, flags: [] },
  { dst: 'fe80::/64', dev: 'eth1', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
]);

function table(resolveViaDefault = false) {
  const { links, addresses } = parseAddrJson(ADDR);
  const routes = [...parseRouteJson(ROUTES4, 4), ...parseRouteJson(ROUTES6, 6)];
  return new NextHopTable(links, addresses, routes, { resolveViaDefault });
}

describe('NextHopTable.resolve', () => {
  const t = table();

  it('uses a next hop on a connected subnet as is, with its interface', () => {
    expect(t.resolve('10.0.0.2')).toEqual({
      reachable: true,
      nextHops: [{ via: '10.0.0.2', dev: 'eth1' }],
      connected: true,
      via: '10.0.0.0/24',
      metric: 0,
    });
    expect(t.resolve('fd00:0:0:1::9')).toMatchObject({
      reachable: true,
      nextHops: [{ via: 'fd00:0:0:1::9', dev: 'eth1' }],
      connected: true,
    });
  });

  it('resolves a next hop behind a static route to its gateway (RFC 4271 §5.1.3)', () => {
    expect(t.resolve('10.9.1.1')).toEqual({
      reachable: true,
      nextHops: [{ via: '10.0.0.2', dev: 'eth1' }],
      connected: false,
      via: '10.9.0.0/16',
      metric: 0,
    });
    expect(t.resolve('10.7.7.7')).toMatchObject({ nextHops: [{ via: '10.0.0.7', dev: 'eth1' }] });
  });

  it('resolves through a multipath static route to all its gateways', () => {
    expect(t.resolve('10.8.1.1')).toMatchObject({
      reachable: true,
      nextHops: [
        { via: '10.0.0.2', dev: 'eth1' },
        { via: '10.0.0.3', dev: 'eth1' },
      ],
    });
  });

  it('never resolves through our own routes (by name or number), falling back to the covering route', () => {
    expect(t.resolve('10.9.9.9')).toMatchObject({ via: '10.9.0.0/16', nextHops: [{ via: '10.0.0.2' }] });
    expect(t.resolve('10.9.8.9')).toMatchObject({ via: '10.9.0.0/16', nextHops: [{ via: '10.0.0.2' }] });
  });

  it('resolves through another daemon’s BGP routes (FRR’s proto bgp)', () => {
    expect(t.resolve('10.9.7.9')).toMatchObject({ via: '10.9.7.0/24', nextHops: [{ via: '10.0.0.7' }] });
  });

  it('uses the lowest metric of several routes to one prefix', () => {
    expect(t.resolve('fd99::1')).toMatchObject({ nextHops: [{ via: 'fe80::3', dev: 'eth1' }] });
  });

  it('refuses the default route unless resolve-via-default is set', () => {
    expect(t.resolve('192.0.2.1')).toEqual({
      reachable: false,
      reason: 'only the default route covers the next hop',
    });
    expect(table(true).resolve('192.0.2.1')).toMatchObject({ nextHops: [{ via: '10.0.0.254' }] });
  });

  it('reports unreachable, link-down, local and missing next hops with a reason', () => {
    expect(t.resolve('10.9.66.1')).toEqual({ reachable: false, reason: 'unreachable route 10.9.66.0/24' });
    // eth2 has no carrier: its connected route is linkdown, so only the default covers it.
    expect(t.resolve('10.0.2.2').reachable).toBe(false);
    // …and a static route through it no longer resolves, though the dump predates the change.
    expect(t.resolve('10.10.0.1').reachable).toBe(false);
    expect(t.resolve('10.0.0.1')).toEqual({
      reachable: false,
      reason: 'next hop is one of our own addresses',
    });
    expect(t.resolve('fd00:0:0:1:0::1')).toMatchObject({ reachable: false });
    expect(t.resolve('2001:db8::1')).toEqual({ reachable: false, reason: 'no route to the next hop' });
    expect(t.resolve('bogus')).toMatchObject({ reachable: false });
  });

  it("reports the resolving route's metric as the interior cost (RFC 4271 §9.1.2.2 (e)), 0 when connected", () => {
    expect(t.resolve('10.9.7.1')).toMatchObject({ via: '10.9.7.0/24', metric: 20 });
    // Two routes to fd99::/48: the kernel uses the lower metric, and so does the cost.
    expect(t.resolve('fd99::1')).toMatchObject({ nextHops: [{ via: 'fe80::3' }], metric: 10 });
    // The kernel's own connected route has metric 256 in IPv6; a connected next hop costs nothing.
    expect(t.resolve('fd00:0:0:1::9')).toMatchObject({ connected: true, metric: 0 });
  });

  it('needs an up interface for an IPv6 link-local next hop', () => {
    expect(t.resolve('fe80::2', 'eth1')).toEqual({
      reachable: true,
      nextHops: [{ via: 'fe80::2', dev: 'eth1' }],
      connected: true,
      via: 'fe80::/64',
      metric: 0,
    });
    expect(t.resolve('fe80::2')).toMatchObject({ reachable: false });
    expect(t.resolve('fe80::2', 'eth2')).toMatchObject({ reachable: false });
    expect(t.resolve('fe80::2', 'nosuch')).toMatchObject({ reachable: false });
  });
});

describe('NextHopTable.resolveBgp (RFC 2545 §3)', () => {
  const t = table();
  const viaLink = { reachable: true, nextHops: [{ via: 'fe80::2', dev: 'eth1' }], connected: true };

  it('uses a global next hop that resolves, even with a link-local one beside it', () => {
    expect(t.resolveBgp('fd00:0:0:1::9', 'fe80::2', 'eth1')).toMatchObject({
      nextHops: [{ via: 'fd00:0:0:1::9', dev: 'eth1' }],
    });
    expect(t.resolveBgp('10.0.0.2', undefined, 'eth1')).toMatchObject({ nextHops: [{ via: '10.0.0.2' }] });
  });

  it("reaches a link-local-only next hop through the session's interface", () => {
    // 16 octets holding a link-local address, and 32 octets with `::` as the global part.
    expect(t.resolveBgp('fe80::2', undefined, 'eth1')).toMatchObject(viaLink);
    expect(t.resolveBgp('::', 'fe80::2', 'eth1')).toMatchObject(viaLink);
    expect(t.resolveBgp('fe80::2')).toEqual({
      reachable: false,
      reason: 'link-local next hop without an interface',
    });
    expect(t.resolveBgp('fe80::2', undefined, 'eth2')).toEqual({
      reachable: false,
      reason: 'interface eth2 is down or absent',
    });
  });

  it('falls back to the link-local next hop when the global one does not resolve', () => {
    expect(t.resolveBgp('2001:db8::1', 'fe80::2', 'eth1')).toMatchObject(viaLink);
    // No interface, or a dead one: the global answer and its reason.
    expect(t.resolveBgp('2001:db8::1', 'fe80::2')).toEqual({
      reachable: false,
      reason: 'no route to the next hop',
    });
    expect(t.resolveBgp('2001:db8::1', 'fe80::2', 'eth2')).toEqual({
      reachable: false,
      reason: 'no route to the next hop',
    });
    expect(t.resolveBgp('2001:db8::1')).toEqual({ reachable: false, reason: 'no route to the next hop' });
  });
});

describe('connected routes from addresses', () => {
  it('covers point-to-point peers, skips noprefixroute and host addresses, and ignores kernel route dumps', () => {
    const { links, addresses } = parseAddrJson(
      JSON.stringify([
        {
          ifname: 'ppp0',
          flags: ['POINTOPOINT', 'UP', 'LOWER_UP'],
          addr_info: [
            { family: 'inet', local: '100.64.0.1', address: '100.64.0.2', prefixlen: 32, scope: 'global' },
            { family: 'inet', local: '100.65.0.1', prefixlen: 24, scope: 'global', noprefixroute: true },
            { family: 'inet', local: '100.66.0.1', prefixlen: 32, scope: 'global' },
          ],
        },
      ]),
    );
    expect(connectedRoutes(links, addresses).map((r) => [r.prefix, r.nextHops])).toEqual([
      ['100.64.0.2/32', [{ dev: 'ppp0' }]],
    ]);
    // A stale `proto kernel` route from a dump does not count: addresses are the truth.
    const stale = parseRouteJson(
      JSON.stringify([{ dst: '100.65.0.0/24', dev: 'ppp0', protocol: 'kernel', scope: 'link' }]),
      4,
    );
    const t = new NextHopTable(links, addresses, stale);
    expect(t.resolve('100.64.0.2')).toMatchObject({
      reachable: true,
      nextHops: [{ via: '100.64.0.2', dev: 'ppp0' }],
    });
    expect(t.resolve('100.65.0.9')).toMatchObject({ reachable: false });
  });
});

describe('connected prefixes', () => {
  it('lists global addresses on up links, including loopback /32s, without host, link-local or tentative ones', () => {
    const { links, addresses } = parseAddrJson(ADDR);
    expect(connectedPrefixes(links, addresses)).toEqual([
      { dev: 'lo', family: 4, address: '10.255.0.1', prefix: '10.255.0.1/32' },
      { dev: 'eth1', family: 4, address: '10.0.0.1', prefix: '10.0.0.0/24' },
      { dev: 'eth1', family: 6, address: 'fd00:0:0:1::1', prefix: 'fd00:0:0:1::/64' },
    ]);
    expect([...table().byInterface().keys()]).toEqual(['lo', 'eth1']);
  });

  it('diffs two lists by interface, address and prefix', () => {
    const a = { dev: 'eth1', family: 4 as const, address: '10.0.0.1', prefix: '10.0.0.0/24' };
    const b = { dev: 'eth2', family: 4 as const, address: '10.0.2.1', prefix: '10.0.2.0/24' };
    const c = { ...a, prefix: '10.0.0.0/25' };
    expect(diffConnected([a, b], [b, c])).toEqual({ added: [c], removed: [a] });
    expect(diffConnected([a], [a])).toEqual({ added: [], removed: [] });
  });
});

describe('parsers', () => {
  it('normalizes ip route destinations', () => {
    expect(normalizeDst('default', 4)).toBe('0.0.0.0/0');
    expect(normalizeDst('default', 6)).toBe('::/0');
    expect(normalizeDst('10.7.7.7', 4)).toBe('10.7.7.7/32');
    expect(normalizeDst('fd00:0::/64', 6)).toBe('fd00::/64');
    expect(normalizeDst('fd00::/64', 4)).toBeNull();
  });

  it('reads protocol, type, metric and multipath next hops, dropping linkdown ones', () => {
    const routes = parseRouteJson(
      JSON.stringify([
        {
          dst: '10.8.0.0/16',
          protocol: 'static',
          nexthops: [
            { gateway: '10.0.0.2', dev: 'eth1', flags: [] },
            { gateway: '10.0.2.3', dev: 'eth2', flags: ['linkdown'] },
          ],
        },
        { dst: '10.6.0.0/16', protocol: 99, metric: 5, gateway: '10.0.0.2', dev: 'eth1' },
      ]),
      4,
    );
    expect(routes).toEqual([
      {
        family: 4,
        prefix: '10.8.0.0/16',
        type: 'unicast',
        protocol: 'static',
        metric: 0,
        nextHops: [{ via: '10.0.0.2', dev: 'eth1' }],
        linkdown: false,
      },
      {
        family: 4,
        prefix: '10.6.0.0/16',
        type: 'unicast',
        protocol: '99',
        metric: 5,
        nextHops: [{ via: '10.0.0.2', dev: 'eth1' }],
        linkdown: false,
      },
    ]);
    expect(parseRouteJson('', 4)).toEqual([]);
    expect(parseRouteJson(ROUTES4, 4, ['bgp']).map((r) => r.protocol)).not.toContain('bgp');
    expect(parseRouteJson(ROUTES4, 4).map((r) => r.protocol)).toContain('bgp');
  });
});
