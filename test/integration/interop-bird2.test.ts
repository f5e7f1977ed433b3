/**
 * rackbgp ↔ BIRD 2.0.12, eBGP over IPv4 and IPv6 (one session each), rackbgp active and passive.
 * BIRD's `show protocols all` is the judge of what rackbgp offered: AS4, route refresh, enhanced
 * refresh, GR, ADD-PATH both ways (`add paths on`); rackbgp's API shows what it negotiated.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIRD2, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet } from './support/netns.js';
import {
  bird2PairConfig,
  expectDialledBy,
  expectLeafSessions,
  expectPrefixes,
  LEAF_ASN,
  leafYaml,
  type PairAddresses,
  pairNodes,
  startListenerFirst,
} from './support/pair.js';
import { startRackbgp } from './support/rackbgp.js';

const missing = requireTools(BIRD2.daemon, BIRD2.client);
const skip = !isRoot() || missing.length > 0;
const PEER_ASN = 65002;

const birdConfig = (addr: PairAddresses, passive: boolean) =>
  bird2PairConfig(
    addr,
    PEER_ASN,
    {
      v4: 'route 10.11.1.0/24 blackhole; route 10.11.2.0/24 blackhole;',
      v6: 'route 2001:db8:11:1::/64 blackhole;',
    },
    `\n  graceful restart on;${passive ? ' passive on;' : ''}`,
  );

/** The "Neighbor capabilities" block of `show protocols all` (what BIRD received from rackbgp). */
const neighborCaps = (text: string) => text.split('Neighbor capabilities')[1]?.split('Session:')[0] ?? '';

describe.skipIf(skip)('interop: BIRD 2', () => {
  let net: TestNet;
  let addr: PairAddresses;
  beforeEach(async () => {
    net = new TestNet('bird2');
    addr = await pairNodes(net, 1);
  });
  afterEach(async () => {
    await net.destroy();
  });

  for (const rackbgpPassive of [false, true]) {
    it(`establishes IPv4 and IPv6 with rackbgp ${rackbgpPassive ? 'passive' : 'active'}`, async () => {
      const [leaf, bird] = await startListenerFirst(
        rackbgpPassive,
        () => startRackbgp(net, 'leaf', leafYaml(addr, PEER_ASN, rackbgpPassive)),
        () => startBird(net, 'peer', BIRD2, birdConfig(addr, !rackbgpPassive), 'bird2'),
      );

      for (const [name, af] of [
        ['leaf4', 'ipv4'],
        ['leaf6', 'ipv6'],
      ] as const) {
        const text = await bird.waitEstablished(name);
        const caps = neighborCaps(text);
        expect(caps).toMatch(new RegExp(`Multiprotocol\\s+AF announced: ${af}\\n`));
        expect(caps).toMatch(/Route refresh\n/);
        expect(caps).toMatch(/Enhanced refresh\n/);
        expect(caps).toMatch(/Extended message\n/);
        expect(caps).toMatch(/4-octet AS numbers\n/);
        // RFC 4724 §3 with fib: false (no data plane to lose): the session's family, F bit set.
        expect(caps).toMatch(
          new RegExp(
            `Graceful restart\\s+Restart time: 120\\s+AF supported: ${af}\\s+AF preserved: ${af}\\n`,
          ),
        );
        expect(caps).toMatch(new RegExp(`ADD-PATH\\s+RX: ${af}\\s+TX: ${af}\\n`));
        expect(text).toMatch(/Session:\s+external AS4/);
        expect(text).toMatch(new RegExp(`Neighbor AS:\\s+${LEAF_ASN}\\n`));
        expect(text).toMatch(/Neighbor ID:\s+10\.99\.1\.1\n/);
      }
      // BIRD 2 does not offer RFC 8654 extended messages unless configured.
      await expectLeafSessions(leaf, addr, PEER_ASN, {
        addPath: true,
        enhancedRouteRefresh: true,
        extendedMessage: false,
        holdTime: 90,
      });
      await expectPrefixes(leaf, addr, 2, 1);
      await expectDialledBy(net, !rackbgpPassive);
    });
  }
});
