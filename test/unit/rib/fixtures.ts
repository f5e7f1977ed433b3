/**
 * Shared fixtures for the routing-core unit tests: peers of every kind (local, eBGP, iBGP client
 * and non-client), a Path factory backed by a real AttrStore, decision options and local info.
 * Everything is plain data built by hand; nothing here runs production logic beyond interning.
 */

import { AttrStore } from '../../../src/rib/attr-store.js';
import type { DecisionOptions } from '../../../src/rib/decision.js';
import type { ExportOptions, LocalInfo } from '../../../src/rib/export-rules.js';
import { keyFromText, type PrefixKey } from '../../../src/rib/prefix-key.js';
import type { Path, PeerInfo, RouteAttrs } from '../../../src/rib/types.js';
import { parseIPv4 } from '../../../src/util/ip.js';
import { type AsPathSegment, AsPathSegmentType } from '../../../src/wire/index.js';

export const LOCAL_AS = 65000;
export const LOCAL: LocalInfo = { asn: LOCAL_AS, routerId: '10.255.0.1', clusterId: '10.255.0.1' };

let nextPeerId = 1;

/** A neighbor; `id` is unique per call (0 is reserved for the speaker itself). */
export function peer(p: Partial<PeerInfo> & { address: string }): PeerInfo {
  const routerId = p.routerId ?? p.address;
  const ibgp = p.ibgp ?? false;
  return {
    id: nextPeerId++,
    asn: ibgp ? LOCAL_AS : 65100,
    routerIdNum: Math.max(0, parseIPv4(routerId)),
    rrClient: false,
    localAddress4: '192.0.2.1',
    localAddress6: '2001:db8::1',
    directlyConnected: true,
    ibgp,
    ...p,
    routerId,
  };
}

export const ebgp = (address: string, asn = 65100, extra: Partial<PeerInfo> = {}): PeerInfo =>
  peer({ address, asn, ibgp: false, ...extra });
export const ibgp = (address: string, rrClient = false, extra: Partial<PeerInfo> = {}): PeerInfo =>
  peer({ address, ibgp: true, rrClient, ...extra });

/** The speaker itself, owner of locally originated routes (networks, redistribute). */
export const LOCAL_PEER: PeerInfo = Object.freeze({
  id: 0,
  address: '0.0.0.0',
  asn: LOCAL_AS,
  routerId: LOCAL.routerId,
  routerIdNum: parseIPv4(LOCAL.routerId),
  ibgp: false,
  rrClient: false,
  directlyConnected: false,
});

export const seq = (...asns: number[]): AsPathSegment => ({ type: AsPathSegmentType.AS_SEQUENCE, asns });
export const set = (...asns: number[]): AsPathSegment => ({ type: AsPathSegmentType.AS_SET, asns });
export const confedSeq = (...asns: number[]): AsPathSegment => ({
  type: AsPathSegmentType.AS_CONFED_SEQUENCE,
  asns,
});
export const confedSet = (...asns: number[]): AsPathSegment => ({
  type: AsPathSegmentType.AS_CONFED_SET,
  asns,
});

/** Builds Paths whose attribute sets are interned in one real AttrStore. */
export function pathFactory(store = new AttrStore()) {
  let txId = 1;
  return (from: PeerInfo, attrs: RouteAttrs, p: { pathId?: number; stale?: boolean } = {}): Path => ({
    peer: from,
    pathId: p.pathId ?? 0,
    txId: txId++,
    attrs: store.intern(attrs),
    stale: p.stale ?? false,
  });
}

/** A typical eBGP-learned attribute set; override what a test is about. */
export const attrs = (a: RouteAttrs = {}): RouteAttrs => ({
  origin: 0,
  asPath: [seq(65100)],
  nextHop: '192.0.2.100',
  ...a,
});

export const decisionOptions = (o: Partial<DecisionOptions> = {}): DecisionOptions => ({
  alwaysCompareMed: false,
  maximumPaths: 1,
  multipathRelax: false,
  reachable: () => true,
  ...o,
});

export const exportOptions = (o: Partial<ExportOptions> = {}): ExportOptions => ({
  nextHopSelf: false,
  nextHopKeep: false,
  onSharedSubnet: () => false,
  ...o,
});

/** Freezes a value and everything reachable from it (typed arrays excepted: they cannot be frozen). */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !ArrayBuffer.isView(v) && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** The table-walk tests' world: prefix i as 10.x.y.0/24, and two eBGP peers where B loses to A on AS_PATH length. */
export const prefix24 = (i: number): PrefixKey => keyFromText(`10.${i >> 8}.${i & 255}.0/24`)!.key;
export const PEER_A = ebgp('10.1.0.1', 65100, { routerId: '1.0.0.1' });
export const PEER_B = ebgp('10.2.0.1', 65200, { routerId: '2.0.0.1' });
export const VIA_A = attrs({ asPath: [seq(65100)], nextHop: '10.1.0.1' });
export const VIA_B = attrs({ asPath: [seq(65200, 1)], nextHop: '10.2.0.1' });
