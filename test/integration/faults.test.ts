/**
 * Faults on command against a real BIRD 2 peer (issue 15 §2), through `rackbgp fault` (CLI → API →
 * daemon): what BIRD reports and does for each kind. One session with hold time 3 s, faulted kind
 * after kind; the session comes back between them. The speaker's kernel FIB is in its namespace.
 * Then the library call, on two in-process speakers on loopback.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FaultError, type FaultEvent, Speaker, validateConfig } from 'rackbgp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIRD2, type BirdHandle, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const missing = requireTools(BIRD2.daemon, BIRD2.client);
const skip = !isRoot() || missing.length > 0;
if (process.env.CI === 'true' && skip)
  throw new Error(`fault tests need root and ${missing.join(', ') || 'BIRD 2'} in CI`);

const SW = '10.99.40.1';
const BIRD = '10.99.40.2';
/** Announced by BIRD (static): in the switch's RIB and, with fib: true, its kernel. */
const BIRD_ROUTE = '10.41.1.0/24';

const birdConfig = `log stderr all;
router id ${BIRD};
protocol device { scan time 2; }
protocol static static4 { ipv4; route ${BIRD_ROUTE} blackhole; }
protocol bgp sw {
  local ${BIRD} as 65040;
  neighbor ${SW} as 65001;
  hold time 3;
  keepalive time 1;
  connect delay time 1;
  connect retry time 1;
  error wait time 1,1;
  debug { states, events, packets };
  ipv4 { import all; export all; };
}
`;

const swConfig = (networks: string[]) => `router-id: ${SW}
asn: 65001
fib: true
networks: [${networks.join(', ')}]
neighbors:
  - { address: ${BIRD}, asn: 65040, hold-time: 3, connect-retry-time: 1, idle-hold-time: 1 }
`;

