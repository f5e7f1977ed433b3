/**
 * BMP against pmacct: a live rackbgp with a BIRD 2 peer (IPv4 and IPv6, ADD-PATH) streams to
 * pmacct's pmbmpd (`bmp: [{ address, port }]`), which writes every record as JSON. Its peer up,
 * route monitoring (pre- and post-policy Adj-RIB-In, Adj-RIB-Out), statistics and peer down records
 * agree with rackbgp's own view; a station that is not there yet is retried with backoff and gets
 * the whole state when it comes, and BGP never waits for it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIRD2, type BirdHandle, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { bird2PairConfig, LEAF_ASN, type PairAddresses, pairNodes } from './support/pair.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const PMBMPD = '/usr/sbin/pmbmpd';
const missing = requireTools(BIRD2.daemon, BIRD2.client, PMBMPD);
const skip = !isRoot() || missing.length > 0;
const PEER_ASN = 65002;
const BMP_PORT = 11019;

// biome-ignore lint/suspicious/noExplicitAny: pmacct's JSON records
type Json = any;

const birdConfig = (a: PairAddresses) =>
  bird2PairConfig(a, PEER_ASN, {
    v4: 'route 10.12.1.0/24 blackhole { bgp_community.add((65002,7)); }; route 10.12.2.0/24 blackhole;',
    v6: 'route 2001:db8:12:1::/64 blackhole;',
  });

const leafYaml = (a: PairAddresses) => `router-id: ${a.leaf4}
asn: ${LEAF_ASN}
listen: { address: ["${a.leaf4}", "${a.leaf6}"], port: 179 }
fib: false
networks: [10.78.0.0/24]
defaults: { add-path: both, connect-retry-time: 1, soft-reconfiguration-inbound: true }
policies:
  tag: [{ name: all, then: { action: accept, community: { add: ["65001:99"] } } }]
  all: [{ name: all, then: accept }]
neighbors:
  - { address: ${a.peer4}, asn: ${PEER_ASN}, import: [tag], export: [all] }
  - { address: "${a.peer6}", asn: ${PEER_ASN}, import: [tag], export: [all] }
bmp: [{ address: 127.0.0.1, port: ${BMP_PORT}, statistics-interval: 2 }]
`;

describe.skipIf(skip)('BMP: pmacct pmbmpd receives what rackbgp sends', () => {
  let net: TestNet;
  let addr: PairAddresses;
  let leaf: RackbgpHandle;
  let bird: BirdHandle;
  let log: string;
  const records = (): Json[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
  beforeAll(async () => {
    net = new TestNet('bmp');
    addr = await pairNodes(net, 62);
    bird = await startBird(net, 'peer', BIRD2, birdConfig(addr), 'bird2');
    // rackbgp first: the station is not there yet (refused, retried with backoff), BGP goes on.
    leaf = await startRackbgp(net, 'leaf', leafYaml(addr));
    await leaf.waitState(addr.peer4, 'Established');
    await leaf.waitState(addr.peer6, 'Established');
    await waitFor('routes', async () => (await leaf.routes()).length === 4);
    log = join(net.dir, 'bmp.json');
    const conf = join(net.dir, 'pmbmpd.conf');
    writeFileSync(
      conf,
      `bmp_daemon_ip: 127.0.0.1\nbmp_daemon_port: ${BMP_PORT}\nbmp_daemon_msglog_file: ${log}\nbmp_daemon_msglog_output: json\n`,
    );
    net.spawn('leaf', 'pmbmpd', PMBMPD, ['-f', conf]);
  }, 60_000);
  afterAll(async () => {
    await net?.destroy();
  });

  const routeKey = (r: Json) =>
    `${r.peer_ip}|${r.ip_prefix}|${r.as_path ?? ''}|${r.bgp_nexthop ?? ''}|${(r.comms ?? '').split(' ').sort().join(' ')}`;
  const monitored = (pick: (r: Json) => boolean) =>
    records()
      .filter((r) => r.bmp_msg_type === 'route_monitor' && r.log_type === 'update' && pick(r))
      .map(routeKey)
      .sort();
  /** rackbgp's view as the same keys: `paths` of a neighbor's API view (received/advertised) or the RIB. */
  const apiKey = (peer: string, prefix: string, attrs: Json, nextHop?: string) => {
    const path = (attrs.asPath ?? []).flatMap((seg: Json) => seg.asns).join(' ');
    return `${peer}|${prefix}|${path}|${nextHop ?? attrs.nextHop ?? ''}|${[...(attrs.communities ?? [])].sort().join(' ')}`;
  };
  const apiGet = async (path: string): Promise<Json> => {
    const script = `fetch('http://127.0.0.1:50179${path}').then(r=>r.text()).then(t=>process.stdout.write(t))`;
    return JSON.parse((await net.exec('leaf', process.execPath, ['-e', script])).stdout);
  };

  it('on connect: initiation, peer up with the OPENs, and every table agrees with rackbgp', async () => {
    await waitFor(
      'pmbmpd records',
      async () => records().filter((r) => r.bmp_msg_type === 'route_monitor').length >= 7,
      30_000,
    );
    const all = records();
    expect(all.find((r) => r.bmp_msg_type === 'init')).toMatchObject({
      bmp_init_info_sysdescr: expect.stringMatching(/^rackbgp /),
      bmp_init_info_sysname: addr.leaf4,
    });
    for (const [peer, local] of [
      [addr.peer4, addr.leaf4],
      [addr.peer6, addr.leaf6],
    ])
      expect(all.find((r) => r.bmp_msg_type === 'peer_up' && r.peer_ip === peer)).toMatchObject({
        peer_asn: PEER_ASN,
        bgp_id: addr.peer4,
        local_ip: local,
      });
    // Before the station came, rackbgp logged it and went on (BGP was Established first).
    expect(readFileSync(leaf.log, 'utf8')).toMatch(
      /BMP station unreachable.*ECONNREFUSED|ECONNREFUSED.*BMP station unreachable/,
    );
    const pre: string[] = [];
    const out: string[] = [];
    for (const peer of [addr.peer4, addr.peer6]) {
      const rx = await apiGet(`/api/neighbors/${encodeURIComponent(peer)}/received-routes`);
      for (const r of rx.routes) pre.push(apiKey(peer, r.prefix, r.attributes, r.nextHop));
      const tx = await apiGet(`/api/neighbors/${encodeURIComponent(peer)}/advertised-routes`);
      for (const r of tx.routes) out.push(apiKey(peer, r.prefix, r.attributes, r.nextHop));
    }
    const post = (await leaf.routes())
      .flatMap((r) => r.paths.map((p) => ({ prefix: r.prefix, p })))
      .filter(({ p }) => p.peer !== '0.0.0.0' && p.peer !== 'local')
      .map(({ prefix, p }) => apiKey(p.peer as string, prefix, p.attributes, p.nextHop as string));
    expect(pre.length).toBe(3);
    // The import policy shows: post-policy paths carry its community, pre-policy ones do not.
    expect(post.filter((k) => k.includes('65001:99'))).toHaveLength(3);
    expect(pre.filter((k) => k.includes('65001:99'))).toHaveLength(0);
    expect(monitored((r) => r.is_in === 1 && r.is_post === 0)).toEqual(pre.sort());
    expect(monitored((r) => r.is_in === 1 && r.is_post === 1)).toEqual(post.sort());
    expect(monitored((r) => r.is_out === 1)).toEqual(out.sort());
  });

  it('live: withdrawals, statistics and peer down as they happen', async () => {
    await bird.cli('disable static4');
    await waitFor('withdrawn', async () => (await leaf.routes()).length === 2);
    await waitFor(
      'withdraw records',
      async () =>
        records().filter((r) => r.log_type === 'withdraw' && r.ip_prefix === '10.12.1.0/24').length >= 2,
    );
    const w = records().filter((r) => r.log_type === 'withdraw' && r.ip_prefix === '10.12.1.0/24');
    expect(w.map((r) => r.is_post).sort()).toEqual([0, 1]);
    // Statistics every 2 s: the counts as rackbgp has them now (IPv4 peer: nothing left from BIRD).
    await waitFor('stats', async () =>
      records().some(
        (r) =>
          r.bmp_msg_type === 'stats' &&
          r.peer_ip === addr.peer4 &&
          r.counter_type === 7 &&
          r.counter_value === 0,
      ),
    );
    const stats6 = records().filter((r) => r.bmp_msg_type === 'stats' && r.peer_ip === addr.peer6);
    expect(stats6.find((r) => r.counter_type === 7)?.counter_value).toBe(1);
    expect(stats6.find((r) => r.counter_type === 8)?.counter_value).toBe(1);
    await bird.cli('disable leaf4');
    await waitFor('peer down', async () =>
      records().find((r) => r.bmp_msg_type === 'peer_down' && r.peer_ip === addr.peer4),
    );
    // BIRD's Cease: RFC 7854 §4.9 reason 3, the remote system closed the session with a NOTIFICATION.
    expect(records().find((r) => r.bmp_msg_type === 'peer_down')).toMatchObject({
      peer_asn: PEER_ASN,
      reason_type: 3,
    });
    const status = await apiGet('/api/bmp');
    expect(status[0]).toMatchObject({ state: 'up', dropped: 0, connects: 1 });
    const scrape = `fetch('http://127.0.0.1:9179/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))`;
    const metrics = (await net.exec('leaf', process.execPath, ['-e', scrape])).stdout;
    expect(metrics).toMatch(/^bmp_station_up\{station="127\.0\.0\.1:11019"\} 1$/m);
    expect(metrics).toMatch(/^bmp_messages_dropped_total\{station="127\.0\.0\.1:11019"\} 0$/m);
    await expect(leaf.neighbor(addr.peer6).then((n) => n?.state)).resolves.toBe('Established');
  });
});
