/**
 * rackbgp ↔ gobgpd 3.10 with a 4-octet AS (4200000003), eBGP over IPv4 and IPv6, rackbgp active
 * and passive. `gobgp neighbor X` (its capability table) and `gobgp neighbor -j` are the judges:
 * AS4, route refresh, GR, ADD-PATH receive/send as configured; GoBGP knows neither enhanced
 * route refresh as a sender nor extended messages (it lists code 6 as an unknown capability).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GOBGP, startGobgp } from './support/gobgp.js';
import { isRoot, requireTools, TestNet } from './support/netns.js';
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

const missing = requireTools(GOBGP.daemon, GOBGP.client);
const skip = !isRoot() || missing.length > 0;
const PEER_ASN = 4200000003;

function gobgpConfig(addr: PairAddresses, passive: boolean): string {
  const neighbor = (address: string, family: string) => `
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${address}"
    peer-as = ${LEAF_ASN}
  [neighbors.timers.config]
    connect-retry = 1
  [neighbors.transport.config]
    passive-mode = ${passive}
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 120
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "${family}"
    [neighbors.afi-safis.add-paths.config]
      receive = true
      send-max = 8
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
`;
  return `[global.config]
  as = ${PEER_ASN}
  router-id = "${addr.peer4}"
  local-address-list = ["${addr.peer4}", "${addr.peer6}"]
${neighbor(addr.leaf4, 'ipv4-unicast')}${neighbor(addr.leaf6, 'ipv6-unicast')}`;
}

describe.skipIf(skip)('interop: GoBGP 3.10', () => {
  let net: TestNet;
  let addr: PairAddresses;
  beforeEach(async () => {
    net = new TestNet('gobgp');
    addr = await pairNodes(net, 3);
  });
  afterEach(async () => {
    await net.destroy();
  });

  for (const rackbgpPassive of [false, true]) {
    it(`establishes IPv4 and IPv6 with rackbgp ${rackbgpPassive ? 'passive' : 'active'}`, async () => {
      const [leaf, gobgp] = await startListenerFirst(
        rackbgpPassive,
        () => startRackbgp(net, 'leaf', leafYaml(addr, PEER_ASN, rackbgpPassive)),
        () => startGobgp(net, 'peer', gobgpConfig(addr, !rackbgpPassive)),
      );
      await gobgp.cli('global', 'rib', '-a', 'ipv4', 'add', '10.13.1.0/24');
      await gobgp.cli('global', 'rib', '-a', 'ipv4', 'add', '10.13.2.0/24');
      await gobgp.cli('global', 'rib', '-a', 'ipv6', 'add', '2001:db8:13:1::/64');

      for (const [address, family] of [
        [addr.leaf4, 'ipv4-unicast'],
        [addr.leaf6, 'ipv6-unicast'],
      ] as const) {
        const text = await gobgp.waitEstablished(address);
        expect(text).toMatch(new RegExp(`remote AS ${LEAF_ASN}\\n`));
        expect(text).toMatch(new RegExp(`remote router ID ${addr.leaf4.replace(/\./g, '\\.')}\\n`));
        expect(text).toMatch(new RegExp(`multiprotocol:\\s+${family}:\\s+advertised and received`));
        expect(text).toMatch(/\n\s+route-refresh:\s+advertised and received\n/);
        expect(text).toMatch(/\n\s+4-octet-as:\s+advertised and received\n/);
        expect(text).toMatch(/\n\s+graceful-restart:\s+advertised and received\n/);
        expect(text).toMatch(/\n\s+enhanced-route-refresh:\s+received\n/);
        expect(text).toMatch(/\n\s+UnknownCapability\(6\):\s+received\n/);
        expect(text).toMatch(
          new RegExp(
            `add-path:\\s+advertised and received\\n.*\\n.*receive/send\\n\\s+Remote:\\n\\s+${family}:\\s+receive/send`,
          ),
        );
      }
      const peers = await gobgp.peers();
      const rows = peers.map((p) => [p.conf.neighbor_address, p.state.session_state, p.state.router_id]);
      // session_state 6 = ESTABLISHED (api.PeerState.SessionState).
      expect(rows.sort()).toEqual([
        [addr.leaf4, 6, addr.leaf4],
        [addr.leaf6, 6, addr.leaf4],
      ]);
      await expectLeafSessions(leaf, addr, PEER_ASN, {
        addPath: true,
        enhancedRouteRefresh: false,
        extendedMessage: false,
        holdTime: 90,
      });
      await expectPrefixes(leaf, addr, 2, 1);
      await expectDialledBy(net, !rackbgpPassive);
    });
  }
});
