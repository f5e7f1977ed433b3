/**
 * Features proven against BIRD 2.0.12, each judged by BIRD's own CLI (`birdc show route all`,
 * `show protocols all`) and log, not by rackbgp's: MP-BGP IPv4 + IPv6 on one session (RFC 4760),
 * route refresh both ways (RFC 2918, RFC 7313), ADD-PATH send, all and best N (RFC 7911), eBGP
 * multihop through a router namespace, and max-prefix (Cease 6/1 with its data, RFC 4486 §4) for
 * both families with restart-after.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIRD2, type BirdHandle, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { LEAF_ASN, type PairAddresses, pairNodes } from './support/pair.js';
import { forwardedByRouter, pathSources, routedPath } from './support/proof-topologies.js';
import { startRackbgp } from './support/rackbgp.js';

const missing = requireTools(BIRD2.daemon, BIRD2.client);
const skip = !isRoot() || missing.length > 0;
const BIRD_ASN = 65002;

/** BIRD 2: `protocols` after the common head (router id, device, static routes of both families). */
const birdConf = (addr: PairAddresses, protocols: string) => `log stderr all;
router id ${addr.peer4};
protocol device { scan time 2; }
protocol static static4 { ipv4; route 10.12.1.0/24 blackhole; route 10.12.2.0/24 blackhole; route 10.12.3.0/24 blackhole; }
protocol static static6 { ipv6; route 2001:db8:12:1::/64 blackhole; route 2001:db8:12:2::/64 blackhole; route 2001:db8:12:3::/64 blackhole; }
${protocols}
`;

/** One BGP protocol `name` toward rackbgp; `body` holds the channels and extra options. */
const birdProto = (name: string, local: string, neighbor: string, body: string) => `
protocol bgp ${name} {
  local ${local} as ${BIRD_ASN};
  neighbor ${neighbor} as ${LEAF_ASN};
  connect delay time 1;
  connect retry time 2;
  error wait time 1,2;
  debug { states, events, packets };
${body}
}`;

/** rackbgp on the leaf: `extra` global keys, then `neighbors` (YAML list lines). */
const leafConf = (routerId: string, extra: string, neighbors: string) => `router-id: ${routerId}
asn: ${LEAF_ASN}
listen: { address: 0.0.0.0, port: 179 }
fib: false
${extra}
neighbors:
${neighbors}
`;

