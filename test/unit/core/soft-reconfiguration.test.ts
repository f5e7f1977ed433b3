import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RoutingEngine } from '../../../src/core/routing.js';
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
  packWithdrawals,
  type UpdateMessage,
} from '../../../src/wire/index.js';
import { DECISION, LOCAL, PLAIN, params, peer, sender, turn } from './fixtures.js';

const policies = compilePolicies(
  policiesSchema.parse(
    parse(`
no-10-1-0: { terms: [{ name: t, match: { prefix-list: [10.1.0.0/24] }, then: reject }] }
all: { terms: [{ name: t, then: accept }] }
`),
  ),
  { localAsn: 65000 },
);

function updates(info: PeerInfo, prefixes: string[], withdraw = false): UpdateMessage[] {
  const b = new NlriBuilder(Afi.IPV4, false);
  for (const p of prefixes) b.add(keyFromText(p)!.key);
  const ctx = params(info.asn);
  const attrs = {
    origin: Origin.IGP,
    asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [info.asn] }],
    nextHop: '192.0.2.77',
  };
  const wire = withdraw
    ? packWithdrawals(b.build(), IPV4_UNICAST, ctx, 4096)
    : packAnnouncements(attrs, b.build(), IPV4_UNICAST, ctx, 4096).messages;
  return wire
    .map((m) => decodeMessage(m, ctx, 4096))
    .map((r) => {
      if (!r.ok || r.message.type !== 'update') throw new Error('bad UPDATE');
      return r.message;
    });
}

const inRib = (e: RoutingEngine) => [...e.rib.tables[4].values()].filter((d) => d.best).length;

describe('soft reconfiguration inbound: the Adj-RIB-In before policy', () => {
  it('applies a new import policy to what the peer sent, without asking it again', async () => {
    const e = new RoutingEngine({ local: LOCAL, decision: DECISION });
    const a = peer(2, 65002);
    const plain = peer(3, 65003);
    const sink = sender(() => {});
    e.peerUp(a, params(65002), sink, {
      ...PLAIN,
      softReconfigurationInbound: true,
      importPolicy: [policies.get('no-10-1-0')!],
    });
    e.peerUp(plain, params(65003), sink, PLAIN);
    await turn();
    for (const u of updates(a, ['10.1.0.0/24', '10.1.1.0/24', '10.1.2.0/24'])) e.receiveUpdate(a, u);
    e.flush();
    expect(inRib(e)).toBe(2);
    expect(e.prefixCounts(a)[4]).toMatchObject({ received: 3, accepted: 2 });
    e.setPolicies(a, { importPolicy: [policies.get('all')!], exportPolicy: [], ebgpRequiresPolicy: false });
    expect(e.reimport(a)).toBe(true);
    e.flush();
    expect(inRib(e)).toBe(3);
    expect(e.prefixCounts(a)[4]).toMatchObject({ received: 3, accepted: 3 });
    // Back to the first policy: the rejected prefix leaves the RIB again.
    e.setPolicies(a, {
      importPolicy: [policies.get('no-10-1-0')!],
      exportPolicy: [],
      ebgpRequiresPolicy: false,
    });
    e.reimport(a);
    e.flush();
    expect(inRib(e)).toBe(2);
    // A withdrawal leaves the Adj-RIB-In too.
    for (const u of updates(a, ['10.1.0.0/24', '10.1.1.0/24'], true)) e.receiveUpdate(a, u);
    e.flush();
    expect(e.prefixCounts(a)[4]).toMatchObject({ received: 1, accepted: 1 });
    // Without the option nothing is kept: the caller falls back to ROUTE-REFRESH.
    expect(e.reimport(plain)).toBe(false);
  });
});
