/**
 * The routing core alone, in one process (no sockets, no daemons): a generator peer's pre-encoded
 * UPDATEs are decoded and fed to the RoutingEngine turn by turn, as the daemon does, and every sink
 * peer counts the UPDATEs and prefixes it is handed. Measures seconds until every sink holds the
 * table, UPDATEs per sink, distinct UPDATE objects (update groups share them), and retained heap per
 * prefix after a forced GC. The quick loop behind `npm run bench` transit/calico-rr profiles.
 * Decoding is inside the clock (the daemon decodes every UPDATE it reads); sent UPDATEs are counted,
 * not kept, so the retained heap is the engine's.
 *
 *   node --expose-gc dist/bench/core.js [--routes 1000000] [--sinks 1] [--same-as] [--own-subnets] [--multihop]
 *     [--community-every 0] [--journal 0] [--heap-snapshot PREFIX] [--after down | --after touch,gr]
 * `--after` runs phases after the transit (issue 18): `down` the generator's session goes (its table
 * leaves), `gr` it goes with graceful restart (paths kept stale) and then its stale paths are purged,
 * `touch` a next-hop recheck (`--one-turn`: those walks in one turn, as before). Each phase reports
 * its seconds, CPU, the slowest turn (event-loop delay at 1 ms resolution, and the slowest decision
 * turn) and the heap and RSS after it.
 * --heap-snapshot writes PREFIX-before.heapsnapshot and PREFIX-after.heapsnapshot around the run;
 * `node dist/bench/heap-types.js` lists what the second holds more of, per object kind.
 * With --own-subnets each sink has its own session address (next hop self differs per sink); eBGP
 * one hop away that makes a group per sink (third-party next hops), with --multihop one group.
 * `flushSeconds` is the time in decision and export (the rest is decoding and import).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { Journal } from '../src/core/journal.js';
import { PrefixHistory } from '../src/core/prefix-history.js';
import { RoutingEngine } from '../src/core/routing.js';
import type { PeerInfo } from '../src/rib/types.js';
import { RealClock } from '../src/util/clock.js';
import {
  AsPathSegmentType,
  decodeMessage,
  IPV4_UNICAST,
  NlriList,
  Origin,
  packAnnouncements,
  type SessionParams,
  type UpdateMessage,
} from '../src/wire/index.js';
import { groupCommunity } from './harness/streams.js';

const { values } = parseArgs({
  options: {
    routes: { type: 'string', default: '1000000' },
    sinks: { type: 'string', default: '1' },
    'same-as': { type: 'boolean', default: false },
    'own-subnets': { type: 'boolean', default: false },
    multihop: { type: 'boolean', default: false },
    'community-every': { type: 'string', default: '0' },
    /** Event journal size (0: none), wired as the daemon wires it (src/core/prefix-history.ts). */
    journal: { type: 'string', default: '0' },
    after: { type: 'string', default: '' },
    /** RoutingOptions.flushChunk (destinations decided per turn; walks visit 2×). */
    'flush-chunk': { type: 'string', default: '' },
    /** UPDATEs fed per turn (a 128 KiB read of 4 KiB UPDATEs is 32). */
    feed: { type: 'string', default: '16' },
    /** The walks of `--after` as before issue 18's chunking: the whole table in one turn. */
    'one-turn': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'heap-snapshot': { type: 'string' },
  },
});
const routes = Number(values.routes);
const sinks = Number(values.sinks);
const communityEvery = Number(values['community-every']);

const params = (peerAsn: number): SessionParams => ({
  localAsn: 65000,
  peerAsn,
  peerRouterId: '192.0.2.9',
  holdTime: 90,
  families: [IPV4_UNICAST],
  extendedMessage: false,
  maxMessageLength: 4096,
  routeRefresh: true,
  enhancedRouteRefresh: false,
  extendedNextHop: [],
  peerGracefulRestart: null,
  localGracefulRestart: false,
  peerLongLivedGr: new Map(),
  fourOctetAs: true,
  addPathRx: new Set(),
  addPathTx: new Set(),
});

