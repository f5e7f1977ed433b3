/**
 * Scenario "transit" (and "transit-community"): generator (AS 65001) → DUT (AS 65000) → sink (BIRD 2,
 * AS 65002), eBGP both ways, N unique IPv4 /24s with one attribute set, or with a distinct community
 * every 4 prefixes. The DUT↔sink session is Established first; the clock runs from the generator's
 * Established until the sink's "Routes: N imported". `transitRun` also drives the churn scenario.
 */
import { join } from 'node:path';
import { BirdCtl, protocolStats } from '../harness/birdctl.js';
import { monoToReal, SinkCapture, type UpdateCount } from '../harness/capture.js';
import type { DutSpec } from '../harness/configs.js';
import { BIN, type DutName, maxLoopDelay, type RunningDut, startBird, startDut } from '../harness/duts.js';
import { BenchNet, nowMs } from '../harness/netns.js';
import { sumCpu, sumPeakRss } from '../harness/proc.js';
import type { DutResult } from '../harness/report.js';
import {
  cpuBefore,
  errorText,
  finishDut,
  Generator,
  type Options,
  type Sample,
  type Scenario,
  until,
} from '../harness/scenario.js';
import { transitStream, writeStream } from '../harness/streams.js';

export const GEN = { addr: '10.0.1.1', asn: 65001 };
export const DUT = { genSide: '10.0.1.2', sinkSide: '10.0.2.1', asn: 65000 };
const SINK = { addr: '10.0.2.2', asn: 65002 };

const sinkConfig = () => `log stderr { warning, error, fatal, bug };
router id ${SINK.addr};
protocol device { scan time 10; }
protocol bgp dut {
  local ${SINK.addr} as ${SINK.asn};
  neighbor ${DUT.sinkSide} as ${DUT.asn};
  connect delay time 1;
  connect retry time 2;
  error wait time 1, 10;
  ipv4 { import all; export none; };
}
`;

/** A measured phase after the transit converged (churn): its clock, CPU start and UPDATE window. */
export interface Phase {
  readonly seconds: number;
  readonly routes: number;
  readonly start: Sample;
  /** Monotonic time from which UPDATEs to the sink are counted. */
  readonly countFrom: number;
  readonly notes?: readonly string[];
}

export interface TransitContext {
  readonly net: BenchNet;
  readonly dut: RunningDut;
  readonly gen: Generator;
  readonly sink: BirdCtl;
  readonly routes: number;
  readonly transitSeconds: number;
}

