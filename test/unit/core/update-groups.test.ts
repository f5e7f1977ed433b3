import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type PeerRoutingOptions, RoutingEngine } from '../../../src/core/routing.js';
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
    parse(`
med: { terms: [{ name: t, then: { med: 7 } }] }
by-neighbor: { terms: [{ name: t, match: { neighbor: [192.0.2.9] }, then: reject }] }
`),
  ),
  { localAsn: 65000 },
);

/** One sent UPDATE, decoded: announced and withdrawn prefixes with the next hop and AS path. */
interface Seen {
  readonly announced: string[];
  readonly withdrawn: string[];
  readonly nextHop?: string;
  readonly asPath?: number[];
}

const text = (b: Uint8Array, off: number, len: number) => `${b[off]}.${b[off + 1]}.${b[off + 2]}.0/${len}`;

/** A session with ADD-PATH both ways for IPv4 unicast (RFC 7911). */
const addPathParams = (asn: number) => ({
  ...params(asn),
  addPathRx: new Set([IPV4_UNICAST]),
  addPathTx: new Set([IPV4_UNICAST]),
});

function decode(m: Uint8Array, addPath = false): Seen | 'eor' {
  const r = decodeMessage(m, addPath ? addPathParams(65002) : params(65002), 4096);
  if (!r.ok || r.message.type !== 'update') throw new Error('not an UPDATE');
  const u = r.message;
  const announced: string[] = [];
  const withdrawn: string[] = [];
  u.nlri.forEach((b, off, len, pathId) => {
    announced.push(addPath ? `${text(b, off, len)}#${pathId}` : text(b, off, len));
  });
  u.withdrawn.forEach((b, off, len) => {
    withdrawn.push(text(b, off, len));
  });
  if (!announced.length && !withdrawn.length) return 'eor';
  return {
    announced,
    withdrawn,
    ...(u.attributes?.nextHop !== undefined && { nextHop: u.attributes.nextHop }),
    ...(u.attributes?.asPath && { asPath: u.attributes.asPath.flatMap((s) => s.asns) }),
  };
}

/** A routing engine with peers whose sent UPDATEs are recorded raw and decoded. */
class Rig {
  readonly engine: RoutingEngine;
  readonly raw = new Map<number, Uint8Array[]>();
  readonly peers = new Map<number, PeerInfo>();

  constructor(
    onSharedSubnet?: (nh: string, to: PeerInfo) => boolean,
    private readonly addPath = false,
  ) {
    this.engine = new RoutingEngine({
      local: LOCAL,
      decision: DECISION,
      ...(onSharedSubnet && { onSharedSubnet }),
    });
  }

  up(
    id: number,
    asn: number,
    extra: Partial<PeerInfo> = {},
    opts: Partial<PeerRoutingOptions> = {},
  ): PeerInfo {
    const info = { ...peer(id, asn), ...extra };
    this.raw.set(id, []);
    this.peers.set(id, info);
    this.engine.peerUp(
      info,
      this.addPath ? addPathParams(asn) : params(asn),
      sender((ms) => this.raw.get(id)!.push(...ms)),
      { ...PLAIN, ...opts },
    );
    return info;
  }

  /** An eBGP peer of AS 65000 + id, multihop, our address 10.0.<id>.1 on its session. */
  multihop(id: number): PeerInfo {
    return this.up(id, 65000 + id, { localAddress4: `10.0.${id}.1`, directlyConnected: false });
  }

  /** What `id` was sent since the last call, End-of-RIB as 'eor'. */
  take(id: number): (Seen | 'eor')[] {
    const list = this.raw.get(id)!;
    const out = list.map((m) => decode(m, this.addPath));
    list.length = 0;
    return out;
  }

  /** `from` announces prefixes with an AS path and next hop. */
  announce(from: number, prefixes: string[], asPath: number[], nextHop: string): void {
    const info = this.peers.get(from)!;
    const b = new NlriBuilder(Afi.IPV4, this.addPath);
    for (const p of prefixes) b.add(keyFromText(p)!.key, 1);
    const attrs = {
      origin: Origin.IGP,
      asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: asPath }],
      nextHop,
    };
    const ctx = this.addPath ? addPathParams(info.asn) : params(info.asn);
    for (const m of packAnnouncements(attrs, b.build(), IPV4_UNICAST, ctx, 4096).messages) {
      const r = decodeMessage(m, ctx, 4096);
      if (!r.ok || r.message.type !== 'update') throw new Error('bad UPDATE');
      this.engine.receiveUpdate(info, r.message as UpdateMessage);
    }
  }
}

