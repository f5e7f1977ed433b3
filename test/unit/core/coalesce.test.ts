import { describe, expect, it } from 'vitest';
import { RoutingEngine } from '../../../src/core/routing.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import { ManualClock } from '../../../src/util/clock.js';
import { Origin } from '../../../src/wire/index.js';
import { DECISION, LOCAL, PLAIN, params, peer, prefixesOf, sender, turn } from './fixtures.js';

describe('coalesce at session start', () => {
  it('holds the initial table for coalesceMs; routes arriving meanwhile go out in it, then End-of-RIB', async () => {
    const clock = new ManualClock();
    const engine = new RoutingEngine({ local: LOCAL, decision: DECISION, clock, coalesceMs: 50 });
    const sent: string[][] = [];
    engine.peerUp(
      peer(2, 65002),
      params(65002),
      sender((ms) => sent.push(...ms.map(prefixesOf))),
      PLAIN,
    );
    for (const p of ['10.0.1.0/24', '10.0.2.0/24']) {
      const k = keyFromText(p)!;
      engine.originate(k.family, k.key, { origin: Origin.IGP, asPath: [] });
      engine.flush();
      await turn();
    }
    clock.advance(49);
    await turn();
    expect(sent).toEqual([]);
    clock.advance(1);
    await turn();
    await turn();
    expect(sent).toEqual([['+10.0.1.0/24', '+10.0.2.0/24'], []]);
  });
});
