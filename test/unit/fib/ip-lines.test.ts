import { describe, expect, it } from 'vitest';
import {
  BatchErrorParser,
  multipathDevs,
  parseFibDump,
  routeLines,
  validateChange,
  validateRoute,
} from '../../../src/fib/ip-lines.js';
import { RTPROT_RACKBGP } from '../../../src/fib/protocol.js';
import type { FibRoute } from '../../../src/fib/types.js';

const o = { protocol: RTPROT_RACKBGP, metric: 20 };
const single: FibRoute = { family: 4, prefix: '10.1.0.0/24', nextHops: [{ via: '10.0.0.2' }] };
const ecmp: FibRoute = {
  family: 6,
  prefix: 'fd01::/64',
  nextHops: [
    { via: 'fe80::2', dev: 'eth1' },
    { via: 'fe80::3', dev: 'eth2' },
  ],
};

describe('routeLines', () => {
  it('writes a single next hop without the nexthop keyword', () => {
    expect(routeLines({ op: 'add', route: single }, o)).toEqual([
      'route add 10.1.0.0/24 proto 179 metric 20 via 10.0.0.2',
    ]);
  });

  it('never replaces: a change is a delete of our own route (by protocol and metric), then an add', () => {
    expect(
      routeLines({ op: 'replace', route: { ...single, nextHops: [{ via: '10.0.0.2', dev: 'eth1' }] } }, o),
    ).toEqual([
      'route delete 10.1.0.0/24 proto 179 metric 20',
      'route add 10.1.0.0/24 proto 179 metric 20 via 10.0.0.2 dev eth1',
    ]);
    const lines = [
      ...routeLines({ op: 'add', route: single }, o),
      ...routeLines({ op: 'replace', route: ecmp }, o),
      ...routeLines({ op: 'delete', family: 4, prefix: '10.1.0.0/24' }, o),
    ];
    expect(lines.filter((l) => / replace /.test(l) || !/ proto 179 /.test(l))).toEqual([]);
  });

  it('writes ECMP as nexthop groups and deletes by protocol and metric', () => {
    expect(routeLines({ op: 'replace', route: ecmp }, { protocol: 179, metric: 30 })).toEqual([
      'route delete fd01::/64 proto 179 metric 30',
      'route add fd01::/64 proto 179 metric 30 nexthop via fe80::2 dev eth1 nexthop via fe80::3 dev eth2',
    ]);
    expect(routeLines({ op: 'delete', family: 6, prefix: 'fd01::/64' }, o)).toEqual([
      'route delete fd01::/64 proto 179 metric 20',
    ]);
  });

  it('lists the interfaces inside nexthop groups only', () => {
    expect(multipathDevs({ op: 'add', route: ecmp })).toEqual(['eth1', 'eth2']);
    expect(
      multipathDevs({ op: 'add', route: { ...single, nextHops: [{ via: '10.0.0.2', dev: 'x' }] } }),
    ).toEqual([]);
  });
});

