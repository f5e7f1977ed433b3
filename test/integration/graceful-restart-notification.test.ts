/**
 * RFC 8538 (graceful restart for NOTIFICATIONs, the N bit) against FRR 8.4, both sides: with N in
 * both OPENs a soft NOTIFICATION (Cease 6/6, or FRR's `clear bgp` with `no bgp
 * hard-administrative-reset`) leaves the routes in place, stale, at the other end; a Hard Reset
 * (Cease 6/9: rackbgp's `neighbor reset`, FRR's `clear bgp` by default) drops them at once.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FRR, type FrrHandle, startFrr } from './support/frr.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const skip = !isRoot() || requireTools(FRR.bgpd, FRR.zebra, FRR.vtysh).length > 0;

const frrConfig = (hardAdminReset: boolean) => `frr defaults traditional
hostname frr
log stdout informational
!
router bgp 65002
 bgp router-id 10.94.1.12
 bgp log-neighbor-changes
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp graceful-restart
 bgp graceful-restart notification
 ${hardAdminReset ? '' : 'no '}bgp hard-administrative-reset
 neighbor 10.94.1.1 remote-as 65001
 neighbor 10.94.1.1 timers connect 1
 address-family ipv4 unicast
  network 10.12.1.0/24
 exit-address-family
!
`;

const LEAF = `router-id: 10.94.1.1
asn: 65001
fib: false
networks: [10.30.1.0/24]
neighbors: [{ address: 10.94.1.12, asn: 65002, connect-retry-time: 1, graceful-restart: { restart-time: 60, notification: true } }]
`;

/** FRR's path from rackbgp for 10.30.1.0/24: absent, fresh or stale (its JSON marks stale paths). */
async function frrPath(frr: FrrHandle): Promise<'absent' | 'fresh' | 'stale'> {
  const j = JSON.parse(await frr.vtysh('show bgp ipv4 unicast 10.30.1.0/24 json')) as {
    paths?: { stale?: boolean }[];
  };
  if (!j.paths?.length) return 'absent';
  return j.paths.some((p) => p.stale) ? 'stale' : 'fresh';
}

describe.skipIf(skip)('RFC 8538 N bit with FRR 8.4', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('grn');
    await net.addNode('leaf');
    await net.addNode('peer');
    await net.link('leaf', 'peer', { a: ['10.94.1.1/24'], b: ['10.94.1.12/24'] });
  });
  afterEach(async () => {
    await net.destroy();
  });

  async function up(hardAdminReset: boolean): Promise<{ leaf: RackbgpHandle; frr: FrrHandle }> {
    const frr = await startFrr(net, 'peer', frrConfig(hardAdminReset));
    const leaf = await startRackbgp(net, 'leaf', LEAF);
    const n = await frr.waitEstablished('10.94.1.1');
    // FRR's view of our GR capability: N both ways, F for IPv4 (fib: false keeps forwarding).
    expect(n.gracefulRestartInfo).toMatchObject({ nBit: true, ipv4Unicast: { fBit: true } });
    await waitFor('route at FRR', async () => (await frrPath(frr)) === 'fresh');
    await waitFor('route at rackbgp', async () => (await leaf.routes('10.12.1.0/24')).length === 1);
    return { leaf, frr };
  }

  it("rackbgp's soft NOTIFICATION (6/6) keeps its route at FRR, stale; its reset goes as Hard Reset and FRR drops it", async () => {
    const { leaf, frr } = await up(true);
    const soft = await leaf.cli(['fault', '10.94.1.12', 'cease', '--subcode', '6', '--for', '3s']);
    expect(soft.code, soft.stderr).toBe(0);
    await waitFor('route stale at FRR', async () => (await frrPath(frr)) === 'stale', 10_000);
    await frr.waitEstablished('10.94.1.1');
    await waitFor('route fresh again at FRR', async () => (await frrPath(frr)) === 'fresh', 20_000);

    const hard = await leaf.cli(['neighbor', 'reset', '10.94.1.12']);
    expect(hard.code, hard.stderr).toBe(0);
    // Sent as Cease/Hard Reset (6/9); FRR dropped the route at once instead of keeping it stale.
    await waitFor(
      'Hard Reset sent',
      async () => (await leaf.neighbor('10.94.1.12'))!.counters.notificationsOut['6/9'] === 1,
    );
    // FRR decodes the encapsulated NOTIFICATION: Administrative Reset, as a Hard Reset. Read from its
    // log: `show bgp neighbors`' last-notification fields are overwritten when the next session
    // comes up or collides, which under load can happen before a poll sees them.
    await waitFor('FRR saw the Hard Reset', async () =>
      readFileSync(frr.log, 'utf8').includes(
        '%NOTIFICATION(Hard Reset): received from neighbor 10.94.1.1 6/4 (Cease/Administrative Reset)',
      ),
    );
    // Dropped at once, not kept stale (it may be back, fresh, from the new session).
    expect(['absent', 'fresh']).toContain(await frrPath(frr));
  });

  it("FRR's soft clear keeps its route at rackbgp, stale; its Hard Reset makes rackbgp drop it", async () => {
    const { leaf, frr } = await up(false);
    await frr.vtysh('clear bgp 10.94.1.1');
    const stale = await waitFor('FRR route stale at rackbgp', async () => {
      const r = await leaf.routes('10.12.1.0/24');
      return r[0]?.paths.some((p) => p.stale) ? r : undefined;
    });
    expect(stale[0].paths).toHaveLength(1);
    await waitFor(
      'FRR route fresh again at rackbgp',
      async () => {
        const r = await leaf.routes('10.12.1.0/24');
        return r.length === 1 && r[0].paths.every((p) => !p.stale);
      },
      20_000,
    );

    await frr.vtysh('configure terminal', 'router bgp 65002', 'bgp hard-administrative-reset');
    const before = (await leaf.neighbor('10.94.1.12'))!.counters.notificationsIn;
    await frr.vtysh('clear bgp 10.94.1.1');
    await waitFor('Hard Reset received', async () => {
      const n = (await leaf.neighbor('10.94.1.12'))!.counters.notificationsIn;
      return JSON.stringify(n) !== JSON.stringify(before) ? n : undefined;
    });
    const r = await leaf.routes('10.12.1.0/24');
    // Dropped at once, not kept stale (it may be back, fresh, from the new session).
    expect(r.every((x) => x.paths.every((p) => !p.stale))).toBe(true);
    expect((await leaf.neighbor('10.94.1.12'))!.counters.notificationsIn).toMatchObject({
      '6/4': 1,
      '6/9': 1,
    });
  });
});