describe.skipIf(skip)('faults against BIRD 2', () => {
  let net: TestNet;
  let bird: BirdHandle;
  let sw: RackbgpHandle;
  let birdLog: string;

  /** Prefixes BIRD has from the switch. */
  const birdRoutes = async () =>
    [...(await bird.cli('show route protocol sw')).matchAll(/^(\d+\.\d+\.\d+\.\d+\/\d+)/gm)].map((m) => m[1]);
  const fault = async (...args: string[]) => {
    const r = await sw.cli(['fault', ...args]);
    return { ...r, out: r.stdout + r.stderr };
  };
  const faultJson = async (...args: string[]) => {
    const r = await sw.cli(['fault', ...args, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { id: number; kind: string; state: string };
  };
  /** Both sides Established again, BIRD with the switch's routes. */
  const bothUp = async () => {
    await sw.waitState(BIRD, 'Established', 20_000);
    await bird.waitEstablished('sw', 20_000);
    await waitFor('BIRD has the switch routes', async () => (await birdRoutes()).length === 2, 10_000, 100);
  };
  const transitions = async () => (await sw.neighbor(BIRD))?.counters.establishedTransitions ?? 0;
  /** BIRD's log from `offset` on, until it has `re` (BIRD clears `Last error` once the session is back). */
  const birdLogs = (offset: number, re: RegExp, timeoutMs = 10_000) =>
    waitFor(`BIRD logs ${re}`, async () => re.test(logSince(offset)) && logSince(offset), timeoutMs, 50);
  const logSince = (offset: number) => readFileSync(birdLog, 'utf8').slice(offset);
  const logSize = () => readFileSync(birdLog, 'utf8').length;

  beforeAll(async () => {
    net = new TestNet('fault');
    await net.addNode('sw');
    await net.addNode('bird');
    await net.link('sw', 'bird', { a: [`${SW}/24`], b: [`${BIRD}/24`] });
    bird = await startBird(net, 'bird', BIRD2, birdConfig, 'bird2');
    birdLog = join(net.dir, 'bird-bird2.log');
    sw = await startRackbgp(net, 'sw', swConfig(['10.40.1.0/24', '10.40.2.0/24']));
    await bothUp();
  }, 60_000);
  afterEach(async () => {
    // A failed test leaves no fault behind for the next one.
    const left = JSON.parse((await sw.cli(['fault', 'list', '--json'])).stdout) as {
      id: number;
      neighbor: string;
    }[];
    for (const f of left) await sw.cli(['fault', 'cancel', f.neighbor, String(f.id)]);
  });
  afterAll(async () => {
    await net?.destroy();
  });

  it('refuses bad input with exit 2 and the reason', async () => {
    const cases: [string[], RegExp][] = [
      [[BIRD, 'explode'], /unknown fault kind 'explode'/],
      [['10.99.40.9', 'hold'], /no neighbor 10.99.40.9/],
      [[BIRD, 'hold', '--for', '-3s'], /must not be negative/],
      [[BIRD, 'hold', '--after', 'soon'], /not a duration/],
      [[BIRD, 'delay-updates'], /needs a delay/],
    ];
    for (const [args, re] of cases) {
      const r = await fault(...args);
      expect(r.code, r.out).toBe(2);
      expect(r.out).toMatch(re);
    }
    // RFC 8538: rackbgp does not announce the N bit, so no Hard Reset on this session (exit 1: cannot act).
    const hard = await fault(BIRD, 'cease', '--subcode', '9');
    expect(hard.code).toBe(1);
    expect(hard.out).toMatch(/Hard Reset.*N bit/);
    expect((await sw.neighbor(BIRD))?.state).toBe('Established');
  });

  it('drop: BIRD sees the connection closed without a NOTIFICATION; with --for, no session that long', async () => {
    const before = await transitions();
    let offset = logSize();
    const f = await faultJson(BIRD, 'drop');
    expect(f).toMatchObject({ kind: 'drop', state: 'ended' });
    expect(await birdLogs(offset, /sw: Connection closed/)).not.toMatch(/Received:/);
    await bothUp();
    expect(await transitions()).toBe(before + 1);

    // A switch that takes 3 s to come back: BIRD's connection attempts are refused meanwhile.
    offset = logSize();
    const sentBefore = (await sw.neighbor(BIRD))?.counters.notificationsOut;
    const t0 = Date.now();
    const down = await faultJson(BIRD, 'drop', '--for', '3s');
    expect(down.state).toBe('active');
    expect(await birdLogs(offset, /sw: Connection closed/)).not.toMatch(/Received:/);
    const meanwhile = await sw.neighbor(BIRD);
    expect(meanwhile?.state).not.toBe('Established');
    expect(meanwhile?.counters.notificationsOut).toEqual(sentBefore);
    await sw.waitState(BIRD, 'Established', 20_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3_000);
    await bothUp();
  });

  it('cease: BIRD receives Cease with the chosen subcode', async () => {
    const offset = logSize();
    const f = await faultJson(BIRD, 'cease', '--subcode', '4');
    expect(f.kind).toBe('cease');
    // With the RFC 8203 shutdown communication.
    await birdLogs(offset, /<RMT> sw: Received: Administrative reset: "rackbgp fault injection"/);
    expect((await sw.neighbor(BIRD))?.counters.notificationsOut).toMatchObject({ '6/4': 1 });
    await bothUp();
  });

  it("hold: nothing sent, BIRD's hold timer (3 s) expires while the switch still reads", async () => {
    const offset = logSize();
    await faultJson(BIRD, 'hold', '--for', '20s');
    const t0 = Date.now(); // the fault is active once the CLI has its answer
    const log = await birdLogs(offset, /<RMT> sw: Error: Hold timer expired/);
    const elapsed = Date.now() - t0;
    expect(log.split('Hold timer expired')[0]).not.toMatch(/Received:|Connection closed/);
    // BIRD's timer runs 3 s from our last KEEPALIVE, sent at most 0.8 s before the pause.
    expect(elapsed).toBeGreaterThan(1_500);
    expect(elapsed).toBeLessThan(4_500);
    // Still reading: the switch got BIRD's NOTIFICATION (4/0) and the fault ended with the session.
    await waitFor('switch received Hold Timer Expired', async () => {
      const n = await sw.neighbor(BIRD);
      return n?.counters.lastError?.direction === 'received' && n.counters.lastError.code === 4;
    });
    expect(JSON.parse((await sw.cli(['fault', 'list', BIRD, '--json'])).stdout)).toEqual([]);
    await bothUp();
  });

  it('blackhole: neither side hears the other, both hold timers expire', async () => {
    const t0 = Date.now();
    const offset = logSize();
    await faultJson(BIRD, 'blackhole', '--for', '30s');
    await waitFor(
      'the switch sends Hold Timer Expired (into the void)',
      async () => {
        const n = await sw.neighbor(BIRD);
        return n?.counters.lastError?.direction === 'sent' && n.counters.lastError.code === 4;
      },
      10_000,
      100,
    );
    const log = await birdLogs(offset, /<RMT> sw: Error: Hold timer expired/);
    expect(Date.now() - t0).toBeLessThan(8_000);
    // Neither our NOTIFICATION nor a FIN reached BIRD before its own timer ran out.
    expect(log.split('Hold timer expired')[0]).not.toMatch(/Received:|Connection closed/);
    await bothUp();
  });

  it('delay-updates: a new route reaches BIRD only after the delay', async () => {
    const announce = async (networks: string[], prefix: string) => {
      sw.writeConfig(swConfig(networks));
      const t0 = Date.now();
      sw.signal('SIGHUP');
      await waitFor(`BIRD has ${prefix}`, async () => (await birdRoutes()).includes(prefix), 10_000, 50);
      return Date.now() - t0;
    };
    const baseline = await announce(['10.40.1.0/24', '10.40.2.0/24', '10.40.3.0/24'], '10.40.3.0/24');
    await faultJson(BIRD, 'delay-updates', '2s', '--for', '20s');
    const delayed = await announce(
      ['10.40.1.0/24', '10.40.2.0/24', '10.40.3.0/24', '10.40.4.0/24'],
      '10.40.4.0/24',
    );
    expect(baseline).toBeLessThan(1_500);
    expect(delayed).toBeGreaterThanOrEqual(2_000);
    expect(delayed).toBeLessThan(4_500);
    const list = JSON.parse((await sw.cli(['fault', 'list', '--json'])).stdout) as { id: number }[];
    expect(list).toHaveLength(1);
    expect((await fault('cancel', BIRD, String(list[0].id))).code).toBe(0);
    sw.writeConfig(swConfig(['10.40.1.0/24', '10.40.2.0/24']));
    sw.signal('SIGHUP');
    await waitFor('back to two routes', async () => (await birdRoutes()).length === 2, 10_000, 100);
  });

  it('delay-eor: after a reset BIRD gets the routes at once and End-of-RIB 2 s later', async () => {
    await faultJson(BIRD, 'delay-eor', '--delay', '2s', '--for', '30s');
    const offset = logSize();
    expect((await sw.cli(['neighbor', 'reset', BIRD])).code).toBe(0);
    await bothUp();
    // BIRD's log lines carry milliseconds: the first UPDATE of the new session, and End-of-RIB.
    const lines = (await birdLogs(offset, /Got END-OF-RIB/)).split('\n');
    const time = (l: string) => {
      const m = /(\d\d):(\d\d):(\d\d)\.(\d\d\d)/.exec(l);
      return m ? ((+m[1] * 60 + +m[2]) * 60 + +m[3]) * 1000 + +m[4] : Number.NaN;
    };
    const eor = lines.findIndex((l) => /Got END-OF-RIB/.test(l));
    const update = lines.find((l) => /Got UPDATE/.test(l));
    expect(update, logSince(offset)).toBeDefined();
    const gap = time(lines[eor]) - time(update!);
    expect(gap).toBeGreaterThanOrEqual(1_900);
    expect(gap).toBeLessThan(3_000);
    expect(await birdRoutes()).toHaveLength(2);
  });

  it("withdraw-all empties BIRD's table; reannounce fills it again", async () => {
    const before = await transitions();
    const offset = logSize();
    const w = await faultJson(BIRD, 'withdraw-all', '--for', '30s');
    await waitFor('BIRD table empty', async () => (await birdRoutes()).length === 0, 10_000, 100);
    expect((await sw.neighbor(BIRD))?.state).toBe('Established');
    // BIRD got the withdrawals as UPDATEs on a session that stayed up (no NOTIFICATION, no close).
    expect(await birdLogs(offset, /sw: Got UPDATE/)).not.toMatch(/sw: (Received:|Connection closed|Error:)/);
    const r = await faultJson(BIRD, 'reannounce');
    expect(r.id).toBeGreaterThan(w.id);
    await waitFor('BIRD table refilled', async () => (await birdRoutes()).length === 2, 10_000, 100);
    expect(JSON.parse((await sw.cli(['fault', 'list', BIRD, '--json'])).stdout)).toEqual([]);
    expect(await transitions()).toBe(before);
  });

  it('fib-freeze: the kernel keeps the old route while the RIB changes, then reconciles', async () => {
    const before = await transitions();
    const offset = logSize();
    const kernel = () => net.sh('sw', `ip -4 route show ${BIRD_ROUTE}`);
    await waitFor('kernel has the BIRD route', async () => (await kernel()).includes(BIRD), 10_000, 100);
    await faultJson('fib-freeze', '--for', '3s');
    await bird.cli('disable static4');
    await waitFor('RIB lost the route', async () => (await sw.routes(BIRD_ROUTE)).length === 0, 10_000, 100);
    expect(await kernel()).toContain(`via ${BIRD}`); // forwarding keeps the old state
    await waitFor('kernel reconciled to the RIB', async () => (await kernel()).trim() === '', 10_000, 100);
    await bird.cli('enable static4');
    await waitFor('kernel follows again', async () => (await kernel()).includes(BIRD), 10_000, 100);
    // Only the switch's kernel was frozen: BIRD's session never noticed.
    expect(logSince(offset)).not.toMatch(/sw: (Received:|Connection closed|Error:)/);
    expect(await transitions()).toBe(before);
  });
});

describe('faults in the library', () => {
  it('speaker.fault(): a handle with id and cancel, fault events, FaultError on bad input', async () => {
    const nodeConfig = (networks: string[]) => ({
      'router-id': '10.0.0.2',
      asn: 64512,
      fib: false, // in the test's own namespace: never touch its kernel routes
      listen: { address: '127.0.0.2', port: 17971 },
      networks,
      // Loopback next hops are martians (rejected on import): announce a documentation address instead.
      policies: {
        'next-hop': [
          // biome-ignore lint/suspicious/noThenProperty: `then` is the policy term's action, as in the YAML file
          { name: 'doc', then: { action: 'accept' as const, 'next-hop': '192.0.2.2' } },
        ],
      },
      neighbors: [
        {
          address: '127.0.0.1',
          asn: 64512,
          port: 17970,
          'source-address': '127.0.0.2',
          export: ['next-hop'],
        },
      ],
    });
    const rr = Speaker.fromConfig({
      'router-id': '10.0.0.1',
      asn: 64512,
      fib: false,
      listen: { address: '127.0.0.1', port: 17970 },
      neighbors: [
        { address: '127.0.0.2', asn: 64512, port: 17971, 'source-address': '127.0.0.1', passive: true },
      ],
    });
    const node = Speaker.fromConfig(nodeConfig(['10.244.1.0/26']));
    const events: FaultEvent[] = [];
    node.on('fault', (e) => events.push(e));
    try {
      await rr.start();
      await node.start();
      await rr.waitForPrefix('10.244.1.0/26', { timeout: 10_000 });

      const gone = new Promise<string>((r) => rr.once('routeWithdrawn', (w) => r(w.prefix)));
      const h = node.fault('127.0.0.1', { kind: 'withdraw-all' });
      expect(h).toMatchObject({ id: 1, kind: 'withdraw-all', state: 'active', endsAt: null });
      expect(await gone).toBe('10.244.1.0/26');
      expect(h.cancel()).toBe(true);
      await rr.waitForPrefix('10.244.1.0/26', { timeout: 5_000 });

      node.fault('127.0.0.1', { kind: 'delay-updates', delay: '600ms', for: '10s' });
      const t0 = performance.now();
      node.reconfigure(validateConfig(nodeConfig(['10.244.1.0/26', '10.244.2.0/26'])));
      await rr.waitForPrefix('10.244.2.0/26', { timeout: 5_000 });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(590);

      expect(() => node.fault('127.0.0.1', { kind: 'melt' })).toThrow(FaultError);
      expect(() => node.fault('127.0.0.9', { kind: 'hold' })).toThrow(/no neighbor 127.0.0.9/);
      expect(events.map((e) => `${e.id} ${e.kind} ${e.phase}`)).toEqual([
        '1 withdraw-all start',
        '1 withdraw-all end',
        '2 delay-updates start',
      ]);
    } finally {
      await Promise.all([rr.stop(), node.stop()]);
    }
    expect(events.at(-1)).toMatchObject({ id: 2, phase: 'end', detail: 'speaker stopped' });
  });
});

describe('Hard Reset (RFC 8538) where the N bit is negotiated', () => {
  it('cease subcode 9 goes out as Cease/Hard Reset with the encapsulated 6/4; 6/4 stays as asked', async () => {
    const speaker = (id: string, self: string, peer: string, port: number, peerPort: number) =>
      Speaker.fromConfig({
        'router-id': id,
        asn: 64512,
        fib: false, // in the test's own namespace: never touch its kernel routes
        listen: { address: self, port },
        neighbors: [
          {
            address: peer,
            asn: 64512,
            port: peerPort,
            'source-address': self,
            'connect-retry-time': 1,
            'idle-hold-time': 1,
            'graceful-restart': { notification: true },
          },
        ],
      });
    const a = speaker('10.0.0.1', '127.0.0.1', '127.0.0.2', 17972, 17973);
    const b = speaker('10.0.0.2', '127.0.0.2', '127.0.0.1', 17973, 17972);
    const bFrom = async () => b.neighbors().find((n) => n.address === '127.0.0.1')!;
    try {
      await a.start();
      await b.start();
      await a.waitForEstablished('127.0.0.2', { timeout: 10_000 });
      a.fault('127.0.0.2', { kind: 'cease', subcode: 9 });
      await waitFor(
        'B receives Hard Reset',
        async () => (await bFrom()).counters.notificationsIn['6/9'] === 1,
        5_000,
        20,
      );
      expect((await bFrom()).counters.lastError).toMatchObject({
        direction: 'received',
        code: 6,
        subcode: 9,
        data: '0604',
      });
      await a.waitForEstablished('127.0.0.2', { timeout: 10_000 });
      a.fault('127.0.0.2', { kind: 'cease', subcode: 4 });
      await waitFor(
        'B receives 6/4',
        async () => (await bFrom()).counters.notificationsIn['6/4'] === 1,
        5_000,
        20,
      );
      expect((await bFrom()).counters.notificationsIn['6/9']).toBe(1);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
