/** Sessions and peers for RoutingEngine tests: a 4-octet-AS IPv4 session, eBGP unless asn is 65000. */
import type { PeerSender } from '../../../src/core/out-batch.js';
import type { PeerInfo } from '../../../src/rib/types.js';
import {
  decodeMessage,
  encodeMessage,
  endOfRib,
  IPV4_UNICAST,
  IPV6_UNICAST,
  type SessionParams,
} from '../../../src/wire/index.js';

export const params = (peerAsn: number): SessionParams => ({
  localAsn: 65000,
  peerAsn,
  peerRouterId: '192.0.2.2',
  holdTime: 90,
  families: [IPV4_UNICAST],
  extendedMessage: false,
  maxMessageLength: 4096,
  routeRefresh: true,
  enhancedRouteRefresh: false,
  extendedNextHop: [],
  peerGracefulRestart: null,
  localGracefulRestart: false,
  peerLongLivedGr: new Map(),
  fourOctetAs: true,
  addPathRx: new Set(),
  addPathTx: new Set(),
});

export const peer = (id: number, asn: number): PeerInfo => ({
  id,
  address: `192.0.2.${id}`,
  asn,
  routerId: `192.0.2.${id}`,
  routerIdNum: 0xc0000200 + id,
  ibgp: asn === 65000,
  rrClient: false,
  localAddress4: '192.0.2.100',
  directlyConnected: true,
});

export const LOCAL = { asn: 65000, routerId: '192.0.2.100', clusterId: '192.0.2.100' };
export const DECISION = { alwaysCompareMed: false, maximumPaths: 1, multipathRelax: false };
export const PLAIN = { export: { nextHopSelf: false, nextHopKeep: false }, import: { allowasIn: 0 } };

/** A peer's sender whose End-of-RIB arrives encoded among its UPDATEs, as on the wire. */
export function sender(sendUpdates: (messages: readonly Uint8Array[]) => void): PeerSender {
  return {
    sendUpdates,
    sendEndOfRib: (f) =>
      sendUpdates([encodeMessage(endOfRib(f === 4 ? IPV4_UNICAST : IPV6_UNICAST), params(65002), 4096)]),
  };
}

/** One event-loop turn (the engine's initial table and End-of-RIB go out on setImmediate). */
export const turn = () => new Promise((r) => setImmediate(r));

/** An UPDATE as "+prefix" / "-prefix" entries (IPv4 /8–/24); [] for End-of-RIB. */
export function prefixesOf(m: Uint8Array): string[] {
  const r = decodeMessage(m, params(65002), 4096);
  if (!r.ok || r.message.type !== 'update') throw new Error('not an UPDATE');
  const out: string[] = [];
  r.message.withdrawn.forEach((b, off, len) => {
    out.push(`-${b[off]}.${b[off + 1]}.${b[off + 2]}.0/${len}`);
  });
  r.message.nlri.forEach((b, off, len) => {
    out.push(`+${b[off]}.${b[off + 1]}.${b[off + 2]}.0/${len}`);
  });
  return out;
}
