/**
 * Robustness against live daemons in namespaces (issue 8): a burst of 1,000 connections from an
 * unknown source is closed before any OPEN (RFC 4271 §8.2.1.1) and counted while a BIRD session
 * stays up; SIGKILL and a restart with the FIB on leave the kernel's routes unduplicated and
 * complete at every sample; `rackbgp run` with an invalid file exits non-zero with file:line:col;
 * the API and metrics listen on loopback by default, and actions elsewhere need the token.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RTPROT_RACKBGP } from '../../src/fib/protocol.js';
import { BIRD2, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { apiGet } from './support/procs.js';
import { CLI, startRackbgp } from './support/rackbgp.js';

const missing = requireTools(BIRD2.daemon, BIRD2.client);
const skip = !isRoot() || missing.length > 0;

/** BIRD 2 on 10.99.31.2 (AS 65031) announcing `routes` /24s from 10.31.0.0 to the leaf. */
function birdConfig(routes: number): string {
  const statics = Array.from(
    { length: routes },
    (_, i) => `  route 10.${31 + (i >> 8)}.${i & 255}.0/24 blackhole;`,
  ).join('\n');
  return `log stderr all;
router id 10.99.31.2;
protocol device { scan time 2; }
protocol static static4 {
  ipv4;
${statics}
}
protocol bgp leaf {
  local 10.99.31.2 as 65031;
  neighbor 10.99.31.1 as 65001;
  connect delay time 1;
  connect retry time 1;
  error wait time 1,2;
  ipv4 { import all; export all; };
}
`;
}

const LEAF = (fib: boolean) => `router-id: 10.99.31.1
asn: 65001
fib: ${fib}
neighbors: [{ address: 10.99.31.2, asn: 65031, connect-retry-time: 1, idle-hold-time: 1 }]
`;

/** One burst of `n` connections from `node`: how many connected, were closed, and octets received. */
const BURST = `
const net = require('node:net');
const [host, n] = [process.argv[1], Number(process.argv[2])];
let connected = 0, closed = 0, octets = 0, errors = {};
const t0 = Date.now();
const all = Array.from({ length: n }, () => new Promise((resolve) => {
  const s = net.connect({ host, port: 179 });
  s.on('connect', () => connected++);
  s.on('data', (d) => { octets += d.length; });
  s.on('error', (e) => { errors[e.code] = (errors[e.code] || 0) + 1; });
  s.on('close', () => { closed++; resolve(); });
  s.setTimeout(20000, () => s.destroy());
}));
Promise.all(all).then(() => process.stdout.write(JSON.stringify({ connected, closed, octets, errors, ms: Date.now() - t0 })));
`;

