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
import { FRR, type FrrHandle, startFrr } from './support/frr.js';
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
    // The journal tells the restart's story: deferral begun for the neighbor, its End-of-RIB, the end.
    const events = (await again.cli(['events', '--json'])).stdout;
    const types = (JSON.parse(events) as { events: { type: string; peer?: string; why?: string }[] }).events
      .filter((e) => e.type.startsWith('gr-restart-'))
      .map((e) => [e.type, e.peer ?? e.why ?? '']);
    expect(types).toEqual([
      ['gr-restart-begin', ''],
      ['gr-restart-eor', '10.95.1.12'],
      ['gr-restart-end', 'End-of-RIB from every GR neighbor'],
    ]);
    // BIRD 2.0.12 does not announce RFC 8538's N bit, so our reset stays a plain Cease 6/4 (no Hard
    // Reset wrapping) and BIRD, no helper after a NOTIFICATION, drops the route.
    expect((await again.neighbor('10.95.1.12'))?.counters.notificationsOut).toEqual({});
    const reset = await again.cli(['neighbor', 'reset', '10.95.1.12']);
    expect(reset.code, reset.stderr).toBe(0);
    await waitFor(
      '6/4 sent',
      async () => (await again.neighbor('10.95.1.12'))?.counters.notificationsOut['6/4'] === 1,
    );
    expect((await again.neighbor('10.95.1.12'))?.counters.notificationsOut['6/9']).toBeUndefined();
  });

  it('a dynamic neighbor (listen range) up at the restart is waited for too', async () => {
    await net.addNode('dyn');
    await net.link('leaf', 'dyn', { a: ['10.95.2.1/24'], b: ['10.95.2.12/24'] });
    const dynBird = birdConfig
      .replaceAll('10.95.1.12', '10.95.2.12')
      .replace('10.95.1.1 as 65001', '10.95.2.1 as 65001')
      .replace('as 65002', 'as 65003')
      .replace('10.20.1.0/24', '10.20.2.0/24');
    const config = `${leafConfig(net.dir)}listen-ranges: [{ prefix: 10.95.2.0/24, asn: 65003, graceful-restart: { restart-time: 60 } }]\n`;
    const bird = await startBird(net, 'peer', BIRD2, birdConfig, 'bird2');
    const dyn = await startBird(net, 'dyn', BIRD2, dynBird, 'bird2-dyn');
    const leaf = await startRackbgp(net, 'leaf', config);
    await bird.waitEstablished('leaf');
    await dyn.waitEstablished('leaf');
    await waitFor('both routes at rackbgp', async () => (await leaf.routes()).length === 3);

    const r = await leaf.cli(['restart']);
    expect(r.code, r.stderr).toBe(0);
    const marker = join(net.dir, 'restart-10.95.1.1.json');
    await waitFor('marker written', async () => existsSync(marker));
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toMatchObject({ dynamicNeighbors: ['10.95.2.12'] });

    const again = await startRackbgp(net, 'leaf', config);
    await dyn.waitEstablished('leaf');
    await bird.waitEstablished('leaf');
    const restart = async () =>
      (
        JSON.parse((await again.cli(['events', '--json'])).stdout) as {
          events: { type: string; peer?: string; why?: string; neighbors?: string[] }[];
        }
      ).events.filter((e) => e.type.startsWith('gr-restart-'));
    const events = await waitFor('deferral over', async () => {
      const e = await restart();
      return e.some((x) => x.type === 'gr-restart-end') ? e : undefined;
    });
    expect(events[0]).toMatchObject({ type: 'gr-restart-begin', neighbors: ['10.95.1.12', '10.95.2.12'] });
    expect(
      events
        .filter((e) => e.type === 'gr-restart-eor')
        .map((e) => e.peer)
        .sort(),
    ).toEqual(['10.95.1.12', '10.95.2.12']);
    expect(events.at(-1)).toMatchObject({ type: 'gr-restart-end', why: 'End-of-RIB from every GR neighbor' });
  });
});

const skipFrr = !isRoot() || requireTools(FRR.bgpd, FRR.zebra, FRR.vtysh).length > 0;

describe.skipIf(skipFrr)('graceful restart: rackbgp restarting, FRR 8.4 helping', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('grf');
    await net.addNode('leaf');
    await net.addNode('peer');
    await net.link('leaf', 'peer', { a: ['10.95.1.1/24'], b: ['10.95.1.12/24'] });
  });
  afterEach(async () => {
    await net.destroy();
  });

  /** FRR's path from rackbgp for 10.30.1.0/24: absent, fresh or stale (its JSON marks stale paths). */
  const frrPath = async (frr: FrrHandle): Promise<'absent' | 'fresh' | 'stale'> => {
    const j = JSON.parse(await frr.vtysh('show bgp ipv4 unicast 10.30.1.0/24 json')) as {
      paths?: { stale?: boolean }[];
    };
    if (!j.paths?.length) return 'absent';
    return j.paths.some((p) => p.stale) ? 'stale' : 'fresh';
  };

  it("FRR keeps the route stale and sees the R bit; FRR's own R bit (its start-up window) means no wait", async () => {
    const frr = await startFrr(
      net,
      'peer',
      `frr defaults traditional
hostname frr
log stdout informational
!
router bgp 65002
 bgp router-id 10.95.1.12
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp graceful-restart
 neighbor 10.95.1.1 remote-as 65001
 neighbor 10.95.1.1 timers connect 1
 address-family ipv4 unicast
  network 10.20.1.0/24
 exit-address-family
!
`,
    );
    const leaf = await startRackbgp(net, 'leaf', leafConfig(net.dir));
    await frr.waitEstablished('10.95.1.1');
    await waitFor('route at FRR', async () => (await frrPath(frr)) === 'fresh');

    const r = await leaf.cli(['restart']);
    expect(r.code, r.stderr).toBe(0);
    await waitFor('FRR keeps the route stale', async () => (await frrPath(frr)) === 'stale', 10_000);
    const again = await startRackbgp(net, 'leaf', leafConfig(net.dir));
    const n = await frr.waitEstablished('10.95.1.1');
    // Our OPEN after the restart: R set, F for IPv4 (RFC 4724 §3).
    expect(n.gracefulRestartInfo).toMatchObject({ rBit: true, ipv4Unicast: { fBit: true } });
    await waitFor('route fresh at FRR', async () => (await frrPath(frr)) === 'fresh', 20_000);
    const log = readFileSync(again.log, 'utf8');
    // FRR 8.4 sets R in every OPEN for its restart time (120 s) after bgpd starts (t_startup), and
    // RFC 4724 §4.1 excludes a neighbor with R set from the wait: the deferral ends at once.
    expect(log).toMatch(/"peer":"10.95.1.12","why":"restarting itself \(R bit\)"/);
    expect(log).toMatch(/"why":"End-of-RIB from every GR neighbor"/);
  });
});
