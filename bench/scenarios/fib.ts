/**
 * Scenario "fib": generator → DUT, N IPv4 /24s; the DUT installs its best paths in the kernel of its
 * namespace (BIRD's kernel protocol, zebra for FRR and GoBGP, rackbgp's `fib: true`). The clock runs
 * from the generator's Established until the namespace's FIB holds N more prefixes, read from
 * /proc/PID/net/fib_triestat (the kernel counts its trie; no route dump per poll), and `ip route`
 * confirms the count at the end.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DutSpec } from '../harness/configs.js';
import { type DutName, startDut } from '../harness/duts.js';
import { BenchNet, nowMs } from '../harness/netns.js';
import type { DutResult } from '../harness/report.js';
import {
  cpuBefore,
  errorText,
  finishDut,
  Generator,
  type Options,
  type Scenario,
  until,
} from '../harness/scenario.js';
import { transitStream, writeStream } from '../harness/streams.js';
import { DUT, GEN } from './transit.js';

const routes = (o: Options) => o.routes ?? (o.quick ? 10_000 : 100_000);
/** Seconds without a new kernel route after which a run counts as stalled. */
const STALL_S = 20;

/** Prefixes in the namespace's FIB trie (main and local tables share one trie when merged). */
export function fibPrefixes(pid: number): number {
  const text = readFileSync(`/proc/${pid}/net/fib_triestat`, 'utf8');
  const main = text.slice(text.indexOf('Main:'));
  const m = /Prefixes:\s+(\d+)/.exec(main);
  if (!m) throw new Error('no Prefixes in fib_triestat');
  return Number(m[1]);
}

async function run(dutName: DutName, o: Options): Promise<DutResult> {
  // Debian's OpenBGPD 7.7 is built without libmnl (kroute-disabled): `fib-update yes` installs
  // nothing (measured: 0 of 100,000 after 20 s).
  if (dutName === 'openbgpd')
    return {
      dut: dutName,
      ok: false,
      error: 'not available: Debian OpenBGPD 7.7 has no Linux FIB support (openbgpd-portable#62)',
    };
  const n = routes(o);
  const net = new BenchNet('fib');
  const profDir = o.cpuProf && dutName === 'rackbgp' ? join(net.dir, 'cpu-prof') : undefined;
  let gen: Generator | undefined;
  try {
    for (const node of ['gen', 'dut']) await net.addNode(node);
    await net.link('gen', 'to-dut', `${GEN.addr}/24`, 'dut', 'to-gen', `${DUT.genSide}/24`);
    const file = writeStream(join(net.dir, 'fib.bin'), transitStream(n, GEN.asn, GEN.addr));
    const spec: DutSpec = {
      routerId: DUT.genSide,
      asn: DUT.asn,
      neighbors: [{ address: GEN.addr, asn: GEN.asn }],
      fib: true,
    };
    const dut = await startDut(net, 'dut', dutName, spec, { rackbgp: o.rackbgp, cpuProfDir: profDir });
    const pid = dut.pids[0];
    const routesBefore = (await net.exec('dut', 'ip', ['-4', 'route', 'show', 'table', 'main'])).split('\n');
    const base = fibPrefixes(pid);
    const before = cpuBefore(dut);
    gen = new Generator(net, 'gen', {
      connect: DUT.genSide,
      local: GEN.addr,
      asn: GEN.asn,
      routerId: GEN.addr,
      stream: file,
    });
    const t0 = await gen.established();
    let last = base;
    let lastChange = nowMs();
    const t1 = await until(
      `${n} routes in the kernel`,
      async () => {
        const k = fibPrefixes(pid) - base;
        if (k !== last) [last, lastChange] = [k, nowMs()];
        else if (nowMs() - lastChange > STALL_S * 1000)
          throw new Error(`stalled at ${k} of ${n} kernel routes for ${STALL_S} s`);
        return k >= n;
      },
      { everyMs: 50, timeoutMs: o.timeoutS * 1000, dut, gen },
    );
    const seconds = (t1 - t0) / 1000;
    const shown = (await net.exec('dut', 'ip', ['-4', 'route', 'show', 'table', 'main'])).split('\n');
    const end = await finishDut(dut, before, profDir, { fromMs: t0, toMs: t1 });
    return {
      dut: dutName,
      ok: true,
      seconds,
      routes: n,
      ...end,
      notes: [`\`ip route\` shows ${shown.length - routesBefore.length} routes more than before`],
    } satisfies DutResult;
  } catch (e) {
    const error = errorText(e);
    // gobgpd installs routes only through zebra, and 3.10's ZAPI client cannot read FRR 8.4's.
    if (dutName === 'gobgp' && error.includes('panic'))
      return { dut: dutName, ok: false, error: `not available: ${error} (zebra client, osrg/gobgp#2681)` };
    return { dut: dutName, ok: false, error } satisfies DutResult;
  } finally {
    await gen?.stop();
    await net.destroy(o.keep);
  }
}

export const fib: Scenario = {
  name: 'fib',
  reference: 'bird2',
  describe: (o) => `generator → DUT, ${routes(o).toLocaleString('en-US')} /24s installed in the DUT's kernel`,
  params: (o) => ({ routes: routes(o) }),
  run,
};