const prefixes = (n: number) => Array.from({ length: n }, (_, i) => `10.${1 + (i >> 8)}.${i & 255}.0/24`);
const announcedTo = (seen: (Seen | 'eor')[]) =>
  seen.flatMap((s) => (s === 'eor' ? [] : s.announced.map((p) => `${p} via ${s.nextHop}`)));

describe('update groups: peers treated alike share one Adj-RIB-Out and the UPDATEs packed for it', () => {
  it('hands the same buffers to members with the same session address, packs once more for another policy', async () => {
    const rig = new Rig();
    rig.up(2, 65002);
    rig.up(3, 65002);
    rig.up(4, 65002, {}, { exportPolicy: [policies.get('med')!] });
    await turn(); // initial (empty) tables and End-of-RIB
    for (const id of [2, 3, 4]) expect(rig.take(id)).toEqual(['eor']);
    for (const p of prefixes(300)) {
      const k = keyFromText(p)!;
      rig.engine.originate(k.family, k.key, { origin: Origin.IGP, asPath: [] });
    }
    rig.engine.flush();
    const [a, b, c] = [rig.raw.get(2)!, rig.raw.get(3)!, rig.raw.get(4)!];
    expect(a.length).toBeGreaterThan(0);
    expect(b).toHaveLength(a.length);
    for (const [i, m] of b.entries()) expect(m).toBe(a[i]); // the very same buffers
    expect(c).toHaveLength(a.length);
    for (const [i, m] of c.entries()) expect(m).not.toBe(a[i]); // MED 7: another group
    expect(rig.engine.sharedUpdates).toBe(a.length);
    expect(rig.engine.groupSizes).toEqual([2, 1]);
  });

  it('packs once for multihop members on different subnets and patches each one its own next hop', async () => {
    const rig = new Rig();
    rig.multihop(2);
    rig.multihop(3);
    await turn();
    expect(rig.engine.groupSizes).toEqual([2]);
    for (const p of prefixes(3)) {
      const k = keyFromText(p)!;
      rig.engine.originate(k.family, k.key, { origin: Origin.IGP, asPath: [] });
    }
    rig.engine.flush();
    const two = rig.take(2);
    const three = rig.take(3);
    expect(announcedTo(two.slice(1))).toEqual(prefixes(3).map((p) => `${p} via 10.0.2.1`));
    expect(announcedTo(three.slice(1))).toEqual(prefixes(3).map((p) => `${p} via 10.0.3.1`));
    expect(rig.engine.sharedUpdates).toBe(1); // one UPDATE packed, two sent
  });

  it("never sends a member's own routes back, and withdraws from it what it now is the best source of", async () => {
    const rig = new Rig();
    for (const id of [2, 3, 4]) rig.multihop(id);
    await turn();
    for (const id of [2, 3, 4]) rig.take(id);
    rig.announce(2, ['10.9.0.0/24'], [65002, 65100, 65101], '10.0.2.2');
    rig.engine.flush();
    expect(rig.take(2)).toEqual([]);
    expect(announcedTo(rig.take(3))).toEqual(['10.9.0.0/24 via 10.0.3.1']);
    expect(announcedTo(rig.take(4))).toEqual(['10.9.0.0/24 via 10.0.4.1']);
    // Peer 3 offers a shorter path: it becomes the best; 3 is told to forget the one it had.
    rig.announce(3, ['10.9.0.0/24'], [65003], '10.0.3.2');
    rig.engine.flush();
    expect(rig.take(3)).toEqual([{ announced: [], withdrawn: ['10.9.0.0/24'] }]);
    expect(rig.take(2)).toEqual([
      { announced: ['10.9.0.0/24'], withdrawn: [], nextHop: '10.0.2.1', asPath: [65000, 65003] },
    ]);
    expect(rig.take(4)).toEqual([
      { announced: ['10.9.0.0/24'], withdrawn: [], nextHop: '10.0.4.1', asPath: [65000, 65003] },
    ]);
    expect(rig.engine.prefixCounts(rig.peers.get(3)!)[4].advertised).toBe(0);
    expect(rig.engine.prefixCounts(rig.peers.get(2)!)[4].advertised).toBe(1);
  });

  it("two members sending the very same attributes: each gets the other's routes, never its own", async () => {
    const rig = new Rig();
    for (const id of [2, 3, 4]) rig.multihop(id);
    await turn();
    for (const id of [2, 3, 4]) rig.take(id);
    // The same octets from both: one received set, one exported set hidden from two members.
    rig.announce(2, ['10.9.0.0/24'], [65100], '10.0.9.9');
    rig.announce(3, ['10.9.1.0/24'], [65100], '10.0.9.9');
    rig.engine.flush();
    expect(rig.engine.rib.store.size).toBe(1);
    expect(announcedTo(rig.take(2))).toEqual(['10.9.1.0/24 via 10.0.2.1']);
    expect(announcedTo(rig.take(3))).toEqual(['10.9.0.0/24 via 10.0.3.1']);
    expect(announcedTo(rig.take(4)).sort()).toEqual(['10.9.0.0/24 via 10.0.4.1', '10.9.1.0/24 via 10.0.4.1']);
    expect(rig.engine.adjRibOut(rig.peers.get(2)!, 4).map((r) => r.attrs.nextHop)).toEqual(['10.0.2.1']);
  });

  it('passes a third-party next hop to the members on its subnet, one group per subnet (RFC 4271 §5.1.3)', async () => {
    // Peers 3 and 5 are on 10.0.3.0/24 with us (our address 10.0.3.1), peer 4 on another subnet.
    const rig = new Rig((nh, to) => to.localAddress4 === '10.0.3.1' && nh.startsWith('10.0.3.'));
    rig.up(2, 65002, { localAddress4: '10.0.2.1' });
    rig.up(3, 65003, { localAddress4: '10.0.3.1', address: '10.0.3.3' });
    rig.up(4, 65004, { localAddress4: '10.0.4.1' });
    rig.up(5, 65005, { localAddress4: '10.0.3.1', address: '10.0.3.5' });
    await turn();
    for (const id of [2, 3, 4, 5]) rig.take(id);
    expect(rig.engine.groupSizes).toEqual([2, 1, 1]);
    rig.announce(2, ['10.9.0.0/24', '10.9.1.0/24'], [65002], '10.0.3.7');
    rig.engine.flush();
    const [three, five] = [rig.raw.get(3)!.slice(), rig.raw.get(5)!.slice()];
    expect(five).toHaveLength(three.length);
    for (const [i, m] of five.entries()) expect(m).toBe(three[i]); // packed once for the subnet
    expect(announcedTo(rig.take(3))).toEqual(['10.9.0.0/24 via 10.0.3.7', '10.9.1.0/24 via 10.0.3.7']);
    rig.take(5);
    expect(announcedTo(rig.take(4))).toEqual(['10.9.0.0/24 via 10.0.4.1', '10.9.1.0/24 via 10.0.4.1']);
    rig.announce(2, ['10.9.0.0/24'], [65002], '10.0.2.2'); // the next hop moves off their subnet
    rig.engine.flush();
    expect(announcedTo(rig.take(5))).toEqual(['10.9.0.0/24 via 10.0.3.1']);
    expect(announcedTo(rig.take(4))).toEqual([]); // the same for 4: next hop self either way
  });

  it('a spine: leaves on point-to-point links share one group, each with its own next hop self', async () => {
    // Every leaf's address is on its own /31 with us; a next hop on it can only be the leaf itself.
    const rig = new Rig((nh, to) => nh.startsWith(to.address.slice(0, to.address.lastIndexOf('.'))));
    for (const id of [2, 3, 4])
      rig.up(id, 65000 + id, { localAddress4: `10.0.${id}.0`, address: `10.0.${id}.1`, pointToPoint: true });
    await turn();
    for (const id of [2, 3, 4]) rig.take(id);
    expect(rig.engine.groupSizes).toEqual([3]);
    rig.announce(2, ['10.9.0.0/24'], [65002], '10.0.2.1');
    rig.engine.flush();
    expect(rig.take(2)).toEqual([]);
    expect(announcedTo(rig.take(3))).toEqual(['10.9.0.0/24 via 10.0.3.0']);
    expect(announcedTo(rig.take(4))).toEqual(['10.9.0.0/24 via 10.0.4.0']);
    expect(rig.engine.sharedUpdates).toBe(1);
  });

  it('gives a later member the group table without computing it again, then End-of-RIB', async () => {
    const rig = new Rig();
    rig.multihop(2);
    await turn();
    rig.announce(2, prefixes(50), [65002], '10.0.2.2');
    rig.multihop(3);
    rig.engine.flush();
    rig.take(3);
    const sets = rig.engine.exportedAttributeSets;
    rig.multihop(4);
    await turn();
    await turn();
    const four = rig.take(4);
    expect(four.at(-1)).toBe('eor');
    expect(announcedTo(four).sort()).toEqual(
      prefixes(50)
        .map((p) => `${p} via 10.0.4.1`)
        .sort(),
    );
    expect(rig.engine.exportedAttributeSets).toBe(sets);
    expect(rig.engine.groupSizes).toEqual([3]);
    expect(rig.engine.initialTableSent(rig.peers.get(4)!)).toBe(true);
  });

  it("computes a sole member's own routes only once another member comes, which then gets them", async () => {
    const rig = new Rig();
    rig.multihop(2);
    await turn();
    rig.announce(2, prefixes(30), [65002], '10.0.2.2');
    rig.engine.flush();
    expect(rig.engine.exportedAttributeSets).toBe(0); // nobody to send them to
    rig.multihop(3);
    await turn();
    await turn();
    const three = rig.take(3);
    expect(three.at(-1)).toBe('eor');
    expect(announcedTo(three).sort()).toEqual(
      prefixes(30)
        .map((p) => `${p} via 10.0.3.1`)
        .sort(),
    );
    expect(rig.take(2).filter((s) => s !== 'eor')).toEqual([]);
    expect(rig.engine.groupSizes).toEqual([2]);
    expect(rig.engine.exportedAttributeSets).toBe(1);
  });

  it('moves a peer whose export policy changes to a group of its own and sends only the differences', async () => {
    const rig = new Rig();
    rig.up(2, 65002);
    rig.up(3, 65003);
    await turn();
    rig.announce(2, prefixes(4), [65002], '10.0.2.2');
    rig.engine.flush();
    rig.take(3);
    const reject = compilePolicies(
      policiesSchema.parse(
        parse('no-10-1-0: { terms: [{ name: t, match: { prefix-list: [10.1.0.0/24] }, then: reject }] }'),
      ),
      { localAsn: 65000 },
    ).get('no-10-1-0')!;
    rig.engine.setPolicies(rig.peers.get(3)!, {
      importPolicy: [],
      exportPolicy: [reject],
      ebgpRequiresPolicy: false,
    });
    expect(rig.take(3)).toEqual([{ announced: [], withdrawn: ['10.1.0.0/24'] }]);
    expect(rig.engine.groupSizes).toEqual([1, 1]);
    rig.announce(2, ['10.1.9.0/24'], [65002], '10.0.2.2');
    rig.engine.flush();
    expect(announcedTo(rig.take(3))).toEqual(['10.1.9.0/24 via 192.0.2.100']);
  });

  it('ADD-PATH: reflects every path to the clients, each less its own, from one group (RFC 7911, RFC 4456)', async () => {
    const rig = new Rig(undefined, true);
    for (const id of [2, 3, 4]) rig.up(id, 65000, { rrClient: true, localAddress4: '10.0.0.1' });
    await turn();
    for (const id of [2, 3, 4]) rig.take(id);
    expect(rig.engine.groupSizes).toEqual([3]);
    rig.announce(2, ['10.9.0.0/24'], [], '10.0.0.2');
    rig.announce(3, ['10.9.0.0/24'], [], '10.0.0.3');
    rig.engine.flush();
    const paths = (id: number) =>
      rig.take(id).flatMap((s) => (s === 'eor' ? [] : s.announced.map((a) => `${a} via ${s.nextHop}`)));
    const [two, three, four] = [paths(2), paths(3), paths(4)];
    expect(two).toHaveLength(1);
    expect(two[0]).toMatch(/via 10\.0\.0\.3$/);
    expect(three).toHaveLength(1);
    expect(three[0]).toMatch(/via 10\.0\.0\.2$/);
    expect(four.sort()).toEqual([...two, ...three].sort()); // both paths, the same path ids
  });

  it('a member going down while it walks the table: the others go on, nothing is left of it', async () => {
    const rig = new Rig();
    rig.multihop(2);
    await turn();
    rig.announce(2, prefixes(40), [65002], '10.0.2.2');
    rig.multihop(3);
    rig.engine.flush();
    const four = rig.multihop(4);
    const five = rig.multihop(5);
    rig.engine.peerDown(four); // before its walk ran
    await turn();
    await turn();
    expect(rig.take(4)).toEqual([]);
    const got = rig.take(5);
    expect(got.at(-1)).toBe('eor');
    expect(announcedTo(got)).toHaveLength(40);
    expect(rig.engine.groupSizes).toEqual([3]);
    expect(rig.engine.initialTableSent(five)).toBe(true);
  });

  it('gives MRAI and neighbor-reading policies a group of their own', async () => {
    const rig = new Rig();
    rig.up(2, 65002);
    rig.up(3, 65002);
    rig.up(4, 65002, {}, { advertisementInterval: 5 });
    rig.up(5, 65002, {}, { exportPolicy: [policies.get('by-neighbor')!] });
    rig.up(6, 65002, {}, { exportPolicy: [policies.get('by-neighbor')!] });
    await turn();
    expect(rig.engine.groupSizes).toEqual([2, 1, 1, 1]);
  });
});
