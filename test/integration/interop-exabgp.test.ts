/**
 * rackbgp ↔ ExaBGP 4.2, eBGP over IPv4 and IPv6, rackbgp active and passive. ExaBGP has no
 * session CLI worth the name; its JSON API events are the judge: the neighbor goes `up`, the OPEN
 * it received from rackbgp carries AS4, route refresh, enhanced refresh, GR and ADD-PATH, and it
 * received rackbgp's End-of-RIB. Its static routes reach rackbgp. Shutdown messages are not checked:
 * ExaBGP 4.2.21 cannot decode a Cease carrying an RFC 8203 communication (`bytes % str` in its
 * notification.py raises) and answers it with 1/0.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXABGP, type ExabgpEvent, startExabgp } from './support/exabgp.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import {
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

const missing = requireTools(EXABGP);
const skip = !isRoot() || missing.length > 0;
const PEER_ASN = 65004;

function exabgpConfig(addr: PairAddresses, passive: boolean): string {
  const neighbor = (peer: string, local: string, family: string, routes: string[]) => `
neighbor ${peer} {
  router-id ${addr.peer4};
  local-address ${local};
  local-as ${PEER_ASN};
  peer-as ${LEAF_ASN};
  hold-time 30;
  passive ${passive};
  family { ${family}; }
  capability { route-refresh; graceful-restart 120; add-path send/receive; }
  api { processes [ events ]; neighbor-changes; receive { parsed; open; notification; update; } }
  api { processes [ commands ]; }
  static {
${routes.map((r) => `    route ${r};`).join('\n')}
  }
}
`;
  return (
    neighbor(addr.leaf4, addr.peer4, 'ipv4 unicast', [
      '10.14.1.0/24 next-hop self',
      '10.14.2.0/24 next-hop self',
    ]) + neighbor(addr.leaf6, addr.peer6, 'ipv6 unicast', [`2001:db8:14:1::/64 next-hop ${addr.peer6}`])
  );
}

const about = (peer: string, type: string) => (e: ExabgpEvent) =>
  e.type === type && e.neighbor.address.peer === peer;

describe.skipIf(skip)('interop: ExaBGP 4.2', () => {
  let net: TestNet;
  let addr: PairAddresses;
  beforeEach(async () => {
    net = new TestNet('exabgp');
    addr = await pairNodes(net, 4);
  });
  afterEach(async () => {
    await net.destroy();
  });

  for (const rackbgpPassive of [false, true]) {
    it(`establishes IPv4 and IPv6 with rackbgp ${rackbgpPassive ? 'passive' : 'active'}`, async () => {
      const [leaf, exa] = await startListenerFirst(
        rackbgpPassive,
        () => startRackbgp(net, 'leaf', leafYaml(addr, PEER_ASN, rackbgpPassive)),
        () =>
          startExabgp(net, 'peer', exabgpConfig(addr, !rackbgpPassive), { bind: [addr.peer4, addr.peer6] }),
      );

      for (const [peer, family] of [
        [addr.leaf4, 'ipv4'],
        [addr.leaf6, 'ipv6'],
      ] as const) {
        await exa.waitUp(peer);
        const open = exa.events().filter(about(peer, 'open')).at(-1);
        expect(open?.neighbor.direction).toBe('receive');
        expect(open?.neighbor.open).toMatchObject({
          version: 4,
          asn: LEAF_ASN,
          router_id: addr.leaf4,
          capabilities: {
            '1': { name: 'multiprotocol', families: [`${family}/unicast`] },
            '2': { name: 'route-refresh' },
            '6': { name: 'extended-message' },
            '64': { name: 'graceful restart', time: 120, 'address-family-flags': {} },
            '65': { name: 'asn4', asn4: LEAF_ASN },
            '69': { name: 'addpath', [`${family}/unicast`]: 'send/receive' },
            '70': { name: 'enhanced-route-refresh' },
          },
        });
        // rackbgp's End-of-RIB after its (empty) initial table.
        await waitFor(`ExaBGP got End-of-RIB from ${peer}`, async () =>
          exa
            .events()
            .filter(about(peer, 'update'))
            .some((e) => (e.neighbor.message as { eor?: { afi: string } })?.eor?.afi === family),
        );
      }
      await expectLeafSessions(leaf, addr, PEER_ASN, {
        addPath: true,
        enhancedRouteRefresh: true,
        extendedMessage: true,
        holdTime: 30,
      });
      await expectPrefixes(leaf, addr, 2, 1);
      await expectDialledBy(net, !rackbgpPassive);
    });
  }
});
