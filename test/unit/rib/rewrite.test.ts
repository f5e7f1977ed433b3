/**
 * Outbound rewrites before policy: toward eBGP (RFC 4271 §5.1.2 AS prepend, §5.1.3 next hop,
 * §5.1.4 MED, §5.1.5 LOCAL_PREF; RFC 4456 attributes stay inside the AS), toward iBGP (LOCAL_PREF
 * always present, next hop untouched unless configured), reflection stamps (RFC 4456 §8) and
 * unrecognized attributes (RFC 4271 §5: Partial bit, non-transitive ones not passed on).
 * Inputs are deep-frozen: any mutation throws.
 */
import { describe, expect, test } from 'vitest';
import { AttrStore } from '../../../src/rib/attr-store.js';
import { type ExportOptions, rewrite } from '../../../src/rib/export-rules.js';
import type { Path, PeerInfo, RouteAttrs } from '../../../src/rib/types.js';
import { AttrFlag, Origin } from '../../../src/wire/index.js';
import {
  attrs,
  deepFreeze,
  ebgp,
  exportOptions,
  ibgp,
  LOCAL,
  LOCAL_AS,
  LOCAL_PEER,
  pathFactory,
  seq,
  set,
} from './fixtures.js';

/** A deep-frozen path; its own store, since freezing an interned set would freeze its refcount. */
const frozen = (from: PeerInfo, a: RouteAttrs, pathId = 0): Path =>
  deepFreeze(pathFactory(new AttrStore())(from, deepFreeze(a), { pathId }));

const EBGP_IN = ebgp('10.1.0.1', 65100, { routerId: '1.0.0.1' });
const EBGP_OUT = ebgp('10.4.0.1', 65200, {
  routerId: '4.0.0.1',
  localAddress4: '10.4.0.2',
  localAddress6: 'fd00:4::2',
});
const MULTIHOP_OUT = ebgp('10.7.0.1', 65300, {
  routerId: '7.0.0.1',
  localAddress4: '10.0.0.70',
  directlyConnected: false,
});
const CLIENT = ibgp('10.2.0.1', true, { routerId: '2.0.0.1' });
const NON_CLIENT = ibgp('10.3.0.1', false, {
  routerId: '3.0.0.1',
  localAddress4: '10.3.0.2',
  localAddress6: 'fd00:3::2',
});
const CLIENT_OUT = ibgp('10.5.0.1', true, { routerId: '5.0.0.1', localAddress4: '10.5.0.2' });

const toEbgp = (p: Path, o: Partial<ExportOptions> = {}, to = EBGP_OUT, family: 4 | 6 = 4) =>
  rewrite(p, to, LOCAL, exportOptions(o), family);
const toIbgp = (p: Path, o: Partial<ExportOptions> = {}, to = NON_CLIENT, family: 4 | 6 = 4) =>
  rewrite(p, to, LOCAL, exportOptions(o), family);

describe('toward eBGP: own AS prepended (RFC 4271 §5.1.2)', () => {
  const asPathOut = (asPath: RouteAttrs['asPath']) => toEbgp(frozen(EBGP_IN, attrs({ asPath }))).asPath;
  const long = (n: number) => Array.from({ length: n }, (_, i) => 64000 + i);

  test('into a leading AS_SEQUENCE', () => {
    expect(asPathOut([seq(65100, 1), set(7, 8)])).toEqual([seq(LOCAL_AS, 65100, 1), set(7, 8)]);
  });

  test('a new AS_SEQUENCE for an empty AS_PATH (locally originated or from iBGP)', () => {
    expect(toEbgp(frozen(LOCAL_PEER, { origin: Origin.IGP })).asPath).toEqual([seq(LOCAL_AS)]);
    expect(toEbgp(frozen(NON_CLIENT, attrs({ asPath: [] }))).asPath).toEqual([seq(LOCAL_AS)]);
  });

  test('a new AS_SEQUENCE in front of a leading AS_SET', () => {
    expect(asPathOut([set(1, 2), seq(3)])).toEqual([seq(LOCAL_AS), set(1, 2), seq(3)]);
  });

  test('a new AS_SEQUENCE when the leading one already holds 255 ASes; 254 still has room', () => {
    expect(asPathOut([seq(...long(255))])).toEqual([seq(LOCAL_AS), seq(...long(255))]);
    expect(asPathOut([seq(...long(254))])).toEqual([seq(LOCAL_AS, ...long(254))]);
  });
});

