/**
 * TCP MD5 (RFC 2385) and GTSM (RFC 5082) against BIRD 2 in namespaces, IPv4 and IPv6 sessions.
 * The same password on both sides: Established with rackbgp active and passive. A different
 * password: the kernel drops every segment, so no session leaves the TCP stage — rackbgp never
 * receives an OPEN and never gets past Active/Connect, BIRD never reaches Established.
 * ttl-security on both sides: Established; BIRD without it sends TTL 1 (eBGP) and never gets an OPEN
 * through.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIRD2, type BirdHandle, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet } from './support/netns.js';
import { LEAF_ASN, leafYaml, type PairAddresses, pairNodes, startListenerFirst } from './support/pair.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const skip = !isRoot() || requireTools(BIRD2.daemon, BIRD2.client).length > 0;
const PEER_ASN = 65002;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function birdConfig(addr: PairAddresses, passive: boolean, extra: string): string {
  const proto = (name: string, local: string, peer: string, channel: string) => `
protocol bgp ${name} {
  local ${local} as ${PEER_ASN};
  neighbor ${peer} as ${LEAF_ASN};
  connect delay time 1;
  connect retry time 2;
  error wait time 1,2;${passive ? '\n  passive on;' : ''}
  ${extra}
  ${channel} { import all; export all; };
}`;
  return `log stderr all;
router id ${addr.peer4};
protocol device { scan time 2; }
${proto('leaf4', addr.peer4, addr.leaf4, 'ipv4')}
${proto('leaf6', addr.peer6, addr.leaf6, 'ipv6')}
`;
}

describe.skipIf(skip)('TCP MD5 and GTSM with BIRD 2', () => {
  let net: TestNet;
  let addr: PairAddresses;
  beforeEach(async () => {
    net = new TestNet('md5');
    addr = await pairNodes(net, 3);
  });
  afterEach(async () => {
    await net.destroy();
  });

  const start = (rackbgpPassive: boolean, rackbgpExtra: string, birdExtra: string) =>
    startListenerFirst(
      rackbgpPassive,
      () => startRackbgp(net, 'leaf', leafYaml(addr, PEER_ASN, rackbgpPassive, rackbgpExtra)),
      () => startBird(net, 'peer', BIRD2, birdConfig(addr, !rackbgpPassive, birdExtra), 'bird2'),
    );

  const established = async (leaf: RackbgpHandle, bird: BirdHandle) => {
    for (const name of ['leaf4', 'leaf6']) await bird.waitEstablished(name);
    for (const a of [addr.peer4, addr.peer6]) await leaf.waitState(a, 'Established');
  };

  /** Several connect attempts later: no OPEN ever reached rackbgp, no session came up either side. */
  const neverPastTcp = async (leaf: RackbgpHandle, bird: BirdHandle) => {
    await sleep(6000);
    for (const a of [addr.peer4, addr.peer6]) {
      const n = (await leaf.neighbor(a))!;
      expect(['Idle', 'Connect', 'Active']).toContain(n.state);
      expect(n.counters.messagesIn.open).toBe(0);
      expect(n.counters.establishedTransitions).toBe(0);
    }
    for (const name of ['leaf4', 'leaf6'])
      expect(await bird.protocol(name)).not.toMatch(/BGP state:\s+Established/);
  };

  for (const passive of [false, true]) {
    it(`password: Established with the same key, rackbgp ${passive ? 'passive' : 'active'}`, async () => {
      const [leaf, bird] = await start(passive, ', password: "calico s3cret"', 'password "calico s3cret";');
      await established(leaf, bird);
    }, 60_000);
  }

  for (const [what, passive, birdKey] of [
    ['a different key', false, 'password "something else";'],
    ['no key on BIRD', true, ''],
  ] as const) {
    it(`password: ${what} never gets a session past TCP`, async () => {
      const [leaf, bird] = await start(passive, ', password: "calico s3cret"', birdKey);
      await neverPastTcp(leaf, bird);
    }, 60_000);
  }

  it('ttl-security: Established with GTSM on both sides, nothing with BIRD sending TTL 1', async () => {
    const [leaf, bird] = await start(false, ', ttl-security: true', 'ttl security on;');
    await established(leaf, bird);
    await net.destroy();
    net = new TestNet('gtsm');
    addr = await pairNodes(net, 3);
    const [leaf2, bird2] = await start(true, ', ttl-security: true', '');
    await neverPastTcp(leaf2, bird2);
  }, 90_000);
});
