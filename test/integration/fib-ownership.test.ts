/**
 * The FIB belongs to its owner (issue 14 §1), with real `rackbgp run` processes in namespaces: a
 * second daemon in a namespace refuses to start and the first keeps its routes; a start that cannot
 * bind (listen, api, metrics) exits non-zero naming key and address, kernel untouched; routes marked
 * the way FRR's zebra marks its own (proto bgp, metric 20, one on a prefix rackbgp learns too)
 * survive start, SIGTERM and SIGKILL + restart, while rackbgp's own leftovers are adopted and those
 * no longer wanted go after the start-up hold; without CAP_NET_ADMIN it says so once.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTPROT_RACKBGP } from '../../src/fib/protocol.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { apiGet } from './support/procs.js';
import { CLI } from './support/rackbgp.js';

const missing = requireTools('/usr/bin/setpriv');
const PEER_PREFIXES = ['10.98.10.0/24', '10.98.11.0/24', '10.98.12.0/24', '10.98.13.0/24', '10.98.14.0/24'];

const peerConfig = `router-id: 10.98.1.2
asn: 65201
fib: false
listen: { address: 10.98.1.2, port: 179 }
api: { address: 127.0.0.1, port: 50179 }
metrics: false
networks: [${PEER_PREFIXES.join(', ')}]
neighbors: [{ address: 10.98.1.1, asn: 65200, connect-retry-time: 1 }]
`;

/** The leaf: fib on, the peer passive; `ports` moves the API and /metrics off the defaults. */
const leafConfig = (routerId = '10.98.1.1', ports = { api: 50179, metrics: 9179 }) => `router-id: ${routerId}
asn: 65200
fib: true
listen: { address: 0.0.0.0, port: 179 }
api: { address: 127.0.0.1, port: ${ports.api} }
metrics: { address: 127.0.0.1, port: ${ports.metrics} }
neighbors: [{ address: 10.98.1.2, asn: 65201, passive: true }]
`;

interface FibView {
  available: boolean;
  state?: {
    installed: number;
    failed: number;
    dirty: number;
    operations: Record<'add' | 'replace' | 'delete', { ok: number; refused: number }>;
    method: string;
  };
}