/** The routes of `prefix` in BIRD's table as `show route all` prints them, one text block each. */
async function birdRoutes(bird: BirdHandle, prefix: string): Promise<string[]> {
  const text = await bird.cli(`show route ${prefix} all`);
  // Each route starts with "<prefix> unicast [proto …" or, for more paths of one prefix, "  unicast [".
  return text.split(/\n(?=\S+\s+unicast \[|\s+unicast \[)/).filter((b) => /unicast \[/.test(b));
}

const birdLog = (net: TestNet, tag: string) => readFileSync(join(net.dir, `peer-${tag}.log`), 'utf8');

describe.skipIf(skip)('interop proofs: BIRD 2', () => {
  let net: TestNet;
  let addr: PairAddresses;
  beforeEach(async () => {
    net = new TestNet('pbird');
    addr = await pairNodes(net, 5);
  });
  afterEach(async () => {
    await net.destroy();
  });

  /** One IPv4 session carrying IPv4 and IPv6 unicast both ways. */
  async function dualStack() {
    const bird = await startBird(
      net,
      'peer',
      BIRD2,
      birdConf(
        addr,
        birdProto(
          'leaf',
          addr.peer4,
          addr.leaf4,
          `  ipv4 { import all; export all; };
  ipv6 { import all; export all; next hop address ${addr.peer6}; };`,
        ),
      ),
      'bird2',
    );
    const leaf = await startRackbgp(
      net,
      'leaf',
      leafConf(
        addr.leaf4,
        'networks: [10.11.1.0/24, "2001:db8:11:1::/64"]',
        `  - { address: ${addr.peer4}, asn: ${BIRD_ASN}, families: [ipv4-unicast, ipv6-unicast], connect-retry-time: 1 }`,
      ),
    );
    return { bird, leaf };
  }

  it('MP-BGP: IPv4 and IPv6 unicast on one IPv4 session, both ways (RFC 4760, RFC 2545)', async () => {
    const { bird, leaf } = await dualStack();
    const text = await bird.waitEstablished('leaf');
    expect(text).toMatch(/Multiprotocol\s+AF announced: ipv4 ipv6\n/);
    expect(text).toMatch(/Channel ipv4\n\s+State:\s+UP/);
    expect(text).toMatch(/Channel ipv6\n\s+State:\s+UP/);
    // BIRD has both of rackbgp's routes from the one session, each with a next hop of its family.
    const [v4] = await waitFor('BIRD has 10.11.1.0/24', async () => {
      const r = await birdRoutes(bird, '10.11.1.0/24');
      return r.length ? r : undefined;
    });
    expect(v4).toMatch(new RegExp(`BGP.next_hop: ${addr.leaf4}\\n`));
    const [v6] = await waitFor('BIRD has 2001:db8:11:1::/64', async () => {
      const r = await birdRoutes(bird, '2001:db8:11:1::/64');
      return r.length ? r : undefined;
    });
    expect(v6).toMatch(new RegExp(`BGP.next_hop: ${addr.leaf6} fe80:`));
    expect(v6).toMatch(/unicast \[leaf /);
    // rackbgp has BIRD's three routes of each family from the same neighbor.
    const n = await waitFor('rackbgp has 6 routes', async () => {
      const x = await leaf.neighbor(addr.peer4);
      return x?.prefixesReceived === 6 ? x : undefined;
    });
    expect(n.negotiated?.families).toEqual(['ipv4-unicast', 'ipv6-unicast']);
    const [r6] = await leaf.routes('2001:db8:12:1::/64');
    expect(r6.paths[0]).toMatchObject({ peer: addr.peer4, nextHop: addr.peer6 });
  });

  it("route refresh both ways: BIRD's `reload in` and rackbgp's `neighbor refresh --in`, no reset", async () => {
    const { bird, leaf } = await dualStack();
    await bird.waitEstablished('leaf');
    await waitFor(
      'rackbgp has 6 routes',
      async () => (await leaf.neighbor(addr.peer4))?.prefixesReceived === 6,
    );
    await waitFor(
      'BIRD has both routes',
      async () => (await birdRoutes(bird, '2001:db8:11:1::/64')).length === 1,
    );
    const before = (await leaf.neighbor(addr.peer4))!.counters;

    // BIRD asks (no import table: it sends ROUTE-REFRESH, one per channel); rackbgp answers.
    await bird.cli('reload in leaf');
    await waitFor(
      'rackbgp got two ROUTE-REFRESH',
      async () =>
        (await leaf.neighbor(addr.peer4))?.counters.messagesIn['route-refresh'] ===
        before.messagesIn['route-refresh'] + 2,
    );
    // rackbgp answered with BoRR, its routes and EoRR (RFC 7313 §4): BIRD logs both markers.
    await waitFor('BIRD got the enhanced refresh markers', async () => {
      const log = birdLog(net, 'bird2');
      return /leaf: Got BEGIN-OF-RR/.test(log) && /leaf: Got END-OF-RR/.test(log);
    });

    // rackbgp asks: BIRD logs the requests and sends its routes again.
    const r = await leaf.cli(['neighbor', 'refresh', addr.peer4, '--in']);
    expect(r.code, r.stderr).toBe(0);
    await waitFor('BIRD got ROUTE-REFRESH for both families', async () => {
      const got = birdLog(net, 'bird2').match(/leaf: Got ROUTE-REFRESH/g) ?? [];
      return got.length === 2;
    });
    await waitFor(
      'rackbgp got the routes again',
      async () =>
        (await leaf.neighbor(addr.peer4))!.counters.messagesIn.update > before.messagesIn.update &&
        (await leaf.neighbor(addr.peer4))?.prefixesReceived === 6,
    );
    expect((await leaf.neighbor(addr.peer4))?.counters.establishedTransitions).toBe(1);
    expect(await bird.protocol('leaf')).toMatch(/BGP state:\s+Established/);
    expect(birdLog(net, 'bird2')).not.toMatch(/leaf: Error|leaf: Received: /);
  });

  it('ADD-PATH send (RFC 7911): all paths, then the best 2, each seen in `birdc show route all`', async () => {
    const src = await pathSources(net, 5, LEAF_ASN, '10.30.0.0/24');
    const bird = await startBird(
      net,
      'peer',
      BIRD2,
      birdConf(
        addr,
        birdProto('leaf', addr.peer4, addr.leaf4, '  ipv4 { import all; export none; add paths rx; };'),
      ),
      'bird2',
    );
    const yaml = (send: string) =>
      leafConf(
        addr.leaf4,
        '',
        `  - { address: ${addr.peer4}, asn: ${BIRD_ASN}, connect-retry-time: 1, add-paths: { send: ${send} } }\n${src.neighborsYaml}`,
      );
    const leaf = await startRackbgp(net, 'leaf', yaml('all'));
    await waitFor(
      'rackbgp has 3 paths',
      async () => (await leaf.routes('10.30.0.0/24'))[0]?.paths.length === 3,
    );
    const caps = (await bird.waitEstablished('leaf')).split('Neighbor capabilities')[1] ?? '';
    expect(caps).toMatch(/ADD-PATH\s+RX:\s+TX: ipv4\n/); // rackbgp offers to send only

    const asPaths = (routes: string[]) => routes.map((b) => /BGP.as_path: ([\d ]+)\n/.exec(b)?.[1]).sort();
    const all = await waitFor('BIRD has 3 paths', async () => {
      const r = await birdRoutes(bird, '10.30.0.0/24');
      return r.length === 3 ? r : undefined;
    });
    expect(asPaths(all)).toEqual(['65001 65101', '65001 65102', '65001 65103']);

    const [route] = await leaf.routes('10.30.0.0/24');
    const best = route.paths.find((p) => p.best)?.attributes.asPath as { asns: number[] }[];
    leaf.writeConfig(yaml('2'));
    leaf.signal('SIGHUP'); // add-paths is a session key: the session restarts with the new mode
    await leaf.waitState(addr.peer4, 'Established');
    const two = await waitFor('BIRD has 2 paths', async () => {
      const r = await birdRoutes(bird, '10.30.0.0/24');
      return r.length === 2 && (await leaf.neighbor(addr.peer4))?.counters.establishedTransitions === 2
        ? r
        : undefined;
    });
    expect(asPaths(two)).toContain(`65001 ${best[0].asns[0]}`);
  });

  it('eBGP multihop over a routed path: a router namespace between rackbgp and BIRD', async () => {
    const hop = await routedPath(net, 5);
    const bird = await startBird(
      net,
      'peer',
      BIRD2,
      birdConf(
        addr,
        `protocol bgp leaf {
  local ${hop.peer4} as ${BIRD_ASN};
  neighbor ${hop.leaf4} as ${LEAF_ASN};
  multihop 2;
  connect delay time 1;
  connect retry time 2;
  error wait time 1,2;
  ipv4 { import all; export where net ~ [ 10.12.1.0/24 ]; };
}
protocol kernel { ipv4 { import all; export none; }; learn; }`,
      ),
      'bird2',
    );
    const forwardedBefore = await forwardedByRouter(net);
    const leaf = await startRackbgp(
      net,
      'leaf',
      leafConf(
        hop.leaf4,
        'networks: [10.11.1.0/24]',
        `  - { address: ${hop.peer4}, asn: ${BIRD_ASN}, ebgp-multihop: 2, source-address: ${hop.leaf4}, connect-retry-time: 1 }`,
      ),
    );
    const text = await bird.waitEstablished('leaf');
    expect(text).toMatch(/Session:\s+external multihop AS4/);
    expect(text).toMatch(new RegExp(`Neighbor address: ${hop.leaf4}\\n`));
    // BIRD resolved rackbgp's next hop (two hops away) through the router: a reachable route.
    const [route] = await waitFor('BIRD has 10.11.1.0/24', async () => {
      const r = await birdRoutes(bird, '10.11.1.0/24');
      return r.length ? r : undefined;
    });
    expect(route).toMatch(new RegExp(`BGP.next_hop: ${hop.leaf4}\\n`));
    expect(route).toMatch(/via 10\.95\.5\.2 on to-rtr/);
    const [r] = await waitFor('rackbgp has 10.12.1.0/24', async () => {
      const x = await leaf.routes('10.12.1.0/24');
      return x.length ? x : undefined;
    });
    expect(r.paths[0].nextHop).toBe(hop.peer4);
    expect(await forwardedByRouter(net)).toBeGreaterThan(forwardedBefore);
  });

  it('max-prefix: Cease 6/1 with AFI, SAFI and limit as BIRD logs it, for IPv4 and IPv6, then restart-after', async () => {
    // BIRD passive: only rackbgp's restart-after brings a session up again.
    const passive = (channel: string) => `  passive on;\n  ${channel} { import all; export all; };`;
    await startBird(
      net,
      'peer',
      BIRD2,
      birdConf(
        addr,
        birdProto('leaf4', addr.peer4, addr.leaf4, passive('ipv4')) +
          birdProto('leaf6', addr.peer6, addr.leaf6, passive('ipv6')),
      ),
      'bird2',
    );
    const limit = '{ limit: 2, restart-after: 2 }';
    const leaf = await startRackbgp(
      net,
      'leaf',
      leafConf(
        addr.leaf4,
        '',
        `  - { address: ${addr.peer4}, asn: ${BIRD_ASN}, connect-retry-time: 1, max-prefix: ${limit} }
  - { address: "${addr.peer6}", asn: ${BIRD_ASN}, connect-retry-time: 1, max-prefix: ${limit} }`,
      ),
    );
    // BIRD sends 3 prefixes of each family; rackbgp's limit is 2. BIRD logs the NOTIFICATION it
    // received with its data: AFI, SAFI, the limit (RFC 4486 §4).
    for (const [proto, data] of [
      ['leaf4', '00 01 01 00 00 00 02'],
      ['leaf6', '00 02 01 00 00 00 02'],
    ] as const) {
      const line = await waitFor(`BIRD ${proto} logged 6/1`, async () =>
        birdLog(net, 'bird2')
          .split('\n')
          .find((l) => l.includes(`${proto}: Received: Maximum number of prefixes reached`)),
      );
      expect(line.replace(/\s/g, '')).toContain(data.replace(/\s/g, ''));
    }
    for (const address of [addr.peer4, addr.peer6])
      expect((await leaf.neighbor(address))?.counters.notificationsOut['6/1']).toBe(1);
    // restart-after 2 s: rackbgp dials again, BIRD takes the session, and the limit strikes again.
    await waitFor(
      'second Cease 6/1 on both sessions',
      async () => {
        const [a, b] = [await leaf.neighbor(addr.peer4), await leaf.neighbor(addr.peer6)];
        return a?.counters.notificationsOut['6/1'] === 2 && b?.counters.notificationsOut['6/1'] === 2;
      },
      15_000,
    );
    const received =
      birdLog(net, 'bird2').match(/leaf[46]: Received: Maximum number of prefixes reached/g) ?? [];
    expect(received.length).toBeGreaterThanOrEqual(4);
  });
});