describe('toward eBGP: attributes that stay inside the AS', () => {
  const inner = { localPref: 300, originatorId: '2.0.0.1', clusterList: ['10.255.0.9'], med: 40 };

  test('LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST removed; the rest passed on', () => {
    const rest = {
      origin: Origin.EGP,
      communities: [(65100 << 16) | 7],
      largeCommunities: [[65100, 1, 2]] as const,
      extendedCommunities: ['0002fde800000001'],
      atomicAggregate: true,
      aggregator: { asn: 65100, address: '1.0.0.1' },
    };
    const out = toEbgp(frozen(NON_CLIENT, attrs({ ...inner, ...rest })));
    expect(out).not.toHaveProperty('localPref');
    expect(out).not.toHaveProperty('originatorId');
    expect(out).not.toHaveProperty('clusterList');
    expect(out).toMatchObject(rest);
  });

  test('a learned MED is removed (RFC 4271 §5.1.4), from eBGP and from iBGP alike', () => {
    expect(toEbgp(frozen(EBGP_IN, attrs({ med: 40 })))).not.toHaveProperty('med');
    expect(toEbgp(frozen(NON_CLIENT, attrs(inner)))).not.toHaveProperty('med');
  });

  test('the MED of a locally originated route is kept (RFC 4271 §5.1.4 MAY)', () => {
    expect(toEbgp(frozen(LOCAL_PEER, { origin: Origin.IGP, med: 40 })).med).toBe(40);
  });
});

describe('toward eBGP: next hop (RFC 4271 §5.1.3)', () => {
  test('next hop self by default, the address of this session', () => {
    expect(toEbgp(frozen(EBGP_IN, attrs({ nextHop: '10.1.0.1' }))).nextHop).toBe('10.4.0.2');
    expect(toEbgp(frozen(LOCAL_PEER, { origin: 0, nextHop: '0.0.0.0' })).nextHop).toBe('10.4.0.2');
  });

  test('IPv6: next hop self replaces the global next hop and drops the link-local one', () => {
    const p = frozen(EBGP_IN, attrs({ nextHop: 'fd00:1::1', linkLocalNextHop: 'fe80::1' }));
    const out = toEbgp(p, {}, EBGP_OUT, 6);
    expect(out.nextHop).toBe('fd00:4::2');
    expect(out).not.toHaveProperty('linkLocalNextHop');
  });

  test('IPv6 to a peer on the link: our link-local address goes beside next hop self (RFC 2545 §3)', () => {
    const onLink = { ...EBGP_OUT, localLinkLocal6: 'fe80::4:2' };
    const p = frozen(EBGP_IN, attrs({ nextHop: 'fd00:1::1', linkLocalNextHop: 'fe80::1' }));
    expect(toEbgp(p, {}, onLink, 6)).toMatchObject({ nextHop: 'fd00:4::2', linkLocalNextHop: 'fe80::4:2' });
    expect(toEbgp(p, {}, onLink, 4)).not.toHaveProperty('linkLocalNextHop'); // IPv4: NEXT_HOP alone
    const local = frozen(LOCAL_PEER, { origin: 0 });
    expect(toEbgp(local, {}, onLink, 6)).toMatchObject({
      nextHop: 'fd00:4::2',
      linkLocalNextHop: 'fe80::4:2',
    });
  });

  test('a third-party next hop on the subnet shared with a directly connected receiver is kept', () => {
    const asked: [string, PeerInfo][] = [];
    const onSharedSubnet = (nh: string, to: PeerInfo) => {
      asked.push([nh, to]);
      return nh.startsWith('10.4.0.');
    };
    expect(toEbgp(frozen(EBGP_IN, attrs({ nextHop: '10.4.0.9' })), { onSharedSubnet }).nextHop).toBe(
      '10.4.0.9',
    );
    expect(asked).toEqual([['10.4.0.9', EBGP_OUT]]);
    expect(toEbgp(frozen(NON_CLIENT, attrs({ nextHop: '10.4.0.8' })), { onSharedSubnet }).nextHop).toBe(
      '10.4.0.8',
    );
    expect(toEbgp(frozen(EBGP_IN, attrs({ nextHop: '10.1.0.1' })), { onSharedSubnet }).nextHop).toBe(
      '10.4.0.2',
    );
  });

  test('no third-party next hop toward a multihop receiver (RFC 4271 §5.1.3: only one IP hop away)', () => {
    const onSharedSubnet = () => true;
    const out = toEbgp(frozen(EBGP_IN, attrs({ nextHop: '10.7.0.9' })), { onSharedSubnet }, MULTIHOP_OUT);
    expect(out.nextHop).toBe('10.0.0.70');
  });

  test('next-hop-keep leaves a learned next hop alone, but a local route still gets next hop self', () => {
    expect(toEbgp(frozen(EBGP_IN, attrs({ nextHop: '10.1.0.1' })), { nextHopKeep: true }).nextHop).toBe(
      '10.1.0.1',
    );
    const local = frozen(LOCAL_PEER, { origin: 0, nextHop: '0.0.0.0' });
    expect(toEbgp(local, { nextHopKeep: true }).nextHop).toBe('10.4.0.2');
  });
});