describe.skipIf(!isRoot() || missing.length > 0)('the FIB belongs to its owner', () => {
  const net = new TestNet('own');
  let n = 0;

  /** `rackbgp run` in `node` (optionally behind a wrapper such as setpriv); its log file and process. */
  function run(node: string, yaml: string, wrapper: string[] = []): { child: ChildProcess; log: string } {
    const cfg = join(net.dir, `${node}-${++n}.yaml`);
    writeFileSync(cfg, yaml);
    const argv = [process.execPath, CLI, 'run', '-c', cfg, '--log-format', 'json'];
    const [cmd, ...args] = [...wrapper, ...argv];
    return net.spawn(node, `rackbgp-${n}`, cmd, args);
  }

  /** `rackbgp run` that is expected to exit by itself: its status and stderr. */
  async function runToExit(node: string, yaml: string) {
    const cfg = join(net.dir, `${node}-${++n}.yaml`);
    writeFileSync(cfg, yaml);
    return net.exec(node, process.execPath, [CLI, 'run', '-c', cfg, '--log-format', 'json'], 20_000);
  }

  /** Every route of table main, both families, as ip prints them: what "unchanged" compares. */
  const table = (node: string) => net.sh(node, 'ip route show table main; ip -6 route show table main');
  /** The prefixes rackbgp marked (proto 179), sorted. */
  const ours = async (node: string) =>
    (await net.sh(node, `ip route show proto ${RTPROT_RACKBGP}`))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ')[0])
      .sort();
  const frrRoutes = (node: string) => net.sh(node, 'ip route show proto bgp');
  const fib = (node: string, port = 50179) => apiGet<FibView>(net, node, '/api/fib', port);
  const established = (node: string, port = 50179) =>
    waitFor(`${node} Established`, async () => {
      const ns = await apiGet<{ state: string }[]>(net, node, '/api/neighbors', port);
      return ns.length > 0 && ns.every((x) => x.state === 'Established');
    });

  beforeAll(async () => {
    for (const node of ['leaf', 'peer', 'solo', 'nocap']) await net.addNode(node);
    await net.link('leaf', 'peer', { a: ['10.98.1.1/24'], b: ['10.98.1.2/24'] }, { a: 'eth1', b: 'eth1' });
    await net.link('solo', 'nocap', { a: ['10.98.3.1/24'], b: ['10.98.3.2/24'] }, { a: 'eth1', b: 'eth1' });
    run('peer', peerConfig);
  });

  afterAll(async () => {
    await net.destroy();
  });

  it('a second daemon in the namespace refuses before it touches anything; the first keeps its routes', async () => {
    const first = run('leaf', leafConfig());
    await established('leaf');
    await waitFor('5 routes in the kernel', async () => (await ours('leaf')).length === 5);
    const before = await table('leaf');

    // The same file, as an operator starting it twice would; the lock is checked before any bind.
    const second = await runToExit('leaf', leafConfig());
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `^rackbgp: cannot start: fib: another rackbgp \\(pid ${first.child.pid}, router-id 10\\.98\\.1\\.1\\) already runs with fib: true in this network namespace`,
      ),
    );
    // A different file with other ports: refused all the same.
    const third = await runToExit('leaf', leafConfig('10.98.1.9', { api: 50180, metrics: 9180 }));
    expect(third.code).toBe(1);
    expect(third.stderr).toMatch(
      /cannot start: fib: another rackbgp .* stop it first, or run this one with fib: false/,
    );

    expect(await table('leaf')).toBe(before);
    expect(await ours('leaf')).toEqual(PEER_PREFIXES);
    const f = await fib('leaf');
    // The daemon programs the kernel over rtnetlink (ip -batch only when no socket can be opened).
    expect(f.state).toMatchObject({ installed: 5, failed: 0, method: 'netlink' });
    expect(f.state?.operations.delete).toEqual({ ok: 0, refused: 0 });
    await established('leaf');
    await net.kill(first.child);
    expect(await ours('leaf')).toEqual([]);
  });

  it('each bind failure exits non-zero naming key and address; the kernel, leftovers included, stays as it was', async () => {
    // A killed run's route (our marker) and FRR's, which a failed start must neither adopt nor delete.
    await net.sh(
      'solo',
      [
        `ip route add 10.98.50.0/24 via 10.98.3.2 proto ${RTPROT_RACKBGP} metric 20`,
        'ip route add 10.98.51.0/24 via 10.98.3.2 proto bgp metric 20',
      ].join(' && '),
    );
    const config = `router-id: 10.98.3.1
asn: 65300
fib: true
listen: { address: 10.98.3.1, port: 17900 }
api: { address: 127.0.0.1, port: 17901 }
metrics: { address: 127.0.0.1, port: 17902 }
networks: [10.98.52.0/24]
neighbors: [{ address: 10.98.3.2, asn: 65301 }]
`;
    const before = await table('solo');
    const cases = [
      { key: 'listen', at: '10.98.3.1:17900' },
      { key: 'api', at: '127.0.0.1:17901' },
      { key: 'metrics', at: '127.0.0.1:17902' },
    ];
    for (const c of cases) {
      const [host, port] = c.at.split(':');
      // Another program holds the port (plain TCP listener).
      const blocker = net.spawn('solo', `blocker-${c.key}`, process.execPath, [
        '-e',
        `require('net').createServer().listen(${port}, '${host}', () => console.log('listening'))`,
      ]);
      await waitFor(`blocker on ${c.at}`, async () =>
        readFileSync(blocker.log, 'utf8').includes('listening'),
      );
      const r = await runToExit('solo', config);
      await net.kill(blocker.child);
      expect(r.code, c.key).toBe(1);
      expect(r.stderr.trim()).toBe(`rackbgp: cannot start: ${c.key}: ${c.at} is in use (EADDRINUSE)`);
      expect(await table('solo'), c.key).toBe(before);
    }
    expect(await ours('solo')).toEqual(['10.98.50.0/24']);
    expect(await frrRoutes('solo')).toContain('10.98.51.0/24 via 10.98.3.2 dev eth1 metric 20');
    await net.sh(
      'solo',
      `ip route del 10.98.50.0/24 proto ${RTPROT_RACKBGP}; ip route del 10.98.51.0/24 proto bgp`,
    );
  });

  it('FRR-marked routes survive start, SIGTERM and SIGKILL + restart; our leftovers are adopted, unwanted ones go after the hold', async () => {
    // FRR's zebra marks its BGP routes proto bgp, metric 20: one on a prefix of its own, one on a
    // prefix the peer also announces to rackbgp (through another gateway, to tell them apart).
    await net.sh(
      'leaf',
      [
        'ip route add 10.98.60.0/24 via 10.98.1.3 proto bgp metric 20',
        'ip route add 10.98.10.0/24 via 10.98.1.3 proto bgp metric 20',
      ].join(' && '),
    );
    const frrBefore = await frrRoutes('leaf');
    expect(frrBefore.split('\n').filter(Boolean)).toHaveLength(2);
    const mine = PEER_PREFIXES.slice(1);

    // Start: the prefix FRR holds is refused (the kernel's EEXIST), the others go in.
    let leaf = run('leaf', leafConfig());
    await established('leaf');
    await waitFor('4 routes of ours', async () => (await ours('leaf')).length === 4);
    expect(await ours('leaf')).toEqual(mine);
    await waitFor('the refusal counted', async () => (await fib('leaf')).state?.failed === 1);
    expect(await frrRoutes('leaf')).toBe(frrBefore);

    // SIGTERM: ours leave the kernel, FRR's stay.
    await net.kill(leaf.child);
    expect(await ours('leaf')).toEqual([]);
    expect(await frrRoutes('leaf')).toBe(frrBefore);

    // SIGKILL: ours stay behind, and a stale one of ours that nobody announces any more.
    leaf = run('leaf', leafConfig());
    await established('leaf');
    await waitFor('4 routes of ours again', async () => (await ours('leaf')).length === 4);
    await net.kill(leaf.child, 'SIGKILL');
    await net.sh('leaf', `ip route add 10.98.70.0/24 via 10.98.1.2 proto ${RTPROT_RACKBGP} metric 20`);
    expect(await ours('leaf')).toEqual([...mine, '10.98.70.0/24'].sort());
    expect(await frrRoutes('leaf')).toBe(frrBefore);

    // Restart: the 4 identical ones are adopted (not written again), the stale one is held, then goes.
    const started = Date.now();
    leaf = run('leaf', leafConfig());
    await established('leaf');
    await waitFor('converged', async () => {
      const s = (await fib('leaf')).state;
      return s && s.dirty === 0 && s.failed === 1 && s.installed === 5;
    });
    const adopted = (await fib('leaf')).state!;
    expect(adopted.operations.add.ok).toBe(0);
    expect(adopted.operations.replace.ok).toBe(0);
    expect(adopted.operations.delete.ok).toBe(0);
    expect(await ours('leaf')).toEqual([...mine, '10.98.70.0/24'].sort());
    await waitFor(
      'the stale route gone after the start-up hold',
      async () => !(await ours('leaf')).includes('10.98.70.0/24'),
      40_000,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(14_000);
    expect((await fib('leaf')).state?.operations.delete).toEqual({ ok: 1, refused: 0 });
    expect(await ours('leaf')).toEqual(mine);
    expect(await frrRoutes('leaf')).toBe(frrBefore);

    await net.kill(leaf.child);
    expect(await ours('leaf')).toEqual([]);
    expect(await frrRoutes('leaf')).toBe(frrBefore);
    await net.sh('leaf', 'ip route del 10.98.60.0/24 proto bgp && ip route del 10.98.10.0/24 proto bgp');
  }, 90_000);

  it('without CAP_NET_ADMIN it says so once, with the fix, and sends the kernel nothing', async () => {
    // nocap's peer is a rackbgp in solo announcing five prefixes.
    const announcer = run(
      'solo',
      `router-id: 10.98.3.1
asn: 65300
fib: false
listen: { address: 10.98.3.1, port: 179 }
metrics: false
networks: [10.98.80.0/24, 10.98.81.0/24, 10.98.82.0/24, 10.98.83.0/24, 10.98.84.0/24]
neighbors: [{ address: 10.98.3.2, asn: 65301, connect-retry-time: 1 }]
`,
    );
    const before = await table('nocap');
    const r = run(
      'nocap',
      `router-id: 10.98.3.2
asn: 65301
fib: true
neighbors: [{ address: 10.98.3.1, asn: 65300, passive: true }]
`,
      ['setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin', '--'],
    );
    await established('nocap');
    await waitFor('five routes refused', async () => (await fib('nocap')).state?.failed === 5);
    // An address change makes the FIB retry the refused routes: still no second message.
    await net.sh('nocap', 'ip addr add 10.98.4.1/24 dev lo');
    await new Promise((done) => setTimeout(done, 1500));
    await net.sh('nocap', 'ip addr del 10.98.4.1/24 dev lo');
    expect(await table('nocap')).toBe(before);
    expect(await ours('nocap')).toEqual([]);
    await net.kill(r.child);
    await net.kill(announcer.child);
    const lines = readFileSync(r.log, 'utf8').split('\n').filter(Boolean);
    const said = lines.filter((l) => l.includes('no CAP_NET_ADMIN'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/set fib: false .*grant CAP_NET_ADMIN/);
    expect(lines.filter((l) => l.includes('kernel refused routes'))).toEqual([]);
  });
});
