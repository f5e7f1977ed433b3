import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type PeerRoutingOptions, RoutingEngine } from '../../../src/core/routing.js';
import { compilePolicies, policiesSchema } from '../../../src/policy/index.js';
import { NlriBuilder } from '../../../src/rib/nlri-builder.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import type { PeerInfo, RouteAttrs } from '../../../src/rib/types.js';
import {
  Afi,
  AsPathSegmentType,
  decodeMessage,
  IPV4_UNICAST,
  Origin,
  packAnnouncements,
  type UpdateMessage,
} from '../../../src/wire/index.js';
import { DECISION, LOCAL, PLAIN, params, peer, prefixesOf, turn } from './fixtures.js';

/** The engine and what each peer got, by peer id. */
function setup(o: { onSharedSubnet?: (nh: string, to: PeerInfo) => boolean } = {}) {
  const engine = new RoutingEngine({ local: LOCAL, decision: DECISION, ...o });
  const got = new Map<number, Uint8Array[]>();
  const up = (info: PeerInfo, opts: PeerRoutingOptions = PLAIN, session = params(info.asn)) => {
    got.set(info.id, []);
    engine.peerUp(info, session, { sendUpdates: (ms) => got.get(info.id)?.push(...ms) }, opts);
  };
  const clear = () => {
    for (const m of got.values()) m.length = 0;
  };
  return { engine, got, up, clear };
}

const originate = (engine: RoutingEngine, n: number) => {
  for (let i = 1; i <= n; i++) {
    const k = keyFromText(`10.${1 + (i >> 8)}.${i & 255}.0/24`)!;
    engine.originate(k.family, k.key, { origin: Origin.IGP, asPath: [] });
  }
};

/** An UPDATE from `from` announcing `prefixes`, decoded as the session would hand it over. */
function received(from: PeerInfo, prefixes: string[], attrs: Partial<RouteAttrs> = {}): UpdateMessage {
  const b = new NlriBuilder(Afi.IPV4, false);
  for (const p of prefixes) b.add(keyFromText(p)!.key);
  const asPath = from.ibgp ? [] : [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [from.asn] }];
  const [bytes] = packAnnouncements(
    { origin: Origin.IGP, asPath, nextHop: from.address, ...attrs },
    b.build(),
    IPV4_UNICAST,
    params(from.asn),
    4096,
  );
  const r = decodeMessage(bytes, params(from.asn), 4096);
  if (!r.ok || r.message.type !== 'update') throw new Error('bad UPDATE');
  return r.message;
}

const nextHops = (ms: readonly Uint8Array[]) =>
  ms.map((m) => {
    const r = decodeMessage(m, params(65002), 4096);
    return r.ok && r.message.type === 'update' ? r.message.attributes?.nextHop : undefined;
  });

const at = (p: PeerInfo, local: string): PeerInfo => ({ ...p, localAddress4: local });
const client = (id: number): PeerInfo => ({ ...peer(id, 65000), rrClient: true });

