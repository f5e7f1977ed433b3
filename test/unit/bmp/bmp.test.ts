/**
 * BMP (RFC 7854): messages checked against annotated bytes written by hand; the station's
 * backoff, bounded buffer and drops with a fake socket and a ManualClock (no sleeps, no network).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  initiation,
  PeerFlag,
  peerDown,
  peerUp,
  routeMonitoring,
  statisticsReport,
  termination,
} from '../../../src/bmp/bmp-encode.js';
import { BmpStation, type StationSocket } from '../../../src/bmp/station.js';
import { announceUpdate, withdrawUpdate } from '../../../src/bmp/updates.js';
import { ManualClock } from '../../../src/util/clock.js';
import { fromHex } from '../../helpers.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const M = 'ffffffffffffffffffffffffffffffff';
const KEEPALIVE = fromHex(`${M} 0013 04`);
/** Per-peer header: global instance, no flags, distinguisher 0, 10.0.0.2 in the last 4 of 16 octets,
 * AS 65002, BGP ID 10.0.0.2, seconds 1700000000, microseconds 5. */
const peer = {
  flags: 0,
  address: '10.0.0.2',
  asn: 65002,
  routerId: '10.0.0.2',
  seconds: 1_700_000_000,
  microseconds: 5,
};
const PEER_HEADER =
  '00 00 0000000000000000 000000000000000000000000 0a000002 0000fdea 0a000002 6553f100 00000005';

describe('BMP messages', () => {
  it('initiation and termination carry their TLVs', () => {
    expect(hex(initiation('rackbgp', 'r1'))).toBe(
      hex(fromHex(`03 00000017 04   0001 0007 7261636b626770   0002 0002 7231`)),
    );
    expect(hex(termination('bye'))).toBe(hex(fromHex(`03 00000013 05   0000 0003 627965   0001 0002 0000`)));
  });

  it('route monitoring: per-peer header (V, L, O flags) then the UPDATE', () => {
    expect(hex(routeMonitoring(peer, KEEPALIVE))).toBe(
      hex(fromHex(`03 00000043 00 ${PEER_HEADER} ${M} 0013 04`)),
    );
    const v6 = routeMonitoring({ ...peer, address: 'fd00::2', flags: PeerFlag.O | PeerFlag.L }, KEEPALIVE);
    expect(v6[7]).toBe(0x80 | 0x40 | 0x10);
    expect(hex(v6.subarray(16, 32))).toBe('fd000000000000000000000000000002');
  });

  it('peer up: local address and ports, both OPENs; peer down with a NOTIFICATION', () => {
    const open = fromHex(`${M} 001d 01 04 fdea 005a 0a000002 00`);
    const up = peerUp(peer, {
      localAddress: '10.0.0.1',
      localPort: 40000,
      remotePort: 179,
      sentOpen: open,
      receivedOpen: open,
    });
    expect(hex(up)).toBe(
      hex(
        fromHex(`03 0000007e 03 ${PEER_HEADER}
        00000000000000000000 0000 0a000001   9c40 00b3   # local address, local port, remote port
        ${hex(open)} ${hex(open)}`),
      ),
    );
    const notification = fromHex(`${M} 0015 03 06 02`);
    expect(hex(peerDown(peer, 1, notification))).toBe(
      hex(fromHex(`03 00000046 02 ${PEER_HEADER} 01 ${hex(notification)}`)),
    );
    expect(hex(peerDown(peer, 4))).toBe(hex(fromHex(`03 00000031 02 ${PEER_HEADER} 04`)));
  });

  it('statistics: 64-bit gauges and 32-bit counters', () => {
    const s = statisticsReport(peer, [
      { type: 7, value: 2 ** 32 + 5, gauge: true },
      { type: 11, value: 3, gauge: false },
    ]);
    expect(hex(s)).toBe(
      hex(fromHex(`03 00000048 01 ${PEER_HEADER} 00000002 0007 0008 00000001 00000005 000b 0004 00000003`)),
    );
  });

  it('post-policy UPDATEs from RIB entries: classic IPv4, MP for IPv6, path ids with ADD-PATH', () => {
    const attrs = { origin: 0 as const, asPath: [{ type: 2, asns: [65002] }], nextHop: '10.0.0.2' };
    expect(hex(announceUpdate(4, Uint8Array.of(24, 10, 1, 2), 7, attrs, true)[0])).toBe(
      hex(
        fromHex(`${M} 0033 02 0000 0014
        40 01 01 00   40 02 06 02 01 0000fdea   40 03 04 0a000002
        00000007 18 0a0102`),
      ),
    );
    const v6 = announceUpdate(
      6,
      Uint8Array.of(48, 0xfd, 0, 0, 0, 0, 1),
      0,
      { ...attrs, nextHop: 'fd00::2' },
      false,
    )[0];
    expect(hex(v6)).toContain('900e001c00020110fd00'); // MP_REACH_NLRI (extended length), IPv6 unicast, next hop
    expect(hex(v6)).not.toContain('400304');
    expect(hex(withdrawUpdate(4, Uint8Array.of(24, 10, 1, 2), 0, false)[0])).toBe(
      hex(fromHex(`${M} 001b 02 0004 180a0102 0000`)),
    );
  });
});