describe('toward iBGP', () => {
  test('LOCAL_PREF 100 added when absent (RFC 4271 §5.1.5), kept when present', () => {
    expect(toIbgp(frozen(EBGP_IN, attrs())).localPref).toBe(100);
    expect(toIbgp(frozen(EBGP_IN, attrs({ localPref: 250 }))).localPref).toBe(250);
    expect(toIbgp(frozen(LOCAL_PEER, { origin: 0 })).localPref).toBe(100);
  });

  test('AS_PATH and MED unchanged, no AS prepended', () => {
    const out = toIbgp(frozen(EBGP_IN, attrs({ asPath: [seq(65100, 9)], med: 7 })));
    expect(out.asPath).toEqual([seq(65100, 9)]);
    expect(out.med).toBe(7);
  });

  test('next hop unchanged for a learned route (RFC 4271 §5.1.3), with its link-local next hop', () => {
    expect(toIbgp(frozen(EBGP_IN, attrs({ nextHop: '10.1.0.1' }))).nextHop).toBe('10.1.0.1');
    const v6 = toIbgp(
      frozen(EBGP_IN, attrs({ nextHop: 'fd00:1::1', linkLocalNextHop: 'fe80::1' })),
      {},
      NON_CLIENT,
      6,
    );
    expect(v6).toMatchObject({ nextHop: 'fd00:1::1', linkLocalNextHop: 'fe80::1' });
  });

  test('next-hop-self replaces it (IPv4 and IPv6)', () => {
    expect(toIbgp(frozen(EBGP_IN, attrs({ nextHop: '10.1.0.1' })), { nextHopSelf: true }).nextHop).toBe(
      '10.3.0.2',
    );
    const v6 = toIbgp(
      frozen(EBGP_IN, attrs({ nextHop: 'fd00:1::1', linkLocalNextHop: 'fe80::1' })),
      { nextHopSelf: true },
      NON_CLIENT,
      6,
    );
    expect(v6.nextHop).toBe('fd00:3::2');
    expect(v6).not.toHaveProperty('linkLocalNextHop');
  });

  test('a locally originated route gets next hop self', () => {
    expect(toIbgp(frozen(LOCAL_PEER, { origin: 0, nextHop: '0.0.0.0' })).nextHop).toBe('10.3.0.2');
  });

  test('a route from eBGP is not stamped as a reflection', () => {
    const out = toIbgp(frozen(EBGP_IN, attrs()), {}, CLIENT_OUT);
    expect(out).not.toHaveProperty('originatorId');
    expect(out).not.toHaveProperty('clusterList');
  });
});

describe('reflection stamps (RFC 4456 §8)', () => {
  test('ORIGINATOR_ID set to the router id of the peer it came from, CLUSTER_LIST created', () => {
    const out = toIbgp(frozen(CLIENT, attrs({ localPref: 120 })));
    expect(out).toMatchObject({ originatorId: '2.0.0.1', clusterList: [LOCAL.clusterId], localPref: 120 });
  });

  test('an existing ORIGINATOR_ID is kept; the cluster id is prepended to an existing CLUSTER_LIST', () => {
    const p = frozen(NON_CLIENT, attrs({ originatorId: '9.9.9.9', clusterList: ['10.0.0.1', '10.0.0.2'] }));
    const out = toIbgp(p, {}, CLIENT_OUT);
    expect(out.originatorId).toBe('9.9.9.9');
    expect(out.clusterList).toEqual([LOCAL.clusterId, '10.0.0.1', '10.0.0.2']);
  });

  test('the cluster id is the configured one, not the router id', () => {
    const local = { ...LOCAL, clusterId: '172.16.0.1' };
    const out = rewrite(frozen(CLIENT, attrs()), CLIENT_OUT, local, exportOptions(), 4);
    expect(out.clusterList).toEqual(['172.16.0.1']);
  });

  test('the next hop is left alone when reflecting', () => {
    expect(toIbgp(frozen(CLIENT, attrs({ nextHop: '10.2.0.1' })), {}, CLIENT_OUT).nextHop).toBe('10.2.0.1');
  });
});

