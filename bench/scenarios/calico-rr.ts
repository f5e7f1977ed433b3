/**
 * Scenario "calico-rr": the DUT is the RFC 4456 route reflector (AS 64512, cluster id its address)
 * for P BIRD 1.6 clients rendered from Calico's template (src/lab/calico-bird.ts), all on one bridge,
 * each announcing B /26 blocks. The clients start with their session `disabled;`; the clock starts
 * when every client is told `enable` at once and stops when every client imports the (P-1)·B blocks
 * of the others (it holds all P·B). The DUT is passive, as a reflector for calico-nodes is.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderBirdConfig } from '../../src/lab/calico-bird.js';
import { BirdCtl, protocolStats } from '../harness/birdctl.js';
import { monoToReal, SinkCapture } from '../harness/capture.js';
import { BIN, type DutName, startBird, startDut } from '../harness/duts.js';
import { BenchNet, nowMs, pool } from '../harness/netns.js';
import { sumCpu, tcpExt } from '../harness/proc.js';
import type { DutResult } from '../harness/report.js';
import { cpuBefore, errorText, finishDut, type Options, type Scenario, until } from '../harness/scenario.js';

const RR = '10.77.0.1';
const ASN = 64512;
const POOL = '10.240.0.0/12';
const PROTOCOL = `Global_${RR.replace(/\./g, '_')}`;

const clients = (o: Options) => o.peers ?? (o.quick ? 20 : 200);
const blocks = (o: Options) => o.routes ?? 16;

export const clientAddr = (i: number) => `10.77.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;

/** Block j of client i: consecutive /26s from 10.240.0.0 up. */
export function block(i: number, j: number, perClient: number): string {
  const v = 0x0af00000 + (i * perClient + j) * 64;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/26`;
}

/**
 * The calico-node BIRD 1.6 config with three changes for the benchmark: the session starts
 * `disabled;`, the blocks are blackholes of a `protocol static` appended here (as calico-node's
 * bird_aggr.cfg has BIRD blackhole each IPAM block, `route <block> blackhole;`), and the kernel
 * protocol exports nothing (calico-node's installs the blackholes), so 200 clients × 3,200 kernel
 * routes do not compete with the DUT for the CPUs.
 */
export function clientConfig(i: number, perClient: number): string {
  const ip = clientAddr(i);
  let conf = renderBirdConfig({
    name: `node${i}`,
    family: 4,
    ip,
    routerId: ip,
    asn: ASN,
    pools: [POOL],
    peers: [{ ip: RR, asn: ASN }],
  });
  const edits: [string, string][] = [
    [
      `protocol bgp ${PROTOCOL} from bgp_template {`,
      `protocol bgp ${PROTOCOL} from bgp_template {\n  disabled;`,
    ],
    ['export filter calico_kernel_programming;', 'export none;'],
  ];
  for (const [from, to] of edits) {
    if (!conf.includes(from)) throw new Error(`Calico template changed: no "${from}"`);
    conf = conf.replace(from, to);
  }
  const routes = Array.from({ length: perClient }, (_, j) => `  route ${block(i, j, perClient)} blackhole;`);
  // calico-node's BIRD (-d) logs everything to stderr; here only session events, to the client's log.
  conf = `log stderr { warning, error, fatal, bug, trace };\n${conf}`;
  return `${conf}\n# This node's IPAM blocks.\nprotocol static calico_blocks {\n${routes.join('\n')}\n}\n`;
}

async function run(dutName: DutName, o: Options): Promise<DutResult> {
  const p = clients(o);
  const b = blocks(o);
  const net = new BenchNet('calico-rr');
  const profDir = o.cpuProf && dutName === 'rackbgp' ? join(net.dir, 'cpu-prof') : undefined;
  const ctls: BirdCtl[] = [];
  const clientPids: number[] = [];
  try {
    const names = Array.from({ length: p }, (_, i) => `c${i}`);
    await net.addNode('dut');
    await pool(names, 8, async (n) => {
      await net.addNode(n);
    });
    await net.lan('lan', [
      { node: 'dut', addr: `${RR}/16` },
      ...names.map((node, i) => ({ node, addr: `${clientAddr(i)}/16` })),
    ]);
    const capture = await SinkCapture.start(net, 'lan', 'p0', RR);
    const dut = await startDut(
      net,
      'dut',
      dutName,
      {
        routerId: RR,
        asn: ASN,
        clusterId: RR,
        addPath: true,
        neighbors: names.map((_, i) => ({ address: clientAddr(i), asn: ASN, rrClient: true })),
      },
      { rackbgp: o.rackbgp, cpuProfDir: profDir },
    );
    await pool(names, 8, async (node, i) => {
      const s = await startBird(net, node, BIN.bird1, clientConfig(i, b), 'bird');
      ctls[i] = await BirdCtl.open(s.socket);
      clientPids[i] = s.pid;
    });
    o.log(`${dutName}: ${p} clients up`);
    writeFileSync(join(net.dir, 'clients.txt'), names.map((n, i) => `${n} ${clientAddr(i)}`).join('\n'));
    const want = (p - 1) * b;
    const done = new Array<boolean>(p).fill(false);
    const up = new Array<boolean>(p).fill(false);
    let allUpAt = 0;
    const listen = await net.exec('dut', 'ss', ['-Hltn', 'sport = :179']);
    // ss shows a listening socket's backlog in the Send-Q column.
    const backlogs = [
      ...new Set(
        listen
          .split('\n')
          .filter(Boolean)
          .map((l) => l.trim().split(/\s+/)[2]),
      ),
    ];
    const before = cpuBefore(dut);
    const clientsBefore = sumCpu(clientPids);
    const overflowsBefore = tcpExt(dut.pids[0], 'ListenOverflows');
    const t0 = nowMs();
    await Promise.all(ctls.map((c) => c.cmd(`enable ${PROTOCOL}`)));
    const t1 = await until(
      `every client holding ${p * b} blocks`,
      async () => {
        await Promise.all(
          ctls.map(async (c, i) => {
            if (done[i]) return;
            const st = await protocolStats(c, PROTOCOL).catch((e: Error) => {
              throw new Error(`client c${i} (${clientAddr(i)}): ${e.message}`);
            });
            done[i] = st.imported >= want;
            up[i] = st.established;
          }),
        );
        if (!allUpAt && up.every(Boolean)) allUpAt = nowMs();
        return done.every(Boolean);
      },
      { everyMs: 20, timeoutMs: o.timeoutS * 1000, dut },
    );
    const clientsCpu = sumCpu(clientPids) - clientsBefore;
    const overflows = tcpExt(dut.pids[0], 'ListenOverflows') - overflowsBefore;
    const end = await finishDut(dut, before, profDir, { fromMs: t0, toMs: t1 });
    const count = await capture.count(monoToReal(t0) - 5);
    const notes = [
      `every session Established after ${((allUpAt - t0) / 1000).toFixed(2)} s, all routes ` +
        `${((t1 - allUpAt) / 1000).toFixed(2)} s later; the ${p} clients used ${clientsCpu.toFixed(1)} CPU s; ` +
        `DUT listen backlog ${backlogs.join('/')}`,
    ];
    // A listen queue too short for the clients' simultaneous SYNs costs them TCP SYN retransmissions.
    if (overflows) notes.push(`${overflows} listen queue overflows in the DUT (SYNs dropped, clients retry)`);
    return {
      dut: dutName,
      ok: true,
      seconds: (t1 - t0) / 1000,
      routes: p * (p - 1) * b,
      ...end,
      updatesToSink: count.updates,
      updateOctets: count.octets,
      captureMissing: count.missing,
      notes,
    };
  } catch (e) {
    return { dut: dutName, ok: false, error: errorText(e) };
  } finally {
    for (const c of ctls) c?.close();
    await net.destroy(o.keep);
  }
}

export const calicoRr: Scenario = {
  name: 'calico-rr',
  reference: 'bird1',
  describe: (o) =>
    `DUT reflects for ${clients(o)} Calico BIRD 1.6 clients × ${blocks(o)} /26 blocks ` +
    `(stop: every client holds all ${(clients(o) * blocks(o)).toLocaleString('en-US')})`,
  params: (o) => ({ clients: clients(o), blocksPerClient: blocks(o) }),
  run,
};