describe('validateRoute', () => {
  it('accepts well-formed routes', () => {
    expect(validateRoute(single)).toBeNull();
    expect(validateRoute(ecmp)).toBeNull();
  });

  it('refuses what would make ip fail or exit', () => {
    expect(validateRoute({ ...single, prefix: '10.1.0.1/24' })).toMatch(/malformed prefix/);
    expect(validateRoute({ ...single, prefix: '10.1.0.0/33' })).toMatch(/malformed prefix/);
    expect(validateRoute({ ...single, prefix: '256.1.0.0/16' })).toMatch(/malformed prefix/);
    expect(validateRoute({ ...single, prefix: '10.1.0.0/+8' })).toMatch(/malformed prefix/);
    expect(validateRoute({ ...single, prefix: '10.1.0.0' })).toMatch(/malformed prefix/);
    expect(validateRoute({ ...ecmp, prefix: 'fd01::1/64' })).toMatch(/malformed prefix/);
    expect(validateRoute({ ...single, prefix: '0.0.0.0/0' })).toBeNull();
    expect(validateRoute({ ...single, prefix: '255.255.255.255/32' })).toBeNull();
    expect(validateRoute({ ...single, nextHops: [{ via: '10.0.0.256' }] })).toMatch(/not IPv4/);
    expect(validateRoute({ ...single, family: 6 })).toMatch(/not IPv6/);
    expect(validateRoute({ ...single, nextHops: [] })).toBe('no next hop');
    // RFC 8950: an IPv4 route via an IPv6 gateway, link-local ones only with an interface.
    expect(validateRoute({ ...single, nextHops: [{ via: 'fd00::1' }] })).toBeNull();
    expect(validateRoute({ ...single, nextHops: [{ via: 'fe80::1' }] })).toMatch(/needs an interface/);
    expect(validateRoute({ ...single, nextHops: [{ via: 'fe80::1', dev: 'eth1' }] })).toBeNull();
    expect(validateRoute({ ...ecmp, nextHops: [{ via: '10.0.0.1' }] })).toMatch(/not IPv6/);
    expect(validateRoute({ ...single, nextHops: [{ via: '10.0.0.2', dev: 'a b' }] })).toMatch(
      /interface name/,
    );
    expect(validateRoute({ ...single, nextHops: [{ via: '10.0.0.2', dev: 'a#b' }] })).toMatch(
      /interface name/,
    );
    expect(validateRoute({ ...single, nextHops: [{ via: '10.0.0.2', dev: 'x'.repeat(16) }] })).toMatch(
      /interface name/,
    );
    expect(validateRoute({ ...ecmp, nextHops: [{ via: 'fe80::2' }] })).toMatch(/needs an interface/);
    expect(validateChange({ op: 'delete', family: 4, prefix: 'fd00::/64' })).toMatch(/not IPv4/);
    expect(validateChange({ op: 'delete', family: 6, prefix: 'fd00::/64' })).toBeNull();
    const many = Array.from({ length: 17 }, (_, i) => ({ via: `10.0.0.${i + 1}` }));
    expect(validateRoute({ ...single, nextHops: many })).toMatch(/17 next hops/);
  });
});

describe('parseFibDump', () => {
  it('reads single and multipath routes with our metric only', () => {
    const text = JSON.stringify([
      { dst: '10.1.0.0/24', gateway: '10.0.0.2', dev: 'd0', metric: 20, flags: [] },
      {
        dst: '10.1.1.0/24',
        metric: 20,
        flags: [],
        nexthops: [
          { gateway: '10.0.0.2', dev: 'd0', weight: 1, flags: [] },
          { gateway: '10.0.1.2', dev: 'd0', weight: 1, flags: [] },
        ],
      },
      { dst: '10.1.2.0/24', gateway: '10.0.0.2', dev: 'd0', metric: 30, flags: [] },
      { type: 'blackhole', dst: '10.1.3.0/24', metric: 20, flags: [] },
      { dst: '10.1.4.4', gateway: '10.0.0.2', dev: 'd0', metric: 20, flags: [] },
    ]);
    expect(parseFibDump(text, 4, 20)).toEqual([
      { family: 4, prefix: '10.1.0.0/24', nextHops: [{ via: '10.0.0.2', dev: 'd0' }] },
      {
        family: 4,
        prefix: '10.1.1.0/24',
        nextHops: [
          { via: '10.0.0.2', dev: 'd0' },
          { via: '10.0.1.2', dev: 'd0' },
        ],
      },
      { family: 4, prefix: '10.1.4.4/32', nextHops: [{ via: '10.0.0.2', dev: 'd0' }] },
    ]);
  });

  it('merges IPv6 siblings listed one by one and canonicalizes addresses', () => {
    const text = JSON.stringify([
      { dst: 'fd01:0::/64', gateway: 'FE80::2', dev: 'eth1', metric: 20 },
      { dst: 'fd01::/64', gateway: 'fe80::3', dev: 'eth2', metric: 20 },
    ]);
    expect(parseFibDump(text, 6, 20)).toEqual([
      {
        family: 6,
        prefix: 'fd01::/64',
        nextHops: [
          { via: 'fe80::2', dev: 'eth1' },
          { via: 'fe80::3', dev: 'eth2' },
        ],
      },
    ]);
  });
});

