import { readFileSync } from 'node:fs';
import { type JournalEvent as LibraryEvent, Speaker } from 'rackbgp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/core/journal.js';
import type { PrefixSummary } from '../../src/core/prefix-history.js';
import { renderBirdConfig } from '../../src/lab/calico-bird.js';
import { BIRD1, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { findPid } from './support/procs.js';
import { CLI, type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const skip = !isRoot() || requireTools(BIRD1.daemon, BIRD1.client).length > 0;
const NODE = '10.98.1.11';
const BLOCK = '10.244.1.0/26';
const PROTOCOL = 'Global_10_98_1_1';

describe.skipIf(skip)('event journal', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('jrnl');
    await net.addNode('leaf');
    await net.addNode('node1');
    await net.link('leaf', 'node1', { a: ['10.98.1.1/24'], b: [`${NODE}/24`] });
    await net.sh('node1', `ip route add blackhole ${BLOCK}`);
  });
  afterEach(async () => {
    await net.destroy();
  });

  const events = async (leaf: RackbgpHandle, args: string[] = []) => {
    const r = await leaf.cli(['events', '--json', ...args]);
    if (r.code !== 0) throw new Error(`rackbgp events: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { events: JournalEvent[] }).events;
  };
  const waitEvent = (
    leaf: RackbgpHandle,
    what: string,
    find: (e: JournalEvent) => boolean,
    args: string[] = [],
  ) => waitFor(what, async () => (await events(leaf, args)).find(find), 30_000);

  it('journals sessions, End-of-RIB, route and FIB events with causes; history and SSE', async () => {
    const config = renderBirdConfig({
      name: 'node1',
      family: 4,
      ip: NODE,
      routerId: NODE,
      asn: 64512,
      pools: ['10.244.0.0/16'],
      peers: [{ ip: '10.98.1.1', asn: 65001 }],
    });
    const leaf = await startRackbgp(
      net,
      'leaf',
      `router-id: 10.98.1.1
asn: 65001
fib: true
neighbors: [{ address: ${NODE}, asn: 64512, passive: true }]
`,
    );
    // A follower from seq 1 started before anything happened: it must see every event, the first included.
    const follower = net.spawn('leaf', 'events-follow', process.execPath, [
      CLI,
      'events',
      '--follow',
      '--json',
      '--since',
      '1',
      '--api',
      '127.0.0.1:50179',
    ]);
    const bird = await startBird(net, 'node1', BIRD1, config, 'bird');
    await bird.waitEstablished(PROTOCOL);

    const up = await waitEvent(leaf, 'session-up', (e) => e.type === 'session-up' && e.peer === NODE);
    expect(up).toMatchObject({
      peerAs: 64512,
      routerId: NODE,
      capabilities: { families: ['ipv4-unicast'], fourOctetAs: true, gracefulRestart: { helper: true } },
    });
    const announce = await waitEvent(
      leaf,
      'route-announce',
      (e) => e.type === 'route-announce' && e.prefix === BLOCK,
    );
    expect(announce).toMatchObject({ peer: NODE, before: [], after: [{ peer: NODE, nextHop: NODE }] });
    await waitEvent(
      leaf,
      'End-of-RIB from BIRD',
      (e) => e.type === 'eor-received' && e.family === 'ipv4-unicast',
    );
    await waitEvent(leaf, 'End-of-RIB to BIRD', (e) => e.type === 'eor-sent' && e.peer === NODE);
    const installed = await waitEvent(
      leaf,
      'fib-install',
      (e) => e.type === 'fib-install' && e.prefix === BLOCK,
    );
    expect(installed.nextHops).toEqual([expect.objectContaining({ via: NODE })]);
    expect(installed.seq).toBeGreaterThan(announce.seq);

    // BIRD shuts the session down: Cease/Administrative Shutdown; no graceful restart after a NOTIFICATION.
    await bird.cli(`disable ${PROTOCOL}`);
    const down = await waitEvent(leaf, 'session-down', (e) => e.type === 'session-down');
    expect(down).toMatchObject({
      peer: NODE,
      cause: 'notification-received',
      notification: { code: 6, subcode: 2 },
    });
    const skipped = await waitEvent(leaf, 'gr-helper-end', (e) => e.type === 'gr-helper-end');
    expect(skipped).toMatchObject({
      outcome: 'routes not kept',
      why: expect.stringContaining('NOTIFICATION'),
    });
    const withdrawn = await waitEvent(
      leaf,
      'route-withdraw',
      (e) => e.type === 'route-withdraw' && e.prefix === BLOCK,
    );
    expect(withdrawn).toMatchObject({ cause: 'withdrawn', before: [{ nextHop: NODE }], after: [] });
    await waitEvent(leaf, 'fib-remove', (e) => e.type === 'fib-remove' && e.prefix === BLOCK);

    await bird.cli(`enable ${PROTOCOL}`);
    await waitEvent(leaf, 'fib-install again', (e) => e.type === 'fib-install' && e.seq > withdrawn.seq);

    // The prefix's history: one flap, an ended no-best and no-fib outage with their lengths.
    const h = await leaf.cli(['show', 'history', BLOCK, '--json']);
    expect(h.code).toBe(0);
    const history = JSON.parse(h.stdout) as PrefixSummary;
    expect(history).toMatchObject({ prefix: BLOCK, flaps: 1, outageCount: 2 });
    const kinds = history.outages.map((o) => o.kind).sort();
    expect(kinds).toEqual(['no-best', 'no-fib']);
    for (const o of history.outages) {
      expect(o.end).not.toBeNull();
      expect(o.ms).toBeGreaterThan(0);
    }
    const text = await leaf.cli(['show', 'history', BLOCK]);
    expect(text.stdout).toMatch(/flaps 1 \(best path lost\)/);
    expect(text.stdout).toMatch(/no-best +\S+ -> \S+ +[\d.]+ ms/);

    // Filters: by type and prefix; text output has one line per event.
    const onlyBlock = await events(leaf, ['--prefix', BLOCK]);
    expect(onlyBlock.length).toBeGreaterThanOrEqual(6);
    expect(onlyBlock.every((e) => e.prefix === BLOCK)).toBe(true);
    const downs = await events(leaf, ['--type', 'session-down', '--peer', NODE]);
    expect(downs.map((e) => e.type)).toEqual(['session-down']);
    const lines = await leaf.cli(['events', '--type', 'session-down']);
    expect(lines.stdout).toMatch(/#\d+ session-down 10\.98\.1\.11 {2}notification-received 6\/2/);
    const bad = await leaf.cli(['events', '--prefix', 'nonsense']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a prefix/);

    // A crash (no NOTIFICATION): the TCP session is lost and the helper keeps the paths stale.
    await bird.waitEstablished(PROTOCOL);
    process.kill(await findPid(net, 'node1', /^\/usr\/sbin\/bird /), 'SIGKILL');
    const lost = await waitEvent(
      leaf,
      'second session-down',
      (e) => e.type === 'session-down' && e.seq > down.seq,
    );
    expect(lost.cause).toBe('tcp-reset');
    const kept = await waitEvent(leaf, 'gr-helper-start', (e) => e.type === 'gr-helper-start');
    expect(kept).toMatchObject({
      outcome: 'kept stale',
      families: ['ipv4-unicast'],
      stalePaths: { 'ipv4-unicast': 1 },
    });
    await waitEvent(leaf, 'route-stale', (e) => e.type === 'route-stale' && e.prefix === BLOCK);

    // BIRD back in graceful-restart recovery (-R): its End-of-RIB ends the helper; the stale path
    // is replaced by the fresh one (same neighbor, same next hop).
    const restarted = await startBird(net, 'node1', BIRD1, config, 'bird-restarted', ['-R']);
    await restarted.waitEstablished(PROTOCOL);
    const ended = await waitEvent(
      leaf,
      'gr-helper-end after End-of-RIB',
      (e) => e.type === 'gr-helper-end' && e.seq > kept.seq,
    );
    expect(ended).toMatchObject({
      outcome: 'stale paths purged, helper done',
      families: ['ipv4-unicast'],
      why: 'End-of-RIB',
    });
    const fresh = await waitEvent(
      leaf,
      'route-replace',
      (e) => e.type === 'route-replace' && e.prefix === BLOCK,
    );
    expect(fresh).toMatchObject({ before: [{ nextHop: NODE }], after: [{ nextHop: NODE }] });

    // The SSE follower started at seq 1 saw everything, in order, without a gap.
    const all = await events(leaf);
    const seen = await waitFor(
      'follower caught up',
      async () => {
        const got = readFileSync(follower.log, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as JournalEvent);
        return got.length >= all.length ? got : undefined;
      },
      15_000,
    );
    expect(seen[0].seq).toBe(1);
    expect(seen.slice(0, all.length).map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    await net.kill(follower.child);

    // The stream's wire format, replayed from the session-down event.
    const script = `
      const res = await fetch('http://127.0.0.1:50179/api/events/stream?since=${down.seq}');
      const reader = res.body.getReader(); let text = '';
      while (!text.includes('id: ${down.seq + 1}\\n')) text += new TextDecoder().decode((await reader.read()).value);
      process.stdout.write(res.headers.get('content-type') + '\\n' + text); process.exit(0);`;
    const sse = await net.exec('leaf', process.execPath, ['--input-type=module', '-e', script]);
    expect(sse.code).toBe(0);
    expect(sse.stdout).toMatch(/^text\/event-stream/);
    expect(sse.stdout).toContain(`id: ${down.seq}\nevent: session-down\ndata: {"seq":${down.seq},`);

    // Metrics of bounded cardinality: per neighbor and per cause.
    const metrics = await net.exec('leaf', process.execPath, [
      '-e',
      "fetch('http://127.0.0.1:9179/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))",
    ]);
    expect(metrics.stdout).toMatch(
      new RegExp(`bgp_peer_session_losses_total\\{peer="${NODE}",cause="notification-received"\\} 1`),
    );
    expect(metrics.stdout).toMatch(/rackbgp_journal_events_total \d+/);
    expect(metrics.stdout).toMatch(/bgp_prefix_outage_seconds_total\{kind="no-best"\} [\d.e-]+/);
  });
});

describe('event journal in the library', () => {
  it('events() replays then follows; waitFor() resolves, or rejects with the recent journal', async () => {
    // fib: false: in-process speakers share the test runner's namespace; its kernel stays alone.
    const rr = Speaker.fromConfig({
      'router-id': '10.0.0.1',
      asn: 64512,
      fib: false,
      listen: { address: '127.0.0.1', port: 17941 },
      neighbors: [
        { address: '127.0.0.2', asn: 64512, port: 17942, 'source-address': '127.0.0.1', passive: true },
      ],
    });
    const node = Speaker.fromConfig({
      'router-id': '10.0.0.2',
      asn: 64512,
      fib: false,
      journal: { size: 0 },
      listen: { address: '127.0.0.2', port: 17942 },
      networks: ['10.244.1.0/26'],
      // Loopback next hops are martians: announce a documentation address instead.
      // biome-ignore lint/suspicious/noThenProperty: `then` is the policy term's action, as in the YAML file
      policies: { nh: [{ name: 'doc', then: { action: 'accept', 'next-hop': '192.0.2.2' } }] },
      neighbors: [
        {
          address: '127.0.0.1',
          asn: 64512,
          port: 17941,
          'source-address': '127.0.0.2',
          'connect-retry-time': 1,
          export: ['nh'],
        },
      ],
    });
    try {
      const up = rr.waitFor((e) => e.type === 'session-up', { timeout: 10_000 });
      await rr.start();
      await node.start();
      expect(await up).toMatchObject({ peer: '127.0.0.2', peerAs: 64512 });
      const announced = await rr.waitFor((e) => e.type === 'route-announce' && e.prefix === '10.244.1.0/26', {
        since: 1,
        timeout: 10_000,
      });
      expect(announced.after).toEqual([{ peer: '127.0.0.2', nextHop: '192.0.2.2' }]);

      const seen: LibraryEvent[] = [];
      const iterator = rr.events({ since: 1 });
      for await (const e of iterator) {
        seen.push(e);
        if (e.type === 'session-down') break;
        if (e.seq === announced.seq) await node.stop('maintenance');
      }
      expect(seen[0].seq).toBe(1);
      expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
      expect(seen.at(-1)).toMatchObject({
        peer: '127.0.0.2',
        cause: 'notification-received',
        notification: { code: 6, subcode: 2, communication: 'maintenance' },
      });

      const timedOut = await rr
        .waitFor(() => false, { timeout: 300 })
        .catch((e: Error & { events: LibraryEvent[] }) => e);
      expect(timedOut).toBeInstanceOf(Error);
      expect((timedOut as Error).message).toMatch(
        /timed out after 300 ms waiting for a journal event; the last \d+:/,
      );
      expect((timedOut as Error).message).toContain('session-down 127.0.0.2');
      expect((timedOut as { events: LibraryEvent[] }).events.length).toBeGreaterThan(0);
      expect(() => node.events()).toThrow(/the event journal is off/);
    } finally {
      await Promise.all([rr.stop(), node.stop()]);
    }
  });
});