describe.skipIf(skip)('robustness', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('robu');
    await net.addNode('leaf');
    await net.addNode('bird');
    await net.link('leaf', 'bird', { a: ['10.99.31.1/24'], b: ['10.99.31.2/24'] });
  });
  afterEach(async () => {
    await net.destroy();
  });

  const metric = async (node: string, name: string) => {
    const script = `fetch('http://127.0.0.1:9179/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))`;
    const r = await net.exec(node, process.execPath, ['-e', script]);
    if (r.code) throw new Error(r.stderr);
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(r.stdout);
    return m ? Number(m[1]) : undefined;
  };

  it('1,000 connections from an unknown source: closed before OPEN, counted, the BIRD session untouched', async () => {
    await net.addNode('outside');
    await net.link('leaf', 'outside', { a: ['10.99.32.1/24'], b: ['10.99.32.2/24'] });
    const bird = await startBird(net, 'bird', BIRD2, birdConfig(10));
    const leaf = await startRackbgp(net, 'leaf', LEAF(false));
    await leaf.waitState('10.99.31.2', 'Established');
    const birdBefore = await bird.waitEstablished('leaf');
    await waitFor('10 routes', async () => (await leaf.neighbor('10.99.31.2'))?.prefixesReceived === 10);
    expect(await metric('leaf', 'bgp_unknown_connections_total')).toBe(0);

    const r = await net.exec('outside', process.execPath, ['-e', BURST, '10.99.32.1', '1000'], 60_000);
    expect(r.code, r.stderr).toBe(0);
    const burst = JSON.parse(r.stdout) as { connected: number; closed: number; octets: number; ms: number };
    // Every connection was accepted by the kernel, then closed by rackbgp without a single octet.
    expect(burst).toMatchObject({ connected: 1000, closed: 1000, octets: 0 });

    expect(await metric('leaf', 'bgp_unknown_connections_total')).toBe(1000);
    expect(
      (await apiGet<{ unknownConnections: number }>(net, 'leaf', '/api/sessions/stats')).unknownConnections,
    ).toBe(1000);
    const n = await leaf.neighbor('10.99.31.2');
    expect(n?.state).toBe('Established');
    expect(n?.counters.establishedTransitions).toBe(1);
    expect(n?.prefixesReceived).toBe(10);
    expect(n?.counters.notificationsIn).toEqual({});
    expect(n?.counters.notificationsOut).toEqual({});
    expect((await leaf.neighbors()).map((x) => x.address)).toEqual(['10.99.31.2']);
    // BIRD's session did not go down meanwhile: the same "since" time in `show protocols`.
    const since = (t: string) => /^leaf\s+BGP\s+\S+\s+up\s+(.+?)\s+Established/m.exec(t)?.[1];
    expect(since(birdBefore)).toBeTruthy();
    expect(since(await bird.protocol('leaf'))).toBe(since(birdBefore));
    // One warning for the source, not a thousand log lines.
    const warnings = readFileSync(leaf.log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('connection from unknown source refused'));
    expect(warnings).toHaveLength(1);
    console.log(`unknown burst: 1000 connections refused in ${burst.ms} ms`);
  });

  it('SIGKILL and restart with the FIB on: the kernel never holds a duplicate or misses a route', async () => {
    const ROUTES = 500;
    const bird = await startBird(net, 'bird', BIRD2, birdConfig(ROUTES));
    const want = Array.from({ length: ROUTES }, (_, i) => `10.${31 + (i >> 8)}.${i & 255}.0/24`).sort();
    let leaf = await startRackbgp(net, 'leaf', LEAF(true));
    const kernel = async () =>
      (await net.sh('leaf', `ip route show proto ${RTPROT_RACKBGP}`))
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[0]);
    await waitFor(`${ROUTES} routes in the kernel`, async () => (await kernel()).length === ROUTES, 30_000);
    await bird.waitEstablished('leaf');

    // Sample the kernel's table all through the kill, the restart and the re-establishment.
    const samples: string[][] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(await kernel());
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await leaf.kill();
    await waitFor(
      'BIRD saw the session go',
      async () => !/BGP state:\s+Established/.test(await bird.protocol('leaf')),
    );
    leaf = await startRackbgp(net, 'leaf', LEAF(true), 50180);
    const up = await leaf.waitState('10.99.31.2', 'Established');
    expect(up.counters.establishedTransitions).toBe(1);
    await bird.waitEstablished('leaf');
    await waitFor(
      'the restarted run has every route',
      async () => (await leaf.neighbor('10.99.31.2'))?.prefixesReceived === ROUTES,
    );
    await waitFor('FIB converged', async () => {
      const f = await apiGet<{ state: { installed: number; dirty: number } }>(net, 'leaf', '/api/fib', 50180);
      return f.state.installed === ROUTES && f.state.dirty === 0;
    });
    await new Promise((r) => setTimeout(r, 1000));
    sampling = false;
    await sampler;

    expect(samples.length).toBeGreaterThan(10);
    for (const s of samples) {
      expect(new Set(s).size, 'no duplicate prefix').toBe(s.length);
      expect(s.length, 'no route missing').toBe(ROUTES);
    }
    expect((await kernel()).sort()).toEqual(want);
    // Each route once, through BIRD, with nothing else left (ip prints a duplicate as a second line).
    const lines = (await net.sh('leaf', `ip route show proto ${RTPROT_RACKBGP}`)).split('\n').filter(Boolean);
    expect(lines.every((l) => / via 10\.99\.31\.2 dev to-bird /.test(l))).toBe(true);
    console.log(`restart: ${samples.length} kernel samples, each ${ROUTES} distinct routes`);
  });

  it('rackbgp run with an invalid file: non-zero exit, file:line:col on stderr, nothing listens', async () => {
    const file = join(net.dir, 'broken.yaml');
    writeFileSync(
      file,
      'router-id: 10.99.31.1\nasn: 65001\nneighbors:\n  - { address: 10.99.31.2, asn: 65031, hold-time: 2 }\n',
    );
    const r = await net.exec('leaf', process.execPath, [CLI, 'run', '-c', file], 20_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${file}:4:`);
    expect(r.stderr).toMatch(/neighbors\[0\]\.hold-time/);
    expect(await net.sh('leaf', 'ss -Hltn')).toBe('');
  });

  it('API and metrics on loopback by default; on another address actions need the token', async () => {
    // No api or metrics keys at all: both on 127.0.0.1.
    const cfg = join(net.dir, 'defaults.yaml');
    writeFileSync(cfg, LEAF(false));
    const { child } = net.spawn('leaf', 'rackbgp-defaults', process.execPath, [CLI, 'run', '-c', cfg]);
    const listening = await waitFor('listeners', async () => {
      const out = await net.sh('leaf', 'ss -Hltn');
      return /:50179\b/.test(out) && /:9179\b/.test(out) ? out : undefined;
    });
    const local = listening
      .split('\n')
      .filter(Boolean)
      .map((l) => l.trim().split(/\s+/)[3]);
    expect(local.filter((a) => /:(50179|9179)$/.test(a)).sort()).toEqual([
      '127.0.0.1:50179',
      '127.0.0.1:9179',
    ]);
    await net.kill(child);

    // On the link address: GET works from the peer, POST without a token is refused (403).
    const post = async (node: string, url: string, token?: string) => {
      const headers = token ? `{ authorization: 'Bearer ${token}' }` : '{}';
      const script = `fetch('${url}',{method:'POST',headers:${headers},body:'{}'}).then(r=>process.stdout.write(String(r.status)),e=>{console.error(String(e));process.exit(1)})`;
      const res = await net.exec(node, process.execPath, ['-e', script]);
      if (res.code) throw new Error(res.stderr);
      return Number(res.stdout);
    };
    const get = async (node: string, url: string) => {
      const script = `fetch('${url}').then(r=>process.stdout.write(String(r.status)))`;
      return Number((await net.exec(node, process.execPath, ['-e', script])).stdout);
    };
    const open = join(net.dir, 'open.yaml');
    writeFileSync(open, `${LEAF(false)}api: { address: 10.99.31.1, port: 50179 }\nmetrics: false\n`);
    const a = net.spawn('leaf', 'rackbgp-open', process.execPath, [CLI, 'run', '-c', open]);
    const url = 'http://10.99.31.1:50179/api';
    await waitFor('API on the link', async () => (await get('bird', `${url}/status`)) === 200);
    expect(await post('bird', `${url}/reload`)).toBe(403);
    expect(await post('leaf', `${url}/reload`)).toBe(403);
    await net.kill(a.child);

    // With a token: wrong or missing → 401, right → 200.
    const tokened = join(net.dir, 'token.yaml');
    writeFileSync(
      tokened,
      `${LEAF(false)}api: { address: 10.99.31.1, port: 50179, token: s3cret-token }\nmetrics: false\n`,
    );
    const b = net.spawn('leaf', 'rackbgp-token', process.execPath, [CLI, 'run', '-c', tokened]);
    await waitFor('API with token', async () => (await get('bird', `${url}/status`)) === 200);
    expect(await post('bird', `${url}/reload`)).toBe(401);
    expect(await post('bird', `${url}/reload`, 'wrong-token')).toBe(401);
    expect(await post('bird', `${url}/reload`, 's3cret-token')).toBe(200);
    await net.kill(b.child);
  });
});