describe('update groups: one Adj-RIB-Out and one encoding per outbound treatment', () => {
  it('puts peers treated alike in one group and hands them the same buffers; another policy, another group', async () => {
    const { engine, got, up, clear } = setup();
    const policies = compilePolicies(
      policiesSchema.parse(parse('med: { terms: [{ name: t, then: { med: 7 } }] }')),
      { localAsn: 65000 },
    );
    const p3 = peer(3, 65002);
    up(peer(2, 65002));
    up(p3);
    up(peer(4, 65002), { ...PLAIN, exportPolicy: [policies.get('med')!] });
    await turn(); // initial (empty) tables and End-of-RIB; 3 merges into 2's group
    expect(engine.updateGroups.map((g) => g.members)).toEqual([['192.0.2.2', '192.0.2.3'], ['192.0.2.4']]);
    clear();
    originate(engine, 300);
    engine.flush();
    const [a, b, c] = [got.get(2)!, got.get(3)!, got.get(4)!];
    expect(a.length).toBeGreaterThan(0);
    expect(b).toHaveLength(a.length);
    for (const [i, m] of b.entries()) expect(m).toBe(a[i]); // the very same buffers
    expect(c).toHaveLength(a.length);
    for (const [i, m] of c.entries()) expect(m).not.toBe(a[i]); // MED 7: packed for itself
    expect(engine.advertisedCount(p3)).toBe(300);
  });

  it('packs once and patches in each member its own next hop (RFC 4271 §5.1.3)', async () => {
    const { engine, got, up, clear } = setup();
    const peers = [
      at(peer(2, 65002), '10.0.2.1'),
      at(peer(3, 65003), '10.0.3.1'),
      at(peer(4, 65004), '10.0.4.1'),
    ];
    for (const p of peers) up(p);
    await turn();
    expect(engine.updateGroups).toHaveLength(1);
    clear();
    originate(engine, 300);
    engine.flush();
    const lists = peers.map((p) => got.get(p.id)!);
    for (const [i, p] of peers.entries()) {
      expect(lists[i].length).toBeGreaterThan(0);
      expect(new Set(nextHops(lists[i]))).toEqual(new Set([p.localAddress4]));
      expect(lists[i].flatMap(prefixesOf)).toHaveLength(300);
    }
    // The same bytes but for the four octets of NEXT_HOP.
    const [x, y] = [lists[0][0], lists[1][0]];
    expect(x.length).toBe(y.length);
    expect([...x].filter((v, i) => v !== y[i]).length).toBeLessThanOrEqual(4);
    // One exported attribute set for the group, not one per peer.
    expect(engine.exportedAttributeSets).toBe(1);
  });

  it('does not send a member its own routes, and withdraws from it what it has once its own path wins', async () => {
    const { engine, got, up, clear } = setup();
    const [c2, c3, c4] = [client(2), client(3), client(4)];
    for (const c of [c2, c3, c4]) up(c);
    await turn();
    clear();
    engine.receiveUpdate(c2, received(c2, ['10.20.0.0/24'], { localPref: 100 }));
    engine.flush();
    expect(got.get(2)).toEqual([]);
    expect(got.get(3)!.flatMap(prefixesOf)).toEqual(['+10.20.0.0/24']);
    expect(got.get(4)).toEqual(got.get(3)); // the same buffers
    clear();
    // Client 3 announces it with a higher LOCAL_PREF: 2 and 4 get 3's path, 3 gets a withdrawal.
    engine.receiveUpdate(c3, received(c3, ['10.20.0.0/24'], { localPref: 200 }));
    engine.flush();
    expect(got.get(2)!.flatMap(prefixesOf)).toEqual(['+10.20.0.0/24']);
    expect(got.get(4)!.flatMap(prefixesOf)).toEqual(['+10.20.0.0/24']);
    expect(got.get(3)!.flatMap(prefixesOf)).toEqual(['-10.20.0.0/24']);
    expect(engine.advertisedCount(c3)).toBe(0);
    expect(engine.advertisedCount(c2)).toBe(1);
    clear();
    // 3 withdraws: back to 2's path, which 2 never had.
    engine.peerDown(c3);
    engine.flush();
    expect(got.get(2)!.flatMap(prefixesOf)).toEqual(['-10.20.0.0/24']);
    expect(got.get(4)!.flatMap(prefixesOf)).toEqual(['+10.20.0.0/24']);
    expect(engine.advertisedCount(c2)).toBe(0);
    expect(engine.advertisedCount(c4)).toBe(1);
  });

  it('keeps a third-party next hop only for the member on its subnet (RFC 4271 §5.1.3 (2))', async () => {
    const src = peer(9, 65009);
    const { engine, got, up, clear } = setup({
      onSharedSubnet: (nh, to) => nh === src.address && to.id === 2,
    });
    up(src);
    up(at(peer(2, 65002), '10.0.2.1'));
    up(at(peer(3, 65003), '10.0.3.1'));
    await turn();
    clear();
    engine.receiveUpdate(src, received(src, ['10.30.0.0/24']));
    engine.flush();
    expect(nextHops(got.get(2)!)).toEqual([src.address]);
    expect(nextHops(got.get(3)!)).toEqual(['10.0.3.1']);
  });

  it('lets a later peer send its own table, then join the group it matches', async () => {
    const { engine, got, up, clear } = setup();
    up(peer(2, 65002));
    await turn();
    originate(engine, 50);
    engine.flush();
    up(peer(3, 65002));
    expect(engine.updateGroups).toHaveLength(2);
    await turn(); // 3's table…
    await turn(); // …and End-of-RIB
    expect(got.get(3)!.flatMap(prefixesOf)).toHaveLength(50);
    expect(engine.updateGroups.map((g) => g.members)).toEqual([['192.0.2.2', '192.0.2.3']]);
    clear();
    originate(engine, 60);
    engine.flush();
    expect(got.get(3)!.flatMap(prefixesOf)).toHaveLength(10);
    for (const [i, m] of got.get(3)!.entries()) expect(m).toBe(got.get(2)![i]);
  });

  it('moves a peer whose export policy changes to a group of its own and sends only the difference', async () => {
    const { engine, got, up, clear } = setup();
    const policies = compilePolicies(
      policiesSchema.parse(
        parse('no1: { terms: [{ name: t, match: { prefix-list: ["10.1.1.0/24"] }, then: reject }] }'),
      ),
      { localAsn: 65000 },
    );
    const [p2, p3] = [peer(2, 65002), peer(3, 65002)];
    up(p2);
    up(p3);
    await turn();
    originate(engine, 5);
    engine.flush();
    clear();
    engine.setPolicies(p3, {
      importPolicy: [],
      exportPolicy: [policies.get('no1')!],
      ebgpRequiresPolicy: false,
    });
    expect(got.get(3)!.flatMap(prefixesOf)).toEqual(['-10.1.1.0/24']);
    expect(got.get(2)).toEqual([]);
    expect(engine.updateGroups).toHaveLength(2);
    expect(engine.advertisedCount(p3)).toBe(4);
    expect(engine.advertisedCount(p2)).toBe(5);
  });

  it('with ADD-PATH, sends each member every path but its own (RFC 7911)', async () => {
    const { got, up, clear, engine } = setup();
    const addPath = {
      ...params(65000),
      addPathTx: new Set([IPV4_UNICAST]),
      addPathRx: new Set([IPV4_UNICAST]),
    };
    const [c2, c3, c4] = [client(2), client(3), client(4)];
    for (const c of [c2, c3, c4]) up(c, PLAIN, addPath);
    await turn();
    clear();
    engine.receiveUpdate(c2, received(c2, ['10.40.0.0/24']));
    engine.receiveUpdate(c3, received(c3, ['10.40.0.0/24']));
    engine.flush();
    const paths = (id: number) =>
      got.get(id)!.flatMap((m) => {
        const r = decodeMessage(m, addPath, 4096);
        if (!r.ok || r.message.type !== 'update') return [];
        const out: string[] = [];
        r.message.nlri.forEach((_b, _o, _l, pathId) => {
          out.push(`${r.message.type === 'update' && r.message.attributes?.originatorId}#${pathId}`);
        });
        return out;
      });
    expect(paths(4).sort()).toHaveLength(2);
    expect(paths(2).map((x) => x.split('#')[0])).toEqual([c3.routerId]);
    expect(paths(3).map((x) => x.split('#')[0])).toEqual([c2.routerId]);
    expect(engine.advertisedCount(c4)).toBe(2);
    expect(engine.advertisedCount(c2)).toBe(1);
  });
});