describe('BatchErrorParser', () => {
  it('attributes messages to the failed line, across chunk boundaries', () => {
    const p = new BatchErrorParser();
    const got: [number, string][] = [];
    const cb = (n: number, m: string) => got.push([n, m]);
    p.push('RTNETLINK answers: File ex', cb);
    p.push('ists\nCommand failed -:2\nObject "rackbgp-sync" is unknown, try "ip help".\nCommand fa', cb);
    p.push('iled -:5\nCannot find device "x"\n', cb);
    expect(got).toEqual([
      [2, 'RTNETLINK answers: File exists'],
      [5, 'Object "rackbgp-sync" is unknown, try "ip help".'],
    ]);
    p.push('Error: cannot parse nexthop', cb);
    expect(p.pending()).toBe('Cannot find device "x"; Error: cannot parse nexthop');
  });
});

describe('IPv4 routes via IPv6 gateways (RFC 8950)', () => {
  const v4via6: FibRoute = {
    family: 4,
    prefix: '10.0.0.0/24',
    nextHops: [
      { via: 'fe80::1', dev: 'eth1' },
      { via: 'fe80::2', dev: 'eth2' },
    ],
  };

  it('writes `via inet6` for a single next hop and for each ECMP member', () => {
    expect(routeLines({ op: 'add', route: { ...v4via6, nextHops: [v4via6.nextHops[0]] } }, o)).toEqual([
      'route add 10.0.0.0/24 proto 179 metric 20 via inet6 fe80::1 dev eth1',
    ]);
    expect(routeLines({ op: 'add', route: v4via6 }, o)).toEqual([
      'route add 10.0.0.0/24 proto 179 metric 20 nexthop via inet6 fe80::1 dev eth1 nexthop via inet6 fe80::2 dev eth2',
    ]);
  });

  it('accepts an IPv6 gateway for an IPv4 route, but a link-local one only with an interface', () => {
    expect(validateRoute(v4via6)).toBeNull();
    expect(
      validateRoute({ family: 4, prefix: '10.0.0.0/24', nextHops: [{ via: '2001:db8::1' }] }),
    ).toBeNull();
    expect(validateRoute({ family: 4, prefix: '10.0.0.0/24', nextHops: [{ via: 'fe80::1' }] })).toBe(
      'link-local next hop fe80::1 needs an interface',
    );
    expect(validateRoute({ family: 6, prefix: 'fd00::/64', nextHops: [{ via: '10.0.0.1' }] })).toBe(
      'next hop 10.0.0.1 is not IPv6',
    );
  });

  it('reads `via inet6` gateways back from ip -j (single and multipath)', () => {
    const text = JSON.stringify([
      { dst: '10.0.0.0/24', via: { family: 'inet6', host: 'fe80::1' }, dev: 'd1', metric: 20, flags: [] },
      {
        dst: '10.0.1.0/24',
        metric: 20,
        flags: [],
        nexthops: [
          { via: { family: 'inet6', host: 'FE80::1' }, dev: 'd1', weight: 1, flags: [] },
          { via: { family: 'inet6', host: 'fe80::2' }, dev: 'd2', weight: 1, flags: [] },
        ],
      },
    ]);
    expect(parseFibDump(text, 4, 20)).toEqual([
      { family: 4, prefix: '10.0.0.0/24', nextHops: [{ via: 'fe80::1', dev: 'd1' }] },
      {
        family: 4,
        prefix: '10.0.1.0/24',
        nextHops: [
          { via: 'fe80::1', dev: 'd1' },
          { via: 'fe80::2', dev: 'd2' },
        ],
      },
    ]);
  });
});
