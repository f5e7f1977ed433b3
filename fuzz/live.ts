/**
 * Live fuzzing (issue 8): rackbgp in namespace `dut` holds an eBGP session with BIRD 2 (`bird`,
 * announcing `birdRoutes` /24s) and a listen range for the fuzzers (`fuzz`, one source address per
 * worker, iBGP). The workers (worker.ts) send at least `messages` mutated and random messages;
 * before and after, rackbgp's heap is sampled after a full GC, and the BIRD session must still be
 * the same Established session (no new transition, on either side) with every route in place.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { BirdCtl, protocolStats } from '../bench/harness/birdctl.js';
import { BIN, built } from '../bench/harness/duts.js';
import { BenchNet, waitFor } from '../bench/harness/netns.js';
import { type ProcessSample, SoakDut } from '../bench/soak/rackbgp.js';
import type { FuzzTotals } from './worker.js';

export interface LiveOptions {
  readonly messages: number;
  readonly workers: number;
  readonly birdRoutes: number;
  readonly seed: number;
  readonly log: (line: string) => void;
}

export interface BirdView {
  readonly state: string;
  readonly transitions: number;
  readonly prefixesReceived: number;
  readonly birdEstablished: boolean;
  readonly birdSince: string;
}

export interface LiveResult {
  readonly options: Omit<LiveOptions, 'log'>;
  readonly totals: FuzzTotals & { fatal?: string };
  readonly messagesPerSecond: number;
  readonly before: ProcessSample;
  readonly after: ProcessSample;
  readonly birdBefore: BirdView;
  readonly birdAfter: BirdView;
  readonly rackbgpAlive: boolean;
  readonly ok: boolean;
}

const WORKER = built('fuzz/worker.js');
/** The capture fixtures, from source (fuzz/) or from the build (dist/fuzz/). */
const CORPUS = resolve(
  import.meta.dirname,
  import.meta.filename.endsWith('.ts') ? '..' : '../..',
  'test/fixtures/captures',
);
const ASN = 65000;

interface NeighborJson {
  state: string;
  prefixesReceived: number;
  counters: { establishedTransitions: number };
}

export async function fuzzLive(o: LiveOptions): Promise<LiveResult> {
  const net = new BenchNet('fuzz');
  try {
    await net.addNode('dut');
    await net.addNode('bird');
    await net.addNode('fuzz');
    await net.link('dut', 'eth0', '10.77.0.1/24', 'bird', 'eth0', '10.77.0.2/24');
    await net.link('dut', 'eth1', '10.78.0.1/16', 'fuzz', 'eth0', '10.78.1.1/16');
    const sources = Array.from({ length: o.workers }, (_, i) => `10.78.1.${i + 1}`);
    for (const a of sources.slice(1))
      await net.ip(['-n', net.ns('fuzz'), 'addr', 'add', `${a}/16`, 'dev', 'eth0']);
    // The API listens on 10.77.0.1 (dut's other link): the workers reach it through dut's eth1.
    await net.ip(['-n', net.ns('fuzz'), 'route', 'add', '10.77.0.0/24', 'via', '10.78.0.1']);

    const birdConf = join(net.dir, 'bird.conf');
    const ctlPath = join(net.dir, 'bird.ctl');
    const routes = Array.from(
      { length: o.birdRoutes },
      (_, i) => `  route 10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 blackhole;`,
    );
    writeFileSync(
      birdConf,
      `log stderr { warning, error, fatal, bug };
router id 10.77.0.2;
protocol device { scan time 10; }
protocol static announced { ipv4; ${'\n'}${routes.join('\n')}
}
protocol bgp rackbgp {
  local 10.77.0.2 as 65010;
  neighbor 10.77.0.1 as ${ASN};
  hold time 9;
  ipv4 { import all; export where proto = "announced"; };
}
`,
    );
    net.spawn('bird', 'bird2', BIN.bird2, ['-f', '-c', birdConf, '-s', ctlPath]);
    const dut = await SoakDut.start(
      net,
      'dut',
      'bird',
      '10.77.0.1',
      `router-id: 10.77.0.1
asn: ${ASN}
listen: { address: 0.0.0.0, port: 179 }
fib: false
neighbors:
  - { address: 10.77.0.2, asn: 65010, hold-time: 9 }
listen-ranges:
  - { prefix: 10.78.1.0/24, asn: ${ASN}, limit: 256, families: [ipv4-unicast, ipv6-unicast] }
`,
    );
    const ctl = await waitFor('BIRD control socket', () => BirdCtl.open(ctlPath), 15_000, 100);
    const birdView = async (): Promise<BirdView> => {
      const n = await dut.get<NeighborJson>('/api/neighbors/10.77.0.2');
      const text = await ctl.cmd('show protocols rackbgp');
      const stats = await protocolStats(ctl, 'rackbgp');
      return {
        state: n.state,
        transitions: n.counters.establishedTransitions,
        prefixesReceived: n.prefixesReceived,
        birdEstablished: stats.established,
        birdSince: /rackbgp\s+BGP\s+\S+\s+\S+\s+(\S+)/.exec(text)?.[1] ?? '?',
      };
    };
    await waitFor(
      `BIRD's ${o.birdRoutes} routes at rackbgp`,
      async () => {
        const v = await birdView();
        return v.state === 'Established' && v.prefixesReceived === o.birdRoutes ? v : undefined;
      },
      60_000,
      200,
    );
    const birdBefore = await birdView();
    const before = await dut.sample();
    o.log(`before: ${JSON.stringify(before)}; BIRD ${JSON.stringify(birdBefore)}`);

    const w = net.spawn(
      'fuzz',
      'worker',
      process.execPath,
      [
        WORKER,
        '--target',
        '10.78.0.1',
        '--sources',
        sources.join(','),
        '--messages',
        String(o.messages),
        '--asn',
        String(ASN),
        '--speaker-id',
        '10.77.0.1',
        '--seed',
        String(o.seed),
        '--corpus',
        CORPUS,
        '--api',
        'http://10.77.0.1:50179',
      ],
      true,
    );
    const totals = await new Promise<FuzzTotals & { fatal?: string }>((res, rej) => {
      let last: (FuzzTotals & { fatal?: string }) | undefined;
      createInterface({ input: w.child.stdout! }).on('line', (l) => {
        const j = JSON.parse(l);
        if ('progress' in j) o.log(`  ${j.progress} messages, ${j.sessions} sessions`);
        else last = j;
      });
      w.child.once('exit', (code) =>
        last
          ? res(last)
          : rej(new Error(`fuzz worker exited ${code}: ${readFileSync(w.log, 'utf8').slice(-2000)}`)),
      );
    });
    o.log(`worker: ${totals.messages} messages in ${totals.seconds.toFixed(1)} s`);
    const rackbgpAlive = w.child.exitCode !== null && dut.proc.child.exitCode === null;
    // The fuzz sessions are all gone before the second sample.
    await waitFor(
      'the fuzz neighbors to go',
      async () => ((await dut.get<unknown[]>('/api/neighbors')).length === 1 ? true : undefined),
      30_000,
      100,
    );
    const after = await dut.sample();
    const birdAfter = await birdView();
    ctl.close();
    o.log(`after: ${JSON.stringify(after)}; BIRD ${JSON.stringify(birdAfter)}`);
    const ok =
      rackbgpAlive &&
      !totals.fatal &&
      totals.mismatchCount === 0 &&
      totals.withdrawProbes.failed.length === 0 &&
      totals.withdrawProbes.passed > 0 &&
      totals.messages >= o.messages &&
      birdAfter.state === 'Established' &&
      birdAfter.birdEstablished &&
      birdAfter.transitions === birdBefore.transitions &&
      sameMoment(birdAfter.birdSince, birdBefore.birdSince) &&
      birdAfter.prefixesReceived === o.birdRoutes;
    return {
      options: { messages: o.messages, workers: o.workers, birdRoutes: o.birdRoutes, seed: o.seed },
      totals,
      messagesPerSecond: totals.messages / totals.seconds,
      before,
      after,
      birdBefore,
      birdAfter,
      rackbgpAlive,
      ok,
    };
  } finally {
    await net.destroy(!!process.env.KEEP_FUZZ_DIR);
  }
}