const peer = (id: number, asn: number): PeerInfo => ({
  id,
  address: `10.${id >> 8}.${id & 255}.2`,
  asn,
  routerId: `10.${id >> 8}.${id & 255}.2`,
  routerIdNum: id,
  ibgp: asn === 65000,
  rrClient: false,
  localAddress4: values['own-subnets'] ? `10.${id >> 8}.${id & 255}.1` : '10.0.0.1',
  directlyConnected: !values.multihop,
});

/** The generator's table: N /24s from 16.0.0.0 in 4096-octet UPDATEs (a community per `every` prefixes). */
function generatorUpdates(): Uint8Array[] {
  const ctx = params(65001);
  const wire: Uint8Array[] = [];
  const per = communityEvery > 0 ? communityEvery : routes;
  for (let start = 0; start < routes; start += per) {
    const n = Math.min(per, routes - start);
    const bytes = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      const a = 0x10000000 + (start + i) * 256;
      bytes.set([24, a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255], i * 4);
    }
    const attrs = {
      origin: Origin.IGP,
      asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65001] }],
      nextHop: '10.0.0.2',
      // Distinct for every group, as the harness's transit-community (no wrap at 65,536 groups).
      ...(communityEvery > 0 && { communities: [groupCommunity(start / per)] }),
    };
    wire.push(
      ...packAnnouncements(attrs, NlriList.fromCanonical(1, false, bytes, n), IPV4_UNICAST, ctx, 4096)
        .messages,
    );
  }
  return wire;
}

const fromGenerator = params(65001);

/** Decodes one UPDATE as the session does (received from the generator). */
function decodeUpdate(w: Uint8Array): UpdateMessage {
  const r = decodeMessage(w, fromGenerator, 4096);
  if (!r.ok || r.message.type !== 'update') throw new Error('bad generated UPDATE');
  return r.message as UpdateMessage;
}

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};

