import { describe, expect, it } from 'vitest';
import { RoutingEngine } from '../../../src/core/routing.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import type { PeerInfo } from '../../../src/rib/types.js';
import { ManualClock } from '../../../src/util/clock.js';
import { decodeMessage, IPV4_UNICAST, Origin, type SessionParams } from '../../../src/wire/index.js';

const params: SessionParams = {
  localAsn: 65000,
  peerAsn: 65002,
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
};
const sink: PeerInfo = {
  id: 2,
  address: '192.0.2.2',
  asn: 65002,
  routerId: '192.0.2.2',
  routerIdNum: 0xc0000202,
  ibgp: false,
  rrClient: false,
  localAddress4: '192.0.2.1',
  directlyConnected: true,
};
const turn = () => new Promise((r) => setImmediate(r));

describe('advertisement-interval (RFC 4271 §9.2.1.1)', () => {
  it('sends the first change at once, then at most one batch per interval', async () => {
    const clock = new ManualClock();
    const engine = new RoutingEngine({
      local: { asn: 65000, routerId: '192.0.2.1', clusterId: '192.0.2.1' },
      decision: { alwaysCompareMed: false, maximumPaths: 1, multipathRelax: false },
      clock,
    });
    /** Per UPDATE sent: "+prefix" announced, "-prefix" withdrawn (End-of-RIB left out). */
    const sent: string[][] = [];
    engine.peerUp(
      sink,
      params,
      {
        sendUpdates: (ms) => {
          for (const m of ms) {
            const r = decodeMessage(m, params, 4096);
            if (!r.ok || r.message.type !== 'update') throw new Error('not an UPDATE');
            const u = r.message;
            const out: string[] = [];
            u.withdrawn.forEach((b, off, len) => {
              out.push(`-${b[off]}.${b[off + 1]}.${b[off + 2]}.0/${len}`);
            });
            u.nlri.forEach((b, off, len) => {
              out.push(`+${b[off]}.${b[off + 1]}.${b[off + 2]}.0/${len}`);
            });
            if (out.length) sent.push(out);
          }
        },
      },
      {
        export: { nextHopSelf: false, nextHopKeep: false },
        import: { allowasIn: 0 },
        advertisementInterval: 5,
      },
    );
    await turn(); // the (empty) initial table and End-of-RIB
    const originate = (p: string) => {
      const k = keyFromText(p)!;
      engine.originate(k.family, k.key, { origin: Origin.IGP, asPath: [] });
      engine.flush();
    };
    originate('10.0.1.0/24');
    expect(sent).toEqual([['+10.0.1.0/24']]);
    originate('10.0.2.0/24');
    clock.advance(4999);
    originate('10.0.3.0/24');
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(sent).toEqual([['+10.0.1.0/24'], ['+10.0.2.0/24', '+10.0.3.0/24']]);
    // A withdrawal waits for the interval too; a quiet interval lets the next change go at once.
    const k = keyFromText('10.0.1.0/24')!;
    engine.withdrawOrigin(k.family, k.key);
    engine.flush();
    expect(sent).toHaveLength(2);
    clock.advance(5000);
    expect(sent[2]).toEqual(['-10.0.1.0/24']);
    clock.advance(6000);
    originate('10.0.4.0/24');
    expect(sent[3]).toEqual(['+10.0.4.0/24']);
    expect(clock.timers).toBe(0);
  });
});
