import { describe, expect, it } from 'vitest';
import { BfdManager, type BfdPeerSpec, type BfdTransport } from '../../../src/bfd/manager.js';
import { BfdState, type ControlPacket, decodeControl, encodeControl } from '../../../src/bfd/packet.js';
import type { Transition } from '../../../src/bfd/state-machine.js';
import type { Datagram } from '../../../src/bfd/udp.js';
import { ManualClock } from '../../../src/util/clock.js';
import { controlPacket } from './fixtures.js';

const timers = { desiredMinTx: 300_000, requiredMinRx: 300_000, detectMult: 3 };
const spec = (address: string, o: Partial<BfdPeerSpec> = {}): BfdPeerSpec => ({
  address,
  multihop: false,
  timers,
  adminDown: false,
  ...o,
});

function setup() {
  const clock = new ManualClock();
  const out: { peer: string; port: number; p: ControlPacket }[] = [];
  let deliver: ((d: Datagram) => void) | null = null;
  let closed = 0;
  const transport: BfdTransport = {
    open(cb) {
      deliver = cb;
      return null;
    },
    sender: async (s) => ({
      send: (b, port) => {
        const r = decodeControl(b);
        if (r.ok) out.push({ peer: s.address, port, p: r.packet });
      },
      close() {},
    }),
    close: () => void closed++,
  };
  const changes: { address: string; t: Transition }[] = [];
  const m = new BfdManager({
    clock,
    random: Math.random,
    wallClock: () => 1000,
    log: { info() {}, warn() {} },
    transport,
    changed: (address, t) => changes.push({ address, t }),
  });
  const rx = (address: string, p: Partial<ControlPacket>, o: Partial<Datagram> = {}) =>
    deliver?.({
      data: encodeControl(controlPacket(BfdState.Down, { myDiscr: 9, yourDiscr: 0, ...p })),
      address,
      port: 50000,
      ttl: 255,
      multihop: false,
      ...o,
    });
  return { clock, m, out, rx, changes, closed: () => closed };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('BfdManager', () => {
  it('sends to 3784 (single hop) and 4784 (multihop) once the sender is open', async () => {
    const { m, out, clock } = setup();
    m.configure([spec('10.0.0.2'), spec('2001:db8::2', { multihop: true })]);
    await flush();
    clock.advance(1);
    expect(out.map((o) => [o.peer, o.port])).toEqual([
      ['10.0.0.2', 3784],
      ['2001:db8::2', 4784],
    ]);
    expect(out[0].p.myDiscr).not.toBe(out[1].p.myDiscr);
  });

  it('demultiplexes by source address first, by Your Discriminator after; TTL 255 only on single hop', async () => {
    const { m, rx, changes, clock } = setup();
    m.configure([spec('10.0.0.2'), spec('10.0.0.3', { multihop: true })]);
    await flush();
    rx('10.0.0.2', { state: BfdState.Down }, { ttl: 254 });
    expect(m.discarded.get('ttl')).toBe(1);
    expect(m.session('10.0.0.2')?.state).toBe(BfdState.Down);
    rx('10.0.0.2', { state: BfdState.Down });
    expect(m.session('10.0.0.2')?.state).toBe(BfdState.Init);
    const mine = m.session('10.0.0.2')!.vars.localDiscr;
    // The right discriminator from another address, or on the multihop port: dropped.
    rx('10.0.0.9', { state: BfdState.Up, yourDiscr: mine });
    rx('10.0.0.2', { state: BfdState.Up, yourDiscr: mine }, { multihop: true });
    expect(m.discarded.get('wrong-source')).toBe(2);
    rx('10.0.0.2', { state: BfdState.Up, yourDiscr: 12345 });
    expect(m.discarded.get('no-session')).toBe(1);
    rx('10.0.0.2', { state: BfdState.Up, yourDiscr: mine });
    expect(m.session('10.0.0.2')?.state).toBe(BfdState.Up);
    // Multihop accepts any TTL (RFC 5883 §5 leaves the check to the operator).
    rx('10.0.0.3', { state: BfdState.Down }, { ttl: 60, multihop: true });
    expect(m.session('10.0.0.3')?.state).toBe(BfdState.Init);
    rx('10.0.0.2', {}, { data: Buffer.alloc(10) });
    expect(m.discarded.get('malformed')).toBe(1);
    expect(changes.map((c) => [c.address, c.t.to])).toEqual([
      ['10.0.0.2', BfdState.Init],
      ['10.0.0.2', BfdState.Up],
      ['10.0.0.3', BfdState.Init],
    ]);
    const v = m.views().find((x) => x.peer === '10.0.0.2')!;
    expect(v).toMatchObject({
      state: 'Up',
      remoteDiscriminator: 9,
      localDiscriminator: mine,
      txIntervalMs: 300,
    });
    clock.advance(1000);
    expect(m.views()[0].state).toBe('Down');
    expect(m.views()[0].lastDown).toEqual({ at: 1000, diag: 'control-detection-time-expired', from: 'Up' });
  });

  it('removal and close send AdminDown (RFC 5882 §3.2) and stop the session', async () => {
    const { m, out, clock, closed } = setup();
    m.configure([spec('10.0.0.2'), spec('10.0.0.3')]);
    await flush();
    clock.advance(1);
    m.configure([spec('10.0.0.3')]);
    expect(out.at(-1)).toMatchObject({ peer: '10.0.0.2', p: { state: BfdState.AdminDown, diag: 7 } });
    expect(m.views().map((v) => v.peer)).toEqual(['10.0.0.3']);
    m.close();
    expect(out.at(-1)).toMatchObject({ peer: '10.0.0.3', p: { state: BfdState.AdminDown } });
    expect(closed()).toBe(1);
    expect(clock.timers).toBe(0);
  });

  it('a shut-down neighbor holds its session in AdminDown; timers change in place', async () => {
    const { m, out, clock } = setup();
    m.configure([spec('10.0.0.2', { adminDown: true })]);
    await flush();
    clock.advance(1);
    expect(out[0].p.state).toBe(BfdState.AdminDown);
    m.configure([spec('10.0.0.2', { timers: { ...timers, detectMult: 5 } })]);
    expect(m.session('10.0.0.2')?.state).toBe(BfdState.Down);
    clock.advance(1000);
    expect(out.at(-1)?.p).toMatchObject({ state: BfdState.Down, detectMult: 5 });
  });
});