export async function transitRun(
  dutName: DutName,
  o: Options,
  routes: number,
  communityEvery: number,
  after?: (ctx: TransitContext) => Promise<Phase>,
  peerDown = false,
): Promise<DutResult> {
  const net = new BenchNet('transit');
  const profDir = o.cpuProf && dutName === 'rackbgp' ? join(net.dir, 'cpu-prof') : undefined;
  let sink: BirdCtl | undefined;
  let gen: Generator | undefined;
  try {
    for (const n of ['gen', 'dut', 'sink']) await net.addNode(n);
    await net.link('gen', 'to-dut', `${GEN.addr}/24`, 'dut', 'to-gen', `${DUT.genSide}/24`);
    await net.link('dut', 'to-sink', `${DUT.sinkSide}/24`, 'sink', 'to-dut', `${SINK.addr}/24`);
    const stream = transitStream(routes, GEN.asn, GEN.addr, communityEvery);
    const file = writeStream(join(net.dir, 'transit.bin'), stream);
    o.log(`${dutName}: ${routes} routes in ${stream.updates} UPDATEs (${stream.bytes.length} octets)`);
    const capture = await SinkCapture.start(net, 'sink', 'to-dut', DUT.sinkSide, SINK.addr);
    const spec: DutSpec = {
      routerId: DUT.genSide,
      asn: DUT.asn,
      neighbors: [
        { address: GEN.addr, asn: GEN.asn },
        { address: SINK.addr, asn: SINK.asn },
      ],
      ...(o.journal !== undefined && { journal: o.journal }),
    };
    const dut = await startDut(net, 'dut', dutName, spec, { rackbgp: o.rackbgp, cpuProfDir: profDir });
    const s = await startBird(net, 'sink', BIN.bird2, sinkConfig(), 'sink');
    sink = await BirdCtl.open(s.socket);
    const ctl = sink;
    await until('DUT↔sink Established', async () => (await protocolStats(ctl, 'dut')).established, {
      everyMs: 100,
      timeoutMs: 60_000,
      dut,
    });
    const before = cpuBefore(dut);
    gen = new Generator(net, 'gen', {
      connect: DUT.genSide,
      local: GEN.addr,
      asn: GEN.asn,
      routerId: GEN.addr,
      stream: file,
    });
    const t0 = await gen.established();
    const t1 = await until(
      `sink has ${routes} routes`,
      async () => (await protocolStats(ctl, 'dut')).imported >= routes,
      {
        everyMs: 20,
        timeoutMs: o.timeoutS * 1000,
        dut,
        gen,
      },
    );
    const transitSeconds = (t1 - t0) / 1000;
    o.log(`${dutName}: transit converged in ${transitSeconds.toFixed(2)} s`);
    const phase = after && (await after({ net, dut, gen, sink: ctl, routes, transitSeconds }));
    const window = phase
      ? { fromMs: phase.countFrom, toMs: phase.countFrom + phase.seconds * 1000 }
      : { fromMs: t0, toMs: t1 };
    const cpuAfter = sumCpu(dut.pids);
    const rssAfter = sumPeakRss(dut.pids);
    const down = peerDown ? await generatorDown(dut, gen, ctl, routes, o) : undefined;
    if (down) gen = undefined;
    const peakAfterDown = down && sumPeakRss(dut.pids);
    const end = await finishDut(dut, phase ? phase.start : before, profDir, window, cpuAfter);
    const downDelay = down && dut.loopProbe !== undefined ? maxLoopDelay(dut.loopProbe, down) : undefined;
    const downCpu = down && dut.loopProbe !== undefined ? maxLoopDelay(dut.loopProbe, down, 2) : undefined;
    const downNote = down && [
      `generator down (TCP closed) with ${routes.toLocaleString('en-US')} routes: sink at 0 after ` +
        `${((down.toMs - down.fromMs) / 1000).toFixed(2)} s` +
        (downDelay === undefined ? '' : `, max loop delay ${downDelay.toFixed(0)} ms`) +
        (downCpu === undefined ? '' : ` (${downCpu.toFixed(0)} ms CPU)`) +
        `, peak RSS ${peakAfterDown?.toFixed(1)} MiB after it`,
    ];
    // The table's UPDATEs and peak RSS are the transit's (or the phase's), not the generator-down's.
    const count: UpdateCount = await capture.count(
      monoToReal(phase ? phase.countFrom : t0) - 5,
      down ? monoToReal(down.fromMs) : undefined,
    );
    return {
      dut: dutName,
      ok: true,
      seconds: phase ? phase.seconds : transitSeconds,
      routes: phase ? phase.routes : routes,
      ...end,
      ...(down && { peakRssMiB: rssAfter }),
      updatesToSink: count.updates,
      updateOctets: count.octets,
      captureMissing: count.missing,
      ...((phase?.notes || downNote) && { notes: [...(phase?.notes ?? []), ...(downNote ?? [])] }),
    };
  } catch (e) {
    return { dut: dutName, ok: false, error: errorText(e) };
  } finally {
    sink?.close();
    await gen?.stop();
    await net.destroy(o.keep);
  }
}

/** The generator's session ends (its TCP closed): the clock runs until the sink holds no route. */
async function generatorDown(
  dut: RunningDut,
  gen: Generator,
  sink: BirdCtl,
  routes: number,
  o: Options,
): Promise<{ fromMs: number; toMs: number }> {
  await new Promise((r) => setTimeout(r, 500)); // End-of-RIB and the last KEEPALIVEs
  const fromMs = nowMs();
  await gen.stop();
  const toMs = await until(
    `sink back at 0 of ${routes} routes`,
    async () => (await protocolStats(sink, 'dut')).imported === 0,
    { everyMs: 20, timeoutMs: o.timeoutS * 1000, dut },
  );
  return { fromMs, toMs };
}

function transitScenario(name: string, communityEvery: number): Scenario {
  const routes = (o: Options) => o.routes ?? (o.quick ? 10_000 : 1_000_000);
  return {
    name,
    reference: 'bird2',
    describe: (o) =>
      `generator → DUT → sink (BIRD 2), ${routes(o).toLocaleString('en-US')} IPv4 /24s, ` +
      (communityEvery ? `a distinct community every ${communityEvery} prefixes` : 'one shared attribute set'),
    params: (o) => ({ routes: routes(o), ...(communityEvery && { communityEvery }) }),
    run: (dut, o) => transitRun(dut, o, routes(o), communityEvery, undefined, communityEvery === 0),
  };
}

export const transit = transitScenario('transit', 0);
export const transitCommunity = transitScenario('transit-community', 4);
