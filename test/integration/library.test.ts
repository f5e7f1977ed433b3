/**
 * The library API as a user imports it (`from 'rackbgp'`, the built package): two in-process speakers
 * on loopback, typed events, waitForEstablished / waitForPrefix, readable config errors, reload
 * without a file, and stop() giving every socket and timer back (the README's example is
 * library-example.test.ts).
 */
import { ConfigError, type RouteSnapshot, Speaker } from 'rackbgp';
import { afterEach, describe, expect, it } from 'vitest';

const speakers: Speaker[] = [];
afterEach(async () => {
  await Promise.all(speakers.splice(0).map((s) => s.stop()));
});

/** A route reflector on 127.0.0.1 and a "node" on 127.0.0.2 that originates a pod block. */
function pair(base: number, nodeNetworks: string[] = ['10.244.1.0/26']) {
  // fib: false — these speakers run in the test's own (root) namespace: never touch its kernel routes.
  const rr = Speaker.fromConfig({
    'router-id': '10.0.0.1',
    asn: 64512,
    fib: false,
    listen: { address: '127.0.0.1', port: base },
    neighbors: [
      {
        address: '127.0.0.2',
        asn: 64512,
        port: base + 1,
        'source-address': '127.0.0.1',
        passive: true,
        'route-reflector-client': true,
      },
    ],
  });
  const node = Speaker.fromConfig({
    'router-id': '10.0.0.2',
    asn: 64512,
    fib: false,
    listen: { address: '127.0.0.2', port: base + 1 },
    networks: nodeNetworks,
    // Loopback next hops are martians (rejected on import): announce a documentation address instead.
    // biome-ignore lint/suspicious/noThenProperty: `then` is the policy term's action, as in the YAML file
    policies: { 'next-hop': [{ name: 'doc-address', then: { action: 'accept', 'next-hop': '192.0.2.2' } }] },
    neighbors: [
      {
        address: '127.0.0.1',
        asn: 64512,
        port: base,
        'source-address': '127.0.0.2',
        'connect-retry-time': 1,
        export: ['next-hop'],
      },
    ],
  });
  speakers.push(rr, node);
  return { rr, node };
}

describe('rackbgp as a library', () => {
  it('emits typed events: state, End-of-RIB, route added and withdrawn', async () => {
    const { rr, node } = pair(17913);
    const states: string[] = [];
    const eor: string[] = [];
    const added: RouteSnapshot[] = [];
    const withdrawn: string[] = [];
    rr.on('state', (e) => states.push(e.to));
    rr.on('endOfRib', (e) => eor.push(`${e.neighbor} ${e.family}`));
    rr.on('routeAdded', (r) => added.push(r));
    rr.on('routeWithdrawn', (r) => withdrawn.push(r.prefix));
    await rr.start();
    await node.start();
    await rr.waitForPrefix('10.244.1.0/26', { timeout: 10_000 });
    expect(states.at(-1)).toBe('Established');
    expect(states).toContain('OpenConfirm');
    expect(added.map((r) => r.prefix)).toEqual(['10.244.1.0/26']);
    await waitUntil(() => eor.length > 0);
    expect(eor).toEqual(['127.0.0.2 ipv4-unicast']);

    // Reload from an object: the node stops originating the block, the reflector sees it go.
    const report = node.reconfigure(Speaker.fromConfig({ ...nodeConfig(node), networks: [] }).config);
    expect(report.ok).toBe(true);
    expect(report.networks.removed).toEqual(['10.244.1.0/26']);
    await waitUntil(() => withdrawn.length > 0);
    expect(withdrawn).toEqual(['10.244.1.0/26']);
    expect(rr.neighbors()[0].counters.establishedTransitions).toBe(1);
  });

  it('waitForPrefix rejects on timeout naming the neighbors and their states', async () => {
    const { rr } = pair(17915);
    await rr.start();
    await expect(rr.waitForPrefix('10.244.9.0/26', { neighbor: '127.0.0.2', timeout: 200 })).rejects.toThrow(
      /timed out after 200 ms waiting for 10\.244\.9\.0\/26 from 127\.0\.0\.2 \(127\.0\.0\.2 (Idle|Active)\)/,
    );
    await expect(rr.waitForEstablished('127.0.0.2', { timeout: 200 })).rejects.toThrow(
      /127\.0\.0\.2 Established/,
    );
  });

  it('fromConfig validates with the file schema and says what is wrong, key by key', () => {
    const bad = () =>
      Speaker.fromConfig({
        'router-id': '10.0.0.300',
        asn: 65000,
        neighbors: [{ address: '10.0.0.2', asn: 0, colour: 'blue' } as never],
      });
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (e) {
      expect((e as ConfigError).problems).toEqual([
        'router-id: must be an IPv4 address',
        'neighbors[0].asn: must be at least 1, got the number 0',
        "neighbors[0].colour: unknown key 'colour'",
      ]);
    }
  });

  it('stop() releases every socket and timer it made', async () => {
    const before = resourceCounts();
    const { rr, node } = pair(17917);
    await rr.start();
    await node.start();
    await rr.waitForPrefix('10.244.1.0/26', { timeout: 10_000 });
    expect(resourceCounts().TCPSocketWrap ?? 0).toBeGreaterThan(before.TCPSocketWrap ?? 0);
    await Promise.all([node.stop(), rr.stop()]);
    speakers.length = 0;
    // Closed sockets are released by the next turns of the event loop. A timer of the test runner's
    // that was live at the baseline may be gone by now: nothing may be left above the baseline.
    const within = () => Object.entries(resourceCounts()).every(([k, n]) => n <= (before[k] ?? 0));
    await waitUntil(within, 3000).catch(() => {});
    const after = resourceCounts();
    const leaked = Object.entries(after).filter(([k, n]) => n > (before[k] ?? 0));
    expect(leaked, `before ${JSON.stringify(before)} after ${JSON.stringify(after)}`).toEqual([]);
  });
});

/** The node's running config as an input object (what a test would edit). */
function nodeConfig(s: Speaker) {
  return structuredClone(s.config) as Parameters<typeof Speaker.fromConfig>[0];
}

function resourceCounts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

async function waitUntil(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