async function main(): Promise<void> {
  const updates = generatorUpdates();
  let flushSeconds = 0;
  let slowestFlush = 0;
  const engine = new RoutingEngine({
    local: { asn: 65000, routerId: '10.0.0.1', clusterId: '10.0.0.1' },
    decision: { alwaysCompareMed: false, maximumPaths: 1, multipathRelax: false },
    ...(values['flush-chunk'] && { flushChunk: Number(values['flush-chunk']) }),
    onFlush: (s) => {
      flushSeconds += s;
      slowestFlush = Math.max(slowestFlush, s);
    },
  });
  const journalSize = Number(values.journal);
  const journal = journalSize
    ? new Journal({ size: journalSize, clock: new RealClock(), origin: performance.timeOrigin })
    : undefined;
  const history = journal && new PrefixHistory({ journal, lookup: (f, k) => engine.rib.get(f, k) });
  if (history) engine.onChange((dests) => history.decided(dests));
  const gen = peer(1, 65001);
  const received = new Array<number>(sinks).fill(0);
  const messages = new Array<number>(sinks).fill(0);
  const withdrawn = new Array<number>(sinks).fill(0);
  let allWithdrawn: () => void = () => {};
  /** UPDATE objects seen (shared ones once), not kept alive by the count. */
  const seen = new WeakSet<Uint8Array>();
  let distinct = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  let complete = 0;
  const opts = { export: { nextHopSelf: false, nextHopKeep: false }, import: { allowasIn: 0 } };
  engine.peerUp(gen, params(65001), { sendUpdates: () => {}, sendEndOfRib: () => {} }, opts);
  for (let s = 0; s < sinks; s++) {
    const asn = values['same-as'] ? 65002 : 65002 + s;
    engine.peerUp(
      peer(2 + s, asn),
      params(asn),
      {
        sendUpdates: (ms) => {
          for (const m of ms) {
            // One sink: every UPDATE is its own (a 250k-entry WeakSet would be GC work of the bench's).
            if (sinks === 1) distinct++;
            else if (!seen.has(m)) {
              seen.add(m);
              distinct++;
            }
            messages[s]++;
            // NLRI count of a plain IPv4 UPDATE of /24s: (length - 23 - withdrawn - attributes) / 4.
            const wl = (m[19] << 8) | m[20];
            const al = (m[21 + wl] << 8) | m[22 + wl];
            received[s] += (m.length - 23 - wl - al) / 4;
            withdrawn[s] += wl / 4;
          }
          if (received[s] === routes && ++complete === sinks) done();
          if (withdrawn.every((w) => w >= routes)) allWithdrawn();
        },
        sendEndOfRib: () => {},
      },
      opts,
    );
  }
  await new Promise((r) => setImmediate(r));
  const snapshot = values['heap-snapshot'];
  if (snapshot) writeHeapSnapshot(`${snapshot}-before.heapsnapshot`);
  const before = heap();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // One socket read's worth of UPDATEs per turn, as the daemon gets them.
  let i = 0;
  const feedPerTurn = Number(values.feed);
  const feed = () => {
    for (let n = 0; n < feedPerTurn && i < updates.length; n++)
      engine.receiveUpdate(gen, decodeUpdate(updates[i++]));
    if (i < updates.length) setImmediate(feed);
  };
  feed();
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const after = heap();
  if (snapshot) writeHeapSnapshot(`${snapshot}-after.heapsnapshot`);
  const result = {
    routes,
    sinks,
    seconds: Number(seconds.toFixed(3)),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
    flushSeconds: Number(flushSeconds.toFixed(3)),
    updatesPerSink: messages[0],
    distinctBuffers: distinct,
    retainedBytesPerPrefix: Math.round((after - before) / routes),
    heapMiB: Math.round(after / 2 ** 20),
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
    maxLoopDelayMs: Math.round(delay.max / 1e6),
    slowestFlushMs: Math.round(slowestFlush * 1000),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    ...(journal && { journal: journal.stats(), journalRecords: history?.totals().records }),
  };
  console.log(values.json ? JSON.stringify(result) : result);
  const turn = () => new Promise((r) => setImmediate(r));
  const idle = async () => {
    while (engine.rib.flushing || engine.rib.dirtyCount) await turn();
  };
  const gone = () =>
    new Promise<void>((r) => {
      allWithdrawn = r;
    });
  const phases: Record<string, () => Promise<void>> = {
    down: async () => {
      const w = gone();
      engine.peerDown(gen);
      await w;
    },
    gr: async () => {
      if (oneTurn) timed(() => engine.rib.markStale(gen)); // the engine's walk then finds nothing to mark
      engine.peerDown(gen, true);
      await idle();
      const w = gone();
      if (oneTurn) timed(() => engine.rib.flushPeer(gen, true));
      engine.purgeStale(gen);
      await w;
    },
    touch: async () => {
      if (oneTurn) timed(() => engine.rib.touchAll());
      engine.recheckNextHops();
      await idle();
    },
  };
  const oneTurn = values['one-turn'];
  let oneTurnMs = 0;
  const timed = (fn: () => void) => {
    const t = performance.now();
    fn();
    oneTurnMs = Math.max(oneTurnMs, performance.now() - t);
  };
  for (const name of values.after ? values.after.split(',') : []) {
    const run = phases[name];
    if (!run) throw new Error(`--after ${name}: one of ${Object.keys(phases).join(', ')}`);
    slowestFlush = 0;
    oneTurnMs = 0;
    delay.reset();
    const p0 = performance.now();
    const c0 = process.cpuUsage();
    await run();
    const c = process.cpuUsage(c0);
    const phase = {
      phase: name,
      seconds: Number(((performance.now() - p0) / 1000).toFixed(3)),
      cpuSeconds: Number(((c.user + c.system) / 1e6).toFixed(3)),
      maxLoopDelayMs: Math.round(delay.max / 1e6),
      slowestFlushMs: Math.round(slowestFlush * 1000),
      ...(oneTurn && { oneTurnWalkMs: Math.round(oneTurnMs) }),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      heapMiB: Math.round(heap() / 2 ** 20),
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
      ...(journal && { journal: journal.stats(), journalRecords: history?.totals().records }),
    };
    console.log(values.json ? JSON.stringify(phase) : phase);
  }
}

await main();