class FakeSocket extends EventEmitter implements StationSocket {
  writableLength = 0;
  written: Uint8Array[] = [];
  destroyed = false;
  write(b: Uint8Array): boolean {
    this.written.push(b);
    this.writableLength += b.length; // a station that never reads
    return false;
  }
  destroy(): void {
    this.destroyed = true;
  }
  end(cb?: () => void): void {
    cb?.();
  }
}

describe('BMP station', () => {
  const setup = () => {
    const clock = new ManualClock();
    const sockets: FakeSocket[] = [];
    const warnings: string[] = [];
    const log = { info() {}, debug() {}, warn: (_o: object, m?: string) => warnings.push(m ?? '') };
    let ups = 0;
    const st = new BmpStation(
      { address: '192.0.2.1', port: 11019, 'buffer-size': 100 },
      { clock, log, connect: () => sockets[sockets.push(new FakeSocket()) - 1] },
      (s) => {
        ups++;
        s.send(new Uint8Array(10));
      },
    );
    return { clock, sockets, warnings, st, ups: () => ups };
  };

  it('an unreachable station is retried after 1, 2, 4 … s (up to 30 s); one warning per cause', () => {
    const { clock, sockets, warnings, st } = setup();
    st.start();
    const refused = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    for (const wait of [1000, 2000, 4000]) {
      sockets.at(-1)!.emit('error', refused);
      clock.advance(wait - 1);
      const n = sockets.length;
      clock.advance(1);
      expect(sockets.length).toBe(n + 1);
    }
    expect(warnings).toEqual(['BMP station unreachable']);
    expect(st.status()).toMatchObject({ state: 'connecting', lastError: 'ECONNREFUSED', connects: 0 });
    expect(st.send(new Uint8Array(1))).toBe(false);
  });

  it('a station that does not read: drops are counted and the connection restarts for a resync', () => {
    const { clock, sockets, st, ups } = setup();
    st.start();
    sockets[0].emit('connect');
    expect(ups()).toBe(1);
    for (let i = 0; i < 9; i++) expect(st.send(new Uint8Array(10))).toBe(true);
    expect(st.send(new Uint8Array(10))).toBe(false); // 100 octets queued: over the bound
    expect(st.status()).toMatchObject({ dropped: 1, messages: 10, state: 'waiting' });
    expect(sockets[0].destroyed).toBe(true);
    clock.advance(1000);
    sockets[1].emit('connect');
    expect(ups()).toBe(2);
    expect(st.status()).toMatchObject({ state: 'up', connects: 2 });
  });

  it('stop sends the termination and does not reconnect', async () => {
    const { clock, sockets, st } = setup();
    st.start();
    sockets[0].emit('connect');
    await st.stop(termination('bye'));
    expect(sockets[0].written.at(-1)![5]).toBe(5);
    clock.advance(60_000);
    expect(sockets).toHaveLength(1);
  });
});
