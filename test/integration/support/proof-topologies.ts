/**
 * Topologies for the interop proofs beyond the two-node pair: a routed path (a router namespace
 * between rackbgp and its peer, forwarding on, static routes at both ends) for eBGP multihop, and
 * path sources (BIRD 2s, one per source AS, announcing the same prefix over eBGP) that give rackbgp several paths per prefix to send with ADD-PATH.
 */
import { BIRD2, type BirdHandle, startBird } from './bird.js';
import type { TestNet } from './netns.js';

export interface RoutedAddresses {
  /** rackbgp's address (on `leaf`), two IP hops from the peer. */
  readonly leaf4: string;
  /** The peer's address (on `peer`). */
  readonly peer4: string;
}

/**
 * A router `rtr` between the existing nodes `leaf` and `peer`: leaf 10.96.<n>.1 — rtr — 10.95.<n>.1
 * peer. The router forwards; leaf and peer reach these addresses only through it (static routes).
 */
export async function routedPath(net: TestNet, n: number): Promise<RoutedAddresses> {
  await net.addNode('rtr');
  await net.link('leaf', 'rtr', { a: [`10.96.${n}.1/24`], b: [`10.96.${n}.2/24`] });
  await net.link('rtr', 'peer', { a: [`10.95.${n}.2/24`], b: [`10.95.${n}.1/24`] });
  await net.sh('rtr', 'sysctl -qw net.ipv4.ip_forward=1');
  await net.sh('leaf', `ip route add 10.95.${n}.0/24 via 10.96.${n}.2`);
  await net.sh('peer', `ip route add 10.96.${n}.0/24 via 10.95.${n}.2`);
  return { leaf4: `10.96.${n}.1`, peer4: `10.95.${n}.1` };
}

/** Packets the router forwarded from leaf toward peer (received on its leaf side). */
export async function forwardedByRouter(net: TestNet): Promise<number> {
  const [dev] = JSON.parse(await net.sh('rtr', 'ip -j -s link show dev to-leaf')) as {
    stats64: { rx: { packets: number } };
  }[];
  return dev.stats64.rx.packets;
}

export interface PathSources {
  readonly birds: readonly BirdHandle[];
  /** The sources' addresses (rackbgp's neighbors) and ASes, in order. */
  readonly sources: readonly { address: string; asn: number }[];
  /** rackbgp's address toward them. */
  readonly leaf4: string;
  /** rackbgp neighbor entries (YAML flow lines) for the sources. */
  readonly neighborsYaml: string;
}

/**
 * Node `src` linked to `leaf` on 10.94.<n>.0/24 (leaf .1), with `count` BIRD 2s, each with one
 * eBGP session to rackbgp (AS 65101, 65102, … from .11, .12, …), each announcing `prefix` with MED
 * 10 × its index (so the paths differ and the decision has a clear order: the lowest AS path…
 * all equal, then MED is only compared within one AS, so the tie is broken by router id).
 */
export async function pathSources(
  net: TestNet,
  n: number,
  leafAsn: number,
  prefix: string,
  count = 3,
): Promise<PathSources> {
  await net.addNode('src');
  const sources = Array.from({ length: count }, (_, i) => ({
    address: `10.94.${n}.${11 + i}`,
    asn: 65101 + i,
  }));
  await net.link('leaf', 'src', {
    a: [`10.94.${n}.1/24`],
    b: sources.map((s) => `${s.address}/24`),
  });
  // One BIRD per source, so each has its own router id; `strict bind`: each listens on its own
  // address only (BIRD 2 binds the wildcard address otherwise, and the second one fails).
  const birds: BirdHandle[] = [];
  for (const [i, s] of sources.entries()) {
    birds.push(
      await startBird(
        net,
        'src',
        BIRD2,
        `log stderr all;
router id ${s.address};
protocol device { scan time 2; }
protocol static { ipv4; route ${prefix} blackhole; }
protocol bgp leaf {
  local ${s.address} as ${s.asn};
  strict bind yes;
  neighbor 10.94.${n}.1 as ${leafAsn};
  connect delay time 1;
  connect retry time 2;
  error wait time 1,2;
  ipv4 { import none; export filter { bgp_med = ${10 * (i + 1)}; accept; }; };
}
`,
        `bird2-src${i}`,
      ),
    );
  }
  return {
    birds,
    sources,
    leaf4: `10.94.${n}.1`,
    neighborsYaml: sources
      .map((s) => `  - { address: ${s.address}, asn: ${s.asn}, passive: true }`)
      .join('\n'),
  };
}
