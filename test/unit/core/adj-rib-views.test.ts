/**
 * The Adj-RIB views behind `show neighbor X advertised-routes | received-routes`: what a member of a
 * shared update group was sent (its own routes left out, next hop self as its own address) and what
 * a peer sent before import policy (kept only with soft-reconfiguration-inbound).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RoutingEngine } from '../../../src/core/routing.js';
import { adjRibSnapshot } from '../../../src/core/snapshot.js';
import { compilePolicies, policiesSchema } from '../../../src/policy/index.js';
import { NlriBuilder } from '../../../src/rib/nlri-builder.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import type { PeerInfo } from '../../../src/rib/types.js';
import {
  Afi,
  AsPathSegmentType,
  decodeMessage,
  IPV4_UNICAST,
  Origin,
  packAnnouncements,
  type UpdateMessage,
} from '../../../src/wire/index.js';
import { DECISION, LOCAL, PLAIN, params, peer, sender, turn } from './fixtures.js';

const policies = compilePolicies(
  policiesSchema.parse(
    parse('no-10-1-0: { terms: [{ name: t, match: { prefix-list: [10.1.0.0/24] }, then: reject }] }'),
  ),
  { localAsn: 65000 },
);

function announce(info: PeerInfo, prefixes: string[]): UpdateMessage[] {
  const b = new NlriBuilder(Afi.IPV4, false);
  for (const p of prefixes) b.add(keyFromText(p)!.key);
  const ctx = params(info.asn);
  const attrs = {
    origin: Origin.IGP,
    asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [info.asn] }],
    nextHop: `192.0.2.${info.id}`,
  };
  return packAnnouncements(attrs, b.build(), IPV4_UNICAST, ctx, 4096).messages.map((m) => {
    const r = decodeMessage(m, ctx, 4096);
    if (!r.ok || r.message.type !== 'update') throw new Error('bad UPDATE');
    return r.message;
  });
}

/** Two eBGP peers on point-to-point links share one update group; each has its own address. */
const p2p = (id: number, asn: number, local: string): PeerInfo => ({
  ...peer(id, asn),
  localAddress4: local,
  pointToPoint: true,
});

const view = (e: RoutingEngine, info: PeerInfo) =>
  adjRibSnapshot(4, e.adjRibOut(info, 4)).map((r) => [r.prefix, r.nextHop, r.attributes.asPath]);

describe('Adj-RIB views', () => {
  it('advertised: the group entries each member was sent, with its own next hop and without its own routes', async () => {
    const e = new RoutingEngine({ local: LOCAL, decision: DECISION });
    const a = peer(2, 65002);
    const b = p2p(3, 65003, '198.51.100.1');
    const c = p2p(4, 65004, '198.51.100.5');
    const sink = sender(() => {});
    e.peerUp(a, params(65002), sink, {
      ...PLAIN,
      softReconfigurationInbound: true,
      importPolicy: [policies.get('no-10-1-0')!],
    });
    e.peerUp(b, params(65003), sink, PLAIN);
    e.peerUp(c, params(65004), sink, PLAIN);
    await turn();
    for (const u of announce(a, ['10.1.2.0/24', '10.1.0.0/24', '10.1.1.0/24'])) e.receiveUpdate(a, u);
    for (const u of announce(b, ['10.3.0.0/24'])) e.receiveUpdate(b, u);
    e.flush();
    await turn();
    expect(e.groupSizes).toEqual([2, 1]);
    const path = (...asns: number[]) => [{ type: 'sequence', asns }];
    expect(view(e, b)).toEqual([
      ['10.1.1.0/24', '198.51.100.1', path(65000, 65002)],
      ['10.1.2.0/24', '198.51.100.1', path(65000, 65002)],
    ]);
    expect(view(e, c)).toEqual([
      ['10.1.1.0/24', '198.51.100.5', path(65000, 65002)],
      ['10.1.2.0/24', '198.51.100.5', path(65000, 65002)],
      ['10.3.0.0/24', '198.51.100.5', path(65000, 65003)],
    ]);
    expect(view(e, a)).toEqual([['10.3.0.0/24', '192.0.2.100', path(65000, 65003)]]);

    // Received before policy: all three from A, 10.1.0.0/24 included; nothing kept for B.
    const fromA = adjRibSnapshot(4, e.adjRibIn(a, 4) ?? []);
    expect(fromA.map((r) => [r.prefix, r.nextHop, r.pathId])).toEqual([
      ['10.1.0.0/24', '192.0.2.2', 0],
      ['10.1.1.0/24', '192.0.2.2', 0],
      ['10.1.2.0/24', '192.0.2.2', 0],
    ]);
    expect(e.adjRibIn(b, 4)).toBeNull();
    // A peer that is gone has no views.
    e.peerDown(c);
    expect(e.adjRibOut(c, 4)).toEqual([]);
  });

  it('advertised after a new export policy moved the peer to a private group: what it was sent, less what the policy drops', async () => {
    const e = new RoutingEngine({ local: LOCAL, decision: DECISION });
    const a = peer(2, 65002);
    const b = p2p(3, 65003, '198.51.100.1');
    const c = p2p(4, 65004, '198.51.100.5');
    const sink = sender(() => {});
    e.peerUp(a, params(65002), sink, PLAIN);
    e.peerUp(b, params(65003), sink, PLAIN);
    e.peerUp(c, params(65004), sink, PLAIN);
    await turn();
    for (const u of announce(a, ['10.1.0.0/24', '10.1.1.0/24'])) e.receiveUpdate(a, u);
    e.flush();
    await turn();
    expect(e.initialTableSent(b)).toBe(true);
    e.setPolicies(b, {
      importPolicy: [],
      exportPolicy: [policies.get('no-10-1-0')!],
      ebgpRequiresPolicy: false,
    });
    await turn();
    expect(e.groupSizes).toEqual([1, 1, 1]);
    expect(view(e, b).map(([prefix, nextHop]) => [prefix, nextHop])).toEqual([
      ['10.1.1.0/24', '198.51.100.1'],
    ]);
    expect(e.initialTableSent(b)).toBe(true);
  });
});
