/**
 * rackbgp as the restarting speaker (RFC 4724 §4.1) with BIRD 2 as helper: `rackbgp restart`
 * closes the session without a NOTIFICATION, BIRD keeps rackbgp's route stale, the next run sends
 * the Restart State bit, defers until BIRD's End-of-RIB, then sends its table and End-of-RIB, and
 * BIRD's route is fresh again. RFC 8538: with the N bit exchanged, a Cease Administrative Reset goes
 * out as Hard Reset (BIRD drops the routes); a soft NOTIFICATION keeps them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIRD2, type BirdHandle, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const skip = !isRoot() || requireTools(BIRD2.daemon, BIRD2.client).length > 0;

const birdConfig = `log stderr all;
router id 10.95.1.12;
protocol device { scan time 2; }
protocol static s4 { ipv4; route 10.20.1.0/24 blackhole; }
protocol bgp leaf {
  local 10.95.1.12 as 65002;
  neighbor 10.95.1.1 as 65001;
  connect delay time 1;
  connect retry time 2;
  error wait time 1,2;
  graceful restart on;
  ipv4 { import all; export all; };
}
`;

const leafConfig = (dir: string) => `router-id: 10.95.1.1
asn: 65001
fib: false
graceful-restart: { selection-deferral-time: 20, state-dir: ${dir} }
networks: [10.30.1.0/24]
neighbors: [{ address: 10.95.1.12, asn: 65002, graceful-restart: { restart-time: 60, notification: true } }]
`;

/**
 * BIRD's view of rackbgp's route: absent, fresh, or stale. BIRD 2.0.12 does not print a stale flag
 * in `show route`; a route still there while `show protocols all` says "Neighbor graceful restart
 * active" (the session down, the restart timer running) is what it keeps stale (RFC 4724 §4.2).
 */
async function birdRoute(bird: BirdHandle): Promise<'absent' | 'fresh' | 'stale'> {
  const t = await bird.cli('show route all 10.30.1.0/24');
  if (!t.includes('10.30.1.0/24')) return 'absent';
  const p = await bird.protocol('leaf');
  if (/Neighbor graceful restart active/.test(p)) return 'stale';
  return /BGP state:\s+Established/.test(p) ? 'fresh' : 'stale';
}

describe.skipIf(skip)('graceful restart: rackbgp restarting, BIRD 2 helping', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('grr');
    await net.addNode('leaf');
    await net.addNode('peer');
    await net.link('leaf', 'peer', { a: ['10.95.1.1/24'], b: ['10.95.1.12/24'] });
  });
  afterEach(async () => {
    await net.destroy();
  });

  async function up(): Promise<{ leaf: RackbgpHandle; bird: BirdHandle }> {
    const bird = await startBird(net, 'peer', BIRD2, birdConfig, 'bird2');
    const leaf = await startRackbgp(net, 'leaf', leafConfig(net.dir));
    await bird.waitEstablished('leaf');
    await waitFor('route at BIRD', async () => (await birdRoute(bird)) === 'fresh');
    await waitFor('route at rackbgp', async () => (await leaf.routes('10.20.1.0/24')).length === 1);
    return { leaf, bird };
  }

  it('restart: no NOTIFICATION, BIRD keeps the route stale, the next run defers until End-of-RIB', async () => {
    const { leaf, bird } = await up();
    const caps = await bird.protocol('leaf');
    expect(caps).toMatch(/Graceful restart/);

    const r = await leaf.cli(['restart']);
    expect(r.code, r.stderr).toBe(0);
    const marker = join(net.dir, 'restart-10.95.1.1.json');
    await waitFor('marker written', async () => existsSync(marker));
    await waitFor('BIRD keeps the route stale', async () => (await birdRoute(bird)) === 'stale', 10_000);
    const during = await bird.protocol('leaf');
    expect(during).not.toMatch(/Established/);
    const firstLog = readFileSync(leaf.log, 'utf8');
    expect(firstLog).toMatch(/graceful restart: closing sessions without NOTIFICATION/);

    const again = await startRackbgp(net, 'leaf', leafConfig(net.dir));
    await bird.waitEstablished('leaf');
    await waitFor('route fresh at BIRD', async () => (await birdRoute(bird)) === 'fresh', 20_000);
    const log = readFileSync(again.log, 'utf8');
    expect(log).toMatch(/this run follows rackbgp restart/);
    expect(log).toMatch(/End-of-RIB waited for/);
    expect(log).toMatch(/deferral over.*|"why":"End-of-RIB from every GR neighbor"/);
    expect(existsSync(marker)).toBe(false);
  });
});
