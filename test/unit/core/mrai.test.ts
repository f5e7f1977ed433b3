import { describe, expect, it } from 'vitest';
import { RoutingEngine } from '../../../src/core/routing.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import { ManualClock } from '../../../src/util/clock.js';
import { Origin } from '../../../src/wire/index.js';
import { DECISION, LOCAL, PLAIN, params, peer, prefixesOf, sender, turn } from './fixtures.js';

describe('advertisement-interval (RFC 4271 §9.2.1.1)', () => {
  it('sends the first change at once, then at most one batch per interval', async () => {
    const clock = new ManualClock();
    const engine = new RoutingEngine({ local: LOCAL, decision: DECISION, clock });
    /** Per UPDATE sent: "+prefix" announced, "-prefix" withdrawn (End-of-RIB left out). */
    const sent: string[][] = [];
    engine.peerUp(
      peer(2, 65002),
      params(65002),
      sender((ms) => {
        for (const m of ms) if (prefixesOf(m).length) sent.push(prefixesOf(m));
      }),
      { ...PLAIN, advertisementInterval: 5 },
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