/** BIRD's "since" (HH:MM:SS.mmm) of one state: printed again it may differ by a rounding millisecond. */
function sameMoment(a: string, b: string): boolean {
  const ms = (t: string) => {
    const m = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(t);
    return m ? (Number(m[1]) * 60 + Number(m[2])) * 60_000 + Number(m[3]) * 1000 : Number.NaN;
  };
  return Math.abs(ms(a) - ms(b)) <= 5;
}

const MiB = (x: number) => x.toFixed(1);

export function liveReport(r: LiveResult): string[] {
  const t = r.totals;
  const sorted = (m: Record<string, number>) =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  return [
    `Live fuzz: ${t.messages} messages in ${t.sessions} sessions, ${t.seconds.toFixed(1)} s (${Math.round(r.messagesPerSecond)}/s), ${r.options.workers} workers, seed ${r.options.seed}, corpus ${t.corpus} captured UPDATEs`,
    `  outcomes: ${sorted(t.byOutcome)}`,
    `  UPDATEs that kept the session (RFC 7606 action): ${sorted(t.byAction)}`,
    `  cases: ${sorted(t.byKind)}`,
    `  treat-as-withdraw probes (announce, malformed re-announce, gone from the RIB): ${t.withdrawProbes.passed} passed, ${t.withdrawProbes.failed.length} failed${t.withdrawProbes.failed.length ? ` (${t.withdrawProbes.failed[0]})` : ''}`,
    `  refused and retried: ${t.refused}; mismatches with the oracle: ${t.mismatchCount}${t.fatal ? `; fatal: ${t.fatal}` : ''}`,
    `  BIRD session: ${r.birdBefore.state} (${r.birdBefore.prefixesReceived} routes, ${r.birdBefore.transitions} transition) → ${r.birdAfter.state} (${r.birdAfter.prefixesReceived} routes, ${r.birdAfter.transitions} transition); BIRD since ${r.birdBefore.birdSince} → ${r.birdAfter.birdSince}`,
    `  rackbgp alive: ${r.rackbgpAlive}; after full GC: heap ${MiB(r.before.heapUsedMiB)} → ${MiB(r.after.heapUsedMiB)} MiB, RSS ${MiB(r.before.rssMiB)} → ${MiB(r.after.rssMiB)} MiB, handles ${r.before.activeHandles} → ${r.after.activeHandles}, fds ${r.before.openFds} → ${r.after.openFds}`,
    ...t.mismatches
      .slice(0, 5)
      .map(
        (m) =>
          `  MISMATCH in ${m.state}: allowed ${m.allowed.join('|')}, got ${m.got}: ${m.hex.slice(0, 400)}`,
      ),
    r.ok ? '  PASS' : '  FAIL',
  ];
}
