/**
 * Import eligibility before policy: AS loops with allowas-in (RFC 4271 §9.1.2), reflection loops
 * (RFC 4456 §8), unusable next hops (RFC 4271 §6.3), and the attributes an eBGP peer must not send
 * (RFC 7606 §7.5, §7.9, §7.10: discarded, the route kept).
 */
import { describe, expect, test } from 'vitest';
import { checkImport, type ImportResult } from '../../../src/rib/import-rules.js';
import type { PeerInfo, RouteAttrs } from '../../../src/rib/types.js';
import { AttrFlag } from '../../../src/wire/index.js';
import { attrs, deepFreeze, ebgp, ibgp, LOCAL, LOCAL_AS, seq, set } from './fixtures.js';

const EBGP = ebgp('10.1.0.1', 65100, { localAddress4: '10.1.0.2', localAddress6: 'fd00:1::2' });
const IBGP = ibgp('10.2.0.1', false, { localAddress4: '10.2.0.2', localAddress6: 'fd00:2::2' });

const check = (a: RouteAttrs, from: PeerInfo = EBGP, allowasIn = 0): ImportResult =>
  checkImport(deepFreeze(a), from, LOCAL, { allowasIn });
const rejected = (r: ImportResult, why: RegExp) => {
  expect(r).toHaveProperty('reject');
  expect((r as { reject: string }).reject).toMatch(why);
};
const accepted = (r: ImportResult): RouteAttrs => {
  expect(r).not.toHaveProperty('reject');
  return (r as { attrs: RouteAttrs }).attrs;
};

describe('AS loop and allowas-in', () => {
  const once = attrs({ asPath: [seq(65100, LOCAL_AS, 65300)] });
  const twice = attrs({ asPath: [seq(65100, LOCAL_AS, 65300, LOCAL_AS)] });

  test('without our AS the route is accepted', () => {
    accepted(check(attrs({ asPath: [seq(65100, 65300)] })));
  });

  test.each([
    [0, 'once', once, false],
    [0, 'twice', twice, false],
    [1, 'once', once, true],
    [1, 'twice', twice, false],
    [2, 'once', once, true],
    [2, 'twice', twice, true],
  ] as const)('allowas-in %i, own AS %s: accepted %s', (allowasIn, _, a, ok) => {
    for (const from of [EBGP, IBGP]) {
      const r = check(a, from, allowasIn);
      if (ok) accepted(r);
      else rejected(r, /AS loop/);
    }
  });

  test('no AS_PATH at all is no loop', () => {
    const { asPath: _, ...rest } = attrs();
    accepted(check(rest, IBGP));
  });

  test('our AS inside an AS_SET is a loop too', () => {
    rejected(check(attrs({ asPath: [seq(65100), set(65300, LOCAL_AS)] })), /AS loop/);
  });
});

describe('reflection loops from iBGP (RFC 4456 §8)', () => {
  test('ORIGINATOR_ID equal to our router id', () => {
    rejected(check(attrs({ asPath: [], originatorId: LOCAL.routerId }), IBGP), /ORIGINATOR_ID/);
    accepted(check(attrs({ asPath: [], originatorId: '10.255.0.2' }), IBGP));
  });

  test('our cluster id anywhere in CLUSTER_LIST', () => {
    const local = { ...LOCAL, clusterId: '172.16.0.1' };
    const r = checkImport(attrs({ clusterList: ['172.16.0.9', '172.16.0.1'] }), IBGP, local, {
      allowasIn: 0,
    });
    rejected(r, /cluster id/);
    accepted(checkImport(attrs({ clusterList: ['172.16.0.9'] }), IBGP, local, { allowasIn: 0 }));
  });

  test('from eBGP those attributes are discarded, not checked (RFC 7606 §7.9, §7.10)', () => {
    const a = accepted(check(attrs({ originatorId: LOCAL.routerId, clusterList: [LOCAL.clusterId] })));
    expect(a).not.toHaveProperty('originatorId');
    expect(a).not.toHaveProperty('clusterList');
  });
});

describe('next hops', () => {
  test.each([
    '0.0.0.0',
    '127.0.0.1',
    '127.255.255.254',
    '224.0.0.5',
    '239.255.255.255',
    '240.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'ff02::1',
    'ff05::1:3',
    'not-an-address',
  ])('martian %s rejected', (nextHop) => {
    rejected(check(attrs({ nextHop })), /martian/);
    rejected(check(attrs({ nextHop }), IBGP), /martian/);
  });

  test.each([
    '10.1.0.1',
    '1.1.1.1',
    '126.255.255.255',
    '128.0.0.1',
    '223.255.255.255',
    'fd00:1::1',
    '2001:db8::1',
    'fe80::1',
  ])('usable %s accepted', (nextHop) => {
    expect(accepted(check(attrs({ nextHop }))).nextHop).toBe(nextHop);
  });

  test('`::` beside a link-local next hop: the link-local one is the next hop (RFC 2545 §3)', () => {
    const a = accepted(check(attrs({ nextHop: '::', linkLocalNextHop: 'fe80::7:2' })));
    expect(a.nextHop).toBe('fe80::7:2');
    expect(a.linkLocalNextHop).toBeUndefined();
    rejected(check(attrs({ nextHop: '::', linkLocalNextHop: 'ff02::1' })), /martian/);
  });

  test('our own address on the session is rejected (RFC 4271 §6.3)', () => {
    rejected(check(attrs({ nextHop: '10.1.0.2' })), /own address/);
    rejected(check(attrs({ nextHop: 'fd00:2::2' }), IBGP), /own address/);
  });

  test('no next hop (an MP_REACH-only route before it is filled in) is not rejected for it', () => {
    const { nextHop: _, ...rest } = attrs();
    accepted(check(rest));
  });
});

describe('attributes an eBGP peer must not send (RFC 7606 §7.5, §7.9, §7.10)', () => {
  const full = attrs({
    localPref: 500,
    originatorId: '9.9.9.9',
    clusterList: ['10.0.0.1'],
    med: 7,
    communities: [(65100 << 16) | 1],
    largeCommunities: [[65100, 1, 1]],
    atomicAggregate: true,
    aggregator: { asn: 65100, address: '1.1.1.1' },
    unknown: [{ flags: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE, code: 99, value: Uint8Array.of(1) }],
  });

  test('from eBGP: LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST discarded, everything else kept', () => {
    const { localPref: _l, originatorId: _o, clusterList: _c, ...rest } = full;
    expect(accepted(check(full))).toEqual(rest);
  });

  test('from iBGP: all kept', () => {
    expect(accepted(check(full, IBGP))).toEqual(full);
  });

  test('an eBGP route without them comes back as it was', () => {
    const plain = attrs({ med: 3 });
    expect(accepted(check(plain))).toEqual(plain);
  });
});
