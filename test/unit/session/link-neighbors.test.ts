/**
 * Unnumbered neighbors on a ManualClock with a fake ICMPv6 socket: RAs on the RFC 4861 §6.2.4
 * schedule, an RS answered at once, the peer's address learned from its RA or its connection, and
 * a change of address replacing the session unless the old one is Established and still heard.
 */
import { describe, expect, it } from 'vitest';
import { LINK_TIMING, LinkNeighbors, PeerAddressTracker } from '../../../src/session/link-neighbors.js';
import { encodeRouterAdvert } from '../../../src/session/router-advert.js';
import { ManualClock } from '../../../src/util/clock.js';

const RS = Uint8Array.of(133, 0, 0, 0, 0, 0, 0, 0);

function setup(opts: { failOpen?: boolean } = {}) {
  const clock = new ManualClock();
  const sent: number[] = [];
  const inbox: { from: string; data: Uint8Array }[] = [];
  const events: string[] = [];
  const established = new Set<string>();
  const links = new LinkNeighbors({
    clock,
    openSocket: () => {
      if (opts.failOpen) throw new Error('no CAP_NET_RAW');
      return {
        sendAllNodes: (d) => {
          expect(d[0]).toBe(134);
          sent.push(clock.now());
          return null;
        },
        drain: () => inbox.splice(0),
        close: () => events.push('close'),
      };
    },
    create: (n, address) => events.push(`create ${address} asn ${n.asn}`),
    remove: (address, why) => events.push(`remove ${address}: ${why}`),
    established: (a) => established.has(a),
    warn: (_o, m) => events.push(`warn ${m}`),
    info: () => {},
  });
  return { clock, sent, inbox, events, established, links };
}

describe('LinkNeighbors', () => {
  it('sends RAs at once, then every second three times, then every 10 s', () => {
    const t = setup();
    t.links.add({ interface: 'eth1', asn: 'external' });
    t.clock.advance(40_000);
    expect(t.sent).toEqual([0, 1000, 2000, 3000, 13_000, 23_000, 33_000]);
  });

  it('learns the peer from its RA, answers an RS at once and tells a new peer about us', () => {
    const t = setup();
    t.links.add({ interface: 'eth1', asn: 65002 });
    t.clock.advance(500);
    t.inbox.push({ from: 'fe80::2%eth1', data: encodeRouterAdvert() });
    t.clock.advance(LINK_TIMING.pollMs);
    expect(t.events).toEqual(['create fe80::2%eth1 asn 65002']);
    expect(t.sent).toEqual([0, 600]);
    expect(t.links.addressOf('eth1')).toBe('fe80::2%eth1');
    t.inbox.push({ from: 'fe80::2%eth1', data: RS });
    t.clock.advance(LINK_TIMING.pollMs);
    expect(t.sent).toEqual([0, 600, 800]);
    expect(t.events).toHaveLength(1); // the same peer again: nothing new
  });

  it('replaces the session when the address changes, keeping a live Established one', () => {
    const t = setup();
    t.links.add({ interface: 'eth1', asn: 'external' });
    t.inbox.push({ from: 'fe80::2%eth1', data: encodeRouterAdvert() });
    t.clock.advance(LINK_TIMING.pollMs);
    t.established.add('fe80::2%eth1');
    t.inbox.push({ from: 'fe80::3%eth1', data: encodeRouterAdvert() });
    t.clock.advance(LINK_TIMING.pollMs);
    expect(t.links.addressOf('eth1')).toBe('fe80::2%eth1');
    // The old address falls silent: the next RA from the new one takes over.
    t.clock.advance(LINK_TIMING.aliveMs);
    t.inbox.push({ from: 'fe80::3%eth1', data: encodeRouterAdvert() });
    t.clock.advance(LINK_TIMING.pollMs);
    expect(t.events).toEqual([
      'create fe80::2%eth1 asn external',
      'remove fe80::2%eth1: peer address on eth1 changed to fe80::3%eth1',
      'create fe80::3%eth1 asn external',
    ]);
  });

  it('learns from a connection on the link when it cannot open the socket, and ignores other links', () => {
    const t = setup({ failOpen: true });
    t.links.add({ interface: 'eth1', asn: 'internal' });
    expect(t.events).toEqual([
      'warn unnumbered neighbor: no Router Advertisements; waiting for the peer to connect',
    ]);
    expect(t.links.connectionFrom('fe80::9%eth2')).toBeUndefined();
    expect(t.links.connectionFrom('fe80::9%eth1')).toMatchObject({ interface: 'eth1', asn: 'internal' });
    expect(t.events.at(-1)).toBe('create fe80::9%eth1 asn internal');
    expect(t.links.remove('eth1', 'neighbor removed')).toBe(true);
    expect(t.events.at(-1)).toBe('remove fe80::9%eth1: neighbor removed');
  });

  it('stops advertising when closed', () => {
    const t = setup();
    t.links.add({ interface: 'eth1', asn: 'external' });
    t.links.close();
    t.clock.advance(30_000);
    expect(t.sent).toEqual([0]);
    expect(t.events).toEqual(['close']);
  });
});

describe('PeerAddressTracker', () => {
  it('switches to a new address unless the current one is Established and heard recently', () => {
    const tr = new PeerAddressTracker();
    const up = (a: string) => a === 'a';
    expect(tr.heard('a', 0, up)).toBe('a');
    expect(tr.heard('a', 10, up)).toBeNull();
    expect(tr.heard('b', 20, up)).toBeNull();
    expect(tr.heard('b', 10 + LINK_TIMING.aliveMs, up)).toBe('b');
    expect(tr.heard('c', 10 + LINK_TIMING.aliveMs, () => false)).toBe('c');
  });
});
