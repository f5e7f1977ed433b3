import { describe, expect, it } from 'vitest';
import type { BfdSender, BfdTransport } from '../../../src/bfd/manager.js';
import { BfdState, type ControlPacket, encodeControl } from '../../../src/bfd/packet.js';
import type { Datagram } from '../../../src/bfd/udp.js';
import { validateConfig } from '../../../src/config/load.js';
import { BfdLink, bfdSettings } from '../../../src/core/bfd-link.js';
import type { BfdAnnouncement } from '../../../src/core/journal-wiring.js';
import { SessionManager } from '../../../src/session/manager.js';
import { ManualClock } from '../../../src/util/clock.js';
import { controlPacket } from '../bfd/fixtures.js';

const log = { info() {}, warn() {}, debug() {} };

function setup() {
  const config = validateConfig({
    'router-id': '192.0.2.254',
    asn: 65000,
    fib: false,
    neighbors: [
      { address: '192.0.2.1', asn: 65001, passive: true, bfd: true },
      { address: '192.0.2.2', asn: 65001, passive: true, bfd: { 'hold-bgp': false, 'min-tx': 100 } },
      { address: '192.0.2.3', asn: 65001, passive: true },
    ],
  });
  const clock = new ManualClock();
  let deliver: (d: Datagram) => void = () => {};
  const sent: { peer: string; p: Buffer }[] = [];
  const transport: BfdTransport = {
    open(cb) {
      deliver = cb;
      return null;
    },
    sender: async (s): Promise<BfdSender> => ({ send: (p) => sent.push({ peer: s.address, p }), close() {} }),
    close() {},
  };
  const events: BfdAnnouncement[] = [];
  let link: BfdLink | undefined;
  const sessions = new SessionManager(config, {
    clock,
    wallClock: () => 0,
    random: () => 0.5,
    log,
    hooks: { established() {}, down() {}, update() {}, routeRefresh() {}, stateChange() {} },
    mayStart: (a) => link?.mayStart(a) ?? true,
  });
  link = new BfdLink(
    { log, clock, config: () => config, sessions: () => sessions, announce: (e) => events.push(e) },
    transport,
  );
  const from = (address: string, state: number, yourDiscr: number) =>
    deliver({
      data: encodeControl(controlPacket(state as ControlPacket['state'], { myDiscr: 4242, yourDiscr })),
      address,
      port: 49999,
      ttl: 255,
      multihop: false,
    });
  /** Brings the BFD session with `address` Up (Down → Init, then Up). */
  const bringUp = (address: string) => {
    const mine = link?.engine.status().sessions.find((x) => x.peer === address)?.localDiscriminator ?? 0;
    from(address, BfdState.Down, 0);
    from(address, BfdState.Up, mine);
  };
  return { clock, link, sessions, events, from, bringUp, sent };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('BFD and BGP (RFC 5882 §4.3, RFC 9384)', () => {
  it('fills in FRR-like defaults', () => {
    expect(bfdSettings({ bfd: true })).toEqual({
      minRxMs: 300,
      minTxMs: 300,
      multiplier: 3,
      multihop: false,
      holdBgp: true,
    });
    expect(bfdSettings({ bfd: { multiplier: 5, multihop: true } })).toMatchObject({
      multiplier: 5,
      multihop: true,
    });
    expect(bfdSettings({ bfd: false })).toBeNull();
    expect(bfdSettings({})).toBeNull();
  });

  it('holds BGP until BFD is Up, takes it down on BFD Down and holds it again', async () => {
    const { clock, link, sessions, events, bringUp } = setup();
    expect(link.sync()).toBeNull();
    sessions.start();
    await flush();
    const held = sessions.peers.get('192.0.2.1')!;
    expect(held.enabled).toBe(false);
    expect(sessions.peers.get('192.0.2.2')!.enabled).toBe(true); // hold-bgp: false
    expect(sessions.peers.get('192.0.2.3')!.enabled).toBe(true); // no BFD
    bringUp('192.0.2.1');
    expect(held.enabled).toBe(true);
    expect(events.at(-1)).toMatchObject({ peer: '192.0.2.1', to: 'Up', bgp: 'released' });
    clock.advance(1000); // no packet for 3 × 300 ms
    expect(held.enabled).toBe(false);
    expect(events.at(-1)).toEqual({
      peer: '192.0.2.1',
      from: 'Up',
      to: 'Down',
      diag: 'control-detection-time-expired',
      bgp: 'held',
    });
    bringUp('192.0.2.1');
    expect(held.enabled).toBe(true);
  });

  it('without hold-bgp, BFD Down resets the session (Cease 6/10) and it starts again', async () => {
    const { clock, link, sessions, events, bringUp } = setup();
    link.sync();
    sessions.start();
    await flush();
    bringUp('192.0.2.2');
    clock.advance(1000);
    expect(events.at(-1)).toMatchObject({ peer: '192.0.2.2', to: 'Down', bgp: 'down' });
    expect(sessions.peers.get('192.0.2.2')!.enabled).toBe(true);
  });

  it('the peer going AdminDown is not a failure (RFC 5882 §3.2): BGP stays up', async () => {
    const { link, sessions, events, bringUp, from } = setup();
    link.sync();
    sessions.start();
    await flush();
    bringUp('192.0.2.1');
    from(
      '192.0.2.1',
      BfdState.AdminDown,
      link.engine.status().sessions.find((x) => x.peer === '192.0.2.1')!.localDiscriminator,
    );
    expect(link.engine.peer('192.0.2.1')?.state).toBe(BfdState.Down);
    expect(events.at(-1)).toMatchObject({ to: 'Down', diag: 'neighbor-signaled-session-down' });
    expect(events.at(-1)?.bgp).toBeUndefined();
    expect(sessions.peers.get('192.0.2.1')!.enabled).toBe(true);
  });

  it('an administrative stop is not undone by BFD coming Up', async () => {
    const { clock, link, sessions, bringUp } = setup();
    link.sync();
    sessions.start();
    await flush();
    const peer = sessions.peers.get('192.0.2.1')!;
    bringUp('192.0.2.1');
    peer.stop('operator');
    clock.advance(1000);
    bringUp('192.0.2.1');
    expect(peer.enabled).toBe(false);
    link.stop();
  });
});
