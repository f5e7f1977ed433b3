import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RoutingEngine } from '../../../src/core/routing.js';
import { compilePolicies, policiesSchema } from '../../../src/policy/index.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import { Origin } from '../../../src/wire/index.js';
import { DECISION, LOCAL, PLAIN, params, peer, turn } from './fixtures.js';

describe('update groups: peers treated alike share serialized UPDATEs', () => {
  it('hands the same message objects to peers with the same export, packs again for a different one', async () => {
    const engine = new RoutingEngine({ local: LOCAL, decision: DECISION });
    const policies = compilePolicies(
      policiesSchema.parse(parse('med: { terms: [{ name: t, then: { med: 7 } }] }')),
      {
        localAsn: 65000,
      },
    );
    const got = new Map<number, Uint8Array[]>();
    for (const [id, asn, exportPolicy] of [
      [2, 65002, []],
      [3, 65002, []],
      [4, 65002, [policies.get('med')!]],
    ] as const) {
      got.set(id, []);
      engine.peerUp(
        peer(id, asn),
        params(asn),
        { sendUpdates: (ms) => got.get(id)!.push(...ms) },
        {
          ...PLAIN,
          exportPolicy,
        },
      );
    }
    await turn(); // initial (empty) tables and End-of-RIB
    for (const m of got.values()) m.length = 0;
    for (let i = 1; i <= 300; i++) {
      const k = keyFromText(`10.${1 + (i >> 8)}.${i & 255}.0/24`)!;
      engine.originate(k.family, k.key, { origin: Origin.IGP, asPath: [] });
    }
    engine.flush();
    const [a, b, c] = [got.get(2)!, got.get(3)!, got.get(4)!];
    expect(a.length).toBeGreaterThan(0);
    expect(b).toHaveLength(a.length);
    for (const [i, m] of b.entries()) expect(m).toBe(a[i]); // the very same buffers
    expect(c).toHaveLength(a.length);
    for (const [i, m] of c.entries()) expect(m).not.toBe(a[i]); // MED 7: packed for itself
    expect(engine.sharedUpdates).toBe(a.length);
  });
});
