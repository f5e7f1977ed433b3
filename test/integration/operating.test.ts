/**
 * Operating surfaces against live daemons in namespaces (A — B — C, eBGP): the CLI over B's API in
 * text and JSON, neighbor actions, reload on SIGHUP (which sessions stay up: their established
 * transitions unchanged; which reset; an invalid file rejected), B's /metrics parsed, and packet
 * tracing switched on through the API.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, TestNet, waitFor } from './support/netns.js';
import { CLI, type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const A = `router-id: 10.97.1.1
asn: 65001
fib: false
networks: [10.244.1.0/26, 10.244.2.0/26]
neighbors: [{ address: 10.97.1.2, asn: 65002, connect-retry-time: 1, idle-hold-time: 1 }]
`;
const C = `router-id: 10.97.2.3
asn: 65003
fib: false
neighbors: [{ address: 10.97.2.2, asn: 65002, passive: true }]
`;
/** B with two policies; `variant` edits one line for each reload scenario. */
const B = (
  over: {
    toC?: string;
    fromA?: string;
    cHold?: string;
    withC?: boolean;
    aDesc?: string;
    softIn?: boolean;
  } = {},
) => `router-id: 10.97.1.2
asn: 65002
fib: false
policies:
  from-a: [{ name: all, then: ${over.fromA ?? 'accept'} }]
  to-c: [{ name: all, then: ${over.toC ?? 'accept'} }]
neighbors:
  - { address: 10.97.1.1, asn: 65001, passive: true, description: ${over.aDesc ?? 'rack-a'}, import: [from-a], export: [to-c]${over.softIn ? ', soft-reconfiguration-inbound: true' : ''} }
${over.withC === false ? '' : `  - { address: 10.97.2.3, asn: 65003, connect-retry-time: 1, export: [to-c]${over.cHold ?? ''} }`}
`;

/** Prometheus text exposition → { 'name{labels}': value } (labels as printed, sorted by prom-client). */
function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    out.set(m[1], Number(m[2]));
  }
  return out;
}