describe('unrecognized attributes (RFC 4271 §5)', () => {
  const value = Uint8Array.of(1, 2, 3);
  const transitive = { flags: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE, code: 99, value };
  const alreadyPartial = {
    flags: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE | AttrFlag.PARTIAL,
    code: 98,
    value,
  };
  const nonTransitive = { flags: AttrFlag.OPTIONAL, code: 97, value };

  test.each([
    ['eBGP', (p: Path) => toEbgp(p)],
    ['iBGP', (p: Path) => toIbgp(p)],
  ])('optional transitive ones passed on toward %s get the Partial bit', (_, send) => {
    const out = send(frozen(EBGP_IN, attrs({ unknown: [transitive, alreadyPartial] })));
    expect(out.unknown).toEqual([
      { ...transitive, flags: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE | AttrFlag.PARTIAL },
      alreadyPartial,
    ]);
  });

  test('optional non-transitive ones are not passed on', () => {
    const out = toEbgp(frozen(EBGP_IN, attrs({ unknown: [nonTransitive, transitive] })));
    expect(out.unknown?.map((u) => u.code)).toEqual([99]);
    expect(toIbgp(frozen(EBGP_IN, attrs({ unknown: [nonTransitive] }))).unknown ?? []).toEqual([]);
  });

  test('attributes of a locally originated route are sent as configured, without the Partial bit', () => {
    const out = toEbgp(frozen(LOCAL_PEER, { origin: 0, unknown: [transitive, nonTransitive] }));
    expect(out.unknown).toEqual([transitive, nonTransitive]);
  });
});

describe('inputs are never mutated', () => {
  test('every rewrite leaves the frozen path and its attributes as they were', () => {
    const a = attrs({
      asPath: [seq(65100, 1)],
      localPref: 200,
      med: 5,
      originatorId: '9.9.9.9',
      clusterList: ['10.0.0.1'],
      linkLocalNextHop: 'fe80::1',
      unknown: [{ flags: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE, code: 99, value: Uint8Array.of(1) }],
    });
    const snapshot = structuredClone(a);
    const paths = [frozen(EBGP_IN, a), frozen(CLIENT, a), frozen(NON_CLIENT, a), frozen(LOCAL_PEER, a)];
    for (const p of paths) {
      for (const to of [EBGP_OUT, MULTIHOP_OUT, CLIENT_OUT, NON_CLIENT]) {
        for (const o of [{}, { nextHopSelf: true }, { nextHopKeep: true }, { onSharedSubnet: () => true }]) {
          for (const family of [4, 6] as const) {
            const out = rewrite(p, to, LOCAL, exportOptions(o), family);
            expect(out).not.toBe(p.attrs.attrs);
          }
        }
      }
      expect(p.attrs.attrs).toEqual(snapshot);
    }
  });
});

describe('extended communities (RFC 4360 §6)', () => {
  const RT = '0002fde800000064'; // rt:65000:100, transitive
  const LB = '4004fde849989680'; // lb:65000 (1.25 MB/s), non-transitive
  const received = () => frozen(EBGP_IN, attrs({ extendedCommunities: [RT, LB] }));

  test('non-transitive ones are removed toward eBGP, transitive ones kept', () => {
    expect(toEbgp(received()).extendedCommunities).toEqual([RT]);
    expect('extendedCommunities' in toEbgp(frozen(EBGP_IN, attrs({ extendedCommunities: [LB] })))).toBe(
      false,
    );
  });

  test('all kept toward iBGP', () => {
    expect(toIbgp(received()).extendedCommunities).toEqual([RT, LB]);
  });
});