describe.skipIf(!isRoot())('operating surfaces of a running daemon', () => {
  let net: TestNet;
  let a: RackbgpHandle;
  let b: RackbgpHandle;
  let c: RackbgpHandle;
  beforeEach(async () => {
    net = new TestNet('ops');
    for (const n of ['a', 'b', 'c']) await net.addNode(n);
    await net.link('a', 'b', { a: ['10.97.1.1/24'], b: ['10.97.1.2/24'] });
    await net.link('b', 'c', { a: ['10.97.2.2/24'], b: ['10.97.2.3/24'] });
    c = await startRackbgp(net, 'c', C);
    b = await startRackbgp(net, 'b', B());
    a = await startRackbgp(net, 'a', A);
    await waitFor('C has both prefixes', async () => (await c.neighbor('10.97.2.2'))?.prefixesReceived === 2);
  });
  afterEach(async () => {
    await net.destroy();
  });

  const metrics = async (node: string) => {
    const script = `fetch('http://127.0.0.1:9179/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))`;
    const r = await net.exec(node, process.execPath, ['-e', script]);
    if (r.code) throw new Error(r.stderr);
    return parseExposition(r.stdout);
  };

  it('CLI: show summary / neighbor / routes / rib in text and JSON, actions, clear errors', async () => {
    const summary = await b.cli(['show', 'summary']);
    expect(summary.code).toBe(0);
    const lines = summary.stdout.split('\n');
    expect(lines[0]).toBe('BGP router identifier 10.97.1.2, local AS number 65002');
    expect(lines[2]).toMatch(
      /^Neighbor\s+V\s+AS\s+MsgRcvd\s+MsgSent\s+InQ\s+OutQ\s+Up\/Down\s+State\/PfxRcd\s+PfxSnt\s+Desc$/,
    );
    expect(lines.find((l) => l.startsWith('10.97.1.1'))).toMatch(
      /^10\.97\.1\.1\s+4\s+65001\s+\d+\s+\d+\s+0\s+0\s+00:00:\d\d\s+2\s+0 rack-a$/,
    );
    expect(lines.find((l) => l.startsWith('10.97.2.3'))).toMatch(/\s+0\s+2 N\/A$/);
    const json = JSON.parse((await b.cli(['show', 'summary', '--json'])).stdout);
    expect(json).toMatchObject({ routerId: '10.97.1.2', asn: 65002 });
    expect(json.neighbors.map((n: { address: string; state: string }) => [n.address, n.state])).toEqual([
      ['10.97.1.1', 'Established'],
      ['10.97.2.3', 'Established'],
    ]);

    const detail = (await b.cli(['show', 'neighbor', '10.97.1.1'])).stdout;
    expect(detail).toContain('BGP neighbor is 10.97.1.1, remote AS 65001, local AS 65002, external link');
    expect(detail).toMatch(/BGP state = Established, up for/);
    expect(detail).toMatch(/multiprotocol ipv4-unicast +yes +yes/);
    expect(detail).toContain('End-of-RIB sent: yes; received: ipv4-unicast');
    const routes = (await b.cli(['show', 'routes', '10.244.1.0/26'])).stdout;
    expect(routes).toMatch(/ \*> 10\.244\.1\.0\/26 +10\.97\.1\.1 +65001 i +10\.97\.1\.1 +only path/);
    const routesJson = JSON.parse(
      (await b.cli(['show', 'routes', '--json', '--neighbor', '10.97.1.1'])).stdout,
    );
    expect(routesJson.map((r: { prefix: string }) => r.prefix)).toEqual(['10.244.1.0/26', '10.244.2.0/26']);
    expect((await b.cli(['show', 'rib', 'summary'])).stdout).toMatch(/ipv4-unicast +2 +2 +2 +0/);
    const missing = await b.cli(['show', 'neighbor', '10.97.9.9']);
    expect([missing.code, missing.stderr]).toEqual([1, 'rackbgp: no neighbor 10.97.9.9\n']);
    const down = await net.exec('b', process.execPath, [CLI, 'show', 'summary', '--api', '127.0.0.1:50999']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /cannot reach the rackbgp API at http:\/\/127\.0\.0\.1:50999 \(ECONNREFUSED\)/,
    );

    // Shutdown with an RFC 8203 message; the peer reads it; enable brings the session back.
    const shut = await b.cli(['neighbor', 'shutdown', '10.97.1.1', '--message', 'maintenance 42']);
    expect([shut.code, shut.stdout]).toEqual([0, '10.97.1.1: shut down\n']);
    const err = await waitFor('A told', async () => {
      const e = (await a.neighbor('10.97.1.2'))?.counters.lastError;
      return e?.direction === 'received' ? e : undefined;
    });
    expect([err.code, err.subcode, err.communication]).toEqual([6, 2, 'maintenance 42']);
    expect((await b.cli(['show', 'summary'])).stdout).toMatch(/Idle \(Admin\)/);
    expect((await b.cli(['neighbor', 'enable', '10.97.1.1'])).code).toBe(0);
    await b.waitState('10.97.1.1', 'Established');
    const refresh = await b.cli(['neighbor', 'refresh', '10.97.2.3', '--out']);
    expect([refresh.code, refresh.stdout]).toEqual([0, '10.97.2.3: soft refresh out\n']);
    const reset = await b.cli(['neighbor', 'reset', '10.97.2.3']);
    expect(reset.code).toBe(0);
    await waitFor(
      'C saw 6/4',
      async () => (await c.neighbor('10.97.2.2'))?.counters.notificationsIn['6/4'] === 1,
    );
  });

  it('reload on SIGHUP: policy changes keep sessions up, session keys reset, removal sends 6/3, a bad file is rejected', async () => {
    const transitions = async (addr: string) => (await b.neighbor(addr))?.counters.establishedTransitions;
    expect([await transitions('10.97.1.1'), await transitions('10.97.2.3')]).toEqual([1, 1]);

    // Export policy to C now rejects everything, the import policy from A tags a community, A's
    // description changes: soft refresh both ways, no session reset.
    b.writeConfig(
      B({
        toC: 'reject',
        fromA: '{ action: accept, community: { add: ["65002:9"] } }',
        aDesc: 'rack-a-renamed',
      }),
    );
    b.signal('SIGHUP');
    await waitFor('C lost the prefixes', async () => (await c.neighbor('10.97.2.2'))?.prefixesReceived === 0);
    await waitFor('community from the re-sent routes', async () => {
      const [r] = await b.routes('10.244.1.0/26');
      return (r?.paths[0].attributes.communities as string[] | undefined)?.includes('65002:9');
    });
    expect([await transitions('10.97.1.1'), await transitions('10.97.2.3')]).toEqual([1, 1]);
    expect((await a.neighbor('10.97.1.2'))?.counters.messagesIn['route-refresh']).toBe(1);
    expect((await b.cli(['show', 'summary'])).stdout).toMatch(/rack-a-renamed/);

    // A timer change resets that session only, with Cease 6/6.
    b.writeConfig(B({ cHold: ', hold-time: 30' }));
    const viaCli = await b.cli(['reload']);
    expect(viaCli.code).toBe(0);
    expect(viaCli.stdout).toContain('10.97.2.3: reset (configuration change: hold-time)');
    await waitFor(
      'C saw 6/6',
      async () => (await c.neighbor('10.97.2.2'))?.counters.notificationsIn['6/6'] === 1,
    );
    await b.waitState('10.97.2.3', 'Established');
    expect(await transitions('10.97.2.3')).toBe(2);
    expect(await transitions('10.97.1.1')).toBe(1);
    await waitFor(
      'C has both prefixes again',
      async () => (await c.neighbor('10.97.2.2'))?.prefixesReceived === 2,
    );

    // An invalid file: rejected with file:line:col, nothing changes.
    b.writeConfig(`${B()}\nbogus-key: 1\n`);
    const bad = await b.cli(['reload']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      /reload rejected; the running configuration stays:\n {2}.*b-rackbgp\.yaml:\d+:1: bogus-key: unknown key 'bogus-key'/,
    );
    b.signal('SIGHUP');
    await waitFor('SIGHUP rejection logged', async () =>
      (await import('node:fs')).readFileSync(b.log, 'utf8').includes('reload rejected'),
    );
    expect((await b.neighbors()).map((n) => n.state)).toEqual(['Established', 'Established']);

    // Removing C: Cease/Peer De-configured; its metrics series go with it.
    expect([...(await metrics('b')).keys()].some((k) => k.includes('peer="10.97.2.3"'))).toBe(true);
    b.writeConfig(B({ withC: false }));
    b.signal('SIGHUP');
    await waitFor(
      'C saw 6/3',
      async () => (await c.neighbor('10.97.2.2'))?.counters.notificationsIn['6/3'] === 1,
    );
    expect((await b.neighbors()).map((n) => n.address)).toEqual(['10.97.1.1']);
    expect([...(await metrics('b')).keys()].some((k) => k.includes('peer="10.97.2.3"'))).toBe(false);
    expect(await transitions('10.97.1.1')).toBe(1);
  });

  it('soft-reconfiguration-inbound: a new import policy applies to the kept routes, A is not asked again', async () => {
    b.writeConfig(B({ softIn: true }));
    b.signal('SIGHUP'); // a reset key: the session with A starts again, keeping A's routes as received
    await waitFor('A back with its 2 prefixes', async () => {
      const n = await b.neighbor('10.97.1.1');
      return (
        n?.state === 'Established' && n.counters.establishedTransitions === 2 && n.prefixesReceived === 2
      );
    });
    b.writeConfig(B({ softIn: true, fromA: 'reject' }));
    b.signal('SIGHUP');
    await waitFor("A's routes rejected", async () => (await b.neighbor('10.97.1.1'))?.prefixesReceived === 0);
    const m = await metrics('b');
    const peer = 'peer="10.97.1.1",afi_safi="ipv4-unicast"';
    expect([
      m.get(`bgp_peer_prefixes_received{${peer}}`),
      m.get(`bgp_peer_prefixes_accepted{${peer}}`),
    ]).toEqual([2, 0]);
    b.writeConfig(B({ softIn: true }));
    b.signal('SIGHUP');
    await waitFor('accepted again', async () => (await b.neighbor('10.97.1.1'))?.prefixesReceived === 2);
    expect((await a.neighbor('10.97.1.2'))?.counters.messagesIn['route-refresh'] ?? 0).toBe(0);
    expect((await b.neighbor('10.97.1.1'))?.counters.establishedTransitions).toBe(2);
  });

  it('/metrics: peer state, counters by type, prefixes per family, RIB sizes, process metrics', async () => {
    const m = await metrics('b');
    const peer = 'peer="10.97.1.1"';
    expect(m.get(`bgp_peer_up{${peer}}`)).toBe(1);
    expect(m.get(`bgp_peer_state{${peer},state="Established"}`)).toBe(1);
    expect(m.get(`bgp_peer_state{${peer},state="Idle"}`)).toBe(0);
    expect(m.get(`bgp_peer_prefixes_received{${peer},afi_safi="ipv4-unicast"}`)).toBe(2);
    expect(m.get('bgp_peer_prefixes_advertised{peer="10.97.2.3",afi_safi="ipv4-unicast"}')).toBe(2);
    expect(m.get(`bgp_peer_established_transitions_total{${peer}}`)).toBe(1);
    expect(m.get(`bgp_peer_messages_received_total{${peer},type="open"}`)).toBe(1);
    expect(m.get(`bgp_peer_messages_received_total{${peer},type="update"}`)).toBeGreaterThanOrEqual(2);
    expect(m.get('bgp_peer_messages_sent_total{peer="10.97.2.3",type="update"}')).toBeGreaterThanOrEqual(2);
    expect(m.get(`bgp_peer_uptime_seconds{${peer}}`)).toBeGreaterThanOrEqual(0);
    expect(
      m.get(`bgp_peer_end_of_rib_received_timestamp_seconds{${peer},afi_safi="ipv4-unicast"}`),
    ).toBeGreaterThan(1.7e9);
    expect(m.get('bgp_rib_destinations{afi_safi="ipv4-unicast"}')).toBe(2);
    expect(m.get('bgp_rib_paths{afi_safi="ipv4-unicast"}')).toBe(2);
    expect(m.get('bgp_rib_attribute_sets{rib="loc"}')).toBe(1);
    // A and C: eBGP one hop away on two subnets, so two update groups (third-party next hops).
    expect(m.get('bgp_update_groups')).toBe(2);
    expect(m.get('bgp_updates_shared_total')).toBe(0);
    expect(m.get('bgp_update_processing_seconds_count')).toBeGreaterThan(0);
    expect(m.get('bgp_update_processing_seconds_sum')).toBeGreaterThan(0);
    expect(m.get('process_resident_memory_bytes')).toBeGreaterThan(1e6);
    expect([...m.keys()].some((k) => k.startsWith('nodejs_heap_size_used_bytes'))).toBe(true);

    // A NOTIFICATION shows up by code and subcode, and the state series follow the session.
    await b.cli(['neighbor', 'shutdown', '10.97.1.1']);
    await waitFor('A down in metrics', async () => (await metrics('b')).get(`bgp_peer_up{${peer}}`) === 0);
    const after = await metrics('b');
    expect(
      after.get(
        `bgp_peer_notifications_sent_total{${peer},code="6",subcode="2",code_name="cease",subcode_name="administrative-shutdown"}`,
      ),
    ).toBe(1);
    expect(after.get(`bgp_peer_admin_enabled{${peer}}`)).toBe(0);
  });

  type Traced = {
    msg: string;
    peer?: string;
    direction?: string;
    message?: { type: string; family?: string; nlri?: string[] };
  };
  it('packet tracing: none by default; after neighbor trace on, messages both ways as JSON in the log', async () => {
    const traced = () =>
      readFileSync(b.log, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Traced)
        .filter((o) => o.msg === 'message sent' || o.msg === 'message received');
    expect(traced()).toEqual([]);
    const on = await b.cli(['neighbor', 'trace', '10.97.1.1', 'on']);
    expect(on.stdout).toContain('10.97.1.1: packet tracing on');
    expect(on.code).toBe(0);
    // ROUTE-REFRESH to A (RFC 2918): A answers with its UPDATEs and End-of-RIB.
    await b.cli(['neighbor', 'refresh', '10.97.1.1', '--in']);
    const lines = await waitFor('traced UPDATE from A', async () => {
      const t = traced();
      return t.some((o) => o.direction === 'received' && o.message?.type === 'update') ? t : undefined;
    });
    expect(lines.every((o) => o.peer === '10.97.1.1')).toBe(true);
    expect(lines.find((o) => o.direction === 'sent')?.message).toMatchObject({
      type: 'route-refresh',
      family: 'ipv4-unicast',
    });
    const update = lines.find((o) => o.direction === 'received' && o.message?.nlri?.length);
    expect(update?.message?.nlri?.slice().sort()).toEqual(['10.244.1.0/26', '10.244.2.0/26']);
    // Off again through the API itself; a body without a boolean is refused.
    const post = async (body: string) => {
      const script = `fetch('http://127.0.0.1:50179/api/neighbors/10.97.1.1/trace',{method:'POST',body:'${body}'}).then(r=>process.stdout.write(String(r.status)))`;
      return (await net.exec('b', process.execPath, ['-e', script])).stdout;
    };
    expect(await post('{"enabled": false}')).toBe('200');
    expect(await post('{"enabled": "yes"}')).toBe('400');
    const received = async () => {
      let n = 0;
      for (const [k, v] of await metrics('b'))
        if (k.startsWith('bgp_peer_messages_received_total{peer="10.97.1.1"')) n += v;
      return n;
    };
    const before = await received();
    const count = traced().length;
    await b.cli(['neighbor', 'refresh', '10.97.1.1', '--in']);
    await waitFor('A answered the second refresh', async () =>
      (await received()) > before ? true : undefined,
    );
    expect(traced().length).toBe(count);
  });
});
