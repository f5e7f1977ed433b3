/**
 * rackbgp under soak: started in its namespace with the API and metrics on its link address (so
 * the peers' namespace can read them; GET needs no token), and its process measured the same way
 * before and after a run: a full GC (a heap snapshot taken through `--heapsnapshot-signal`, which
 * collects garbage first; the snapshot file is deleted), then heap used/total, external memory and
 * RSS from /metrics (prom-client's default collectors), active handles, and open descriptors.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_RACKBGP } from '../harness/duts.js';
import type { BenchNet, Spawned } from '../harness/netns.js';
import { sleep, waitFor } from '../harness/netns.js';

export interface ProcessSample {
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
  readonly rssMiB: number;
  readonly activeHandles: number;
  readonly openFds: number;
}

const MiB = 1024 * 1024;

export class SoakDut {
  private constructor(
    readonly net: BenchNet,
    readonly proc: Spawned,
    readonly address: string,
    private readonly snapshots: string,
    private readonly client: string,
  ) {}

  /** Starts `rackbgp run` in `node` with `yaml` plus API and metrics on `address`. */
  static async start(
    net: BenchNet,
    node: string,
    client: string,
    address: string,
    yaml: string,
    nodeFlags: string[] = [],
  ): Promise<SoakDut> {
    const cfg = join(net.dir, `${node}-rackbgp.yaml`);
    writeFileSync(
      cfg,
      `${yaml}api: { address: ${address}, port: 50179 }\nmetrics: { address: ${address}, port: 9179 }\n`,
    );
    const snapshots = join(net.dir, 'snapshots');
    mkdirSync(snapshots, { recursive: true }); // node dies on the snapshot signal when the directory is missing
    const proc = net.spawn(node, 'rackbgp', process.execPath, [
      '--heapsnapshot-signal=SIGWINCH',
      `--diagnostic-dir=${snapshots}`,
      ...nodeFlags,
      DEFAULT_RACKBGP,
      'run',
      '-c',
      cfg,
      '--log-level',
      'warn',
    ]);
    const dut = new SoakDut(net, proc, address, snapshots, client);
    await waitFor('rackbgp API', () => dut.get('/api/status'), 15_000, 200);
    return dut;
  }

  /**
   * The soak network: rackbgp (AS 65000, 10.88.0.1) in `dut`, linked to `peers`, which gets the
   * `sources` addresses (10.88.1.x/16); `yaml` is appended to the common config head.
   */
  static async onSoakNet(net: BenchNet, sources: readonly string[], yaml: string, nodeFlags: string[] = []) {
    await net.addNode('dut');
    await net.addNode('peers');
    await net.link('dut', 'eth0', '10.88.0.1/16', 'peers', 'eth0', `${sources[0]}/16`);
    for (const a of sources.slice(1))
      await net.ip(['-n', net.ns('peers'), 'addr', 'add', `${a}/16`, 'dev', 'eth0']);
    const head = 'router-id: 10.88.0.1\nasn: 65000\nlisten: { address: 10.88.0.1, port: 179 }\n';
    return SoakDut.start(net, 'dut', 'peers', '10.88.0.1', head + yaml, nodeFlags);
  }

  /** GET from the client namespace (the API listens on the link address). */
  async text(path: string, port = 50179): Promise<string> {
    const url = `http://${this.address}:${port}${path}`;
    const script = `fetch(${JSON.stringify(url)}).then(r=>r.text()).then(t=>process.stdout.write(t),e=>{console.error(String(e));process.exit(1)})`;
    return this.net.exec(this.client, process.execPath, ['-e', script], 60_000);
  }

  async get<T>(path: string): Promise<T> {
    return JSON.parse(await this.text(path)) as T;
  }

  async metrics(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const line of (await this.text('/metrics', 9179)).split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*(?:\{.*\})?) (\S+)$/.exec(line);
      if (m) out.set(m[1], Number(m[2]));
    }
    return out;
  }

  /** Full GC (heap snapshot on SIGWINCH: SIGUSR2 is `rackbgp restart`), then the process's memory and handles. */
  async sample(): Promise<ProcessSample> {
    const before = new Set(existsSync(this.snapshots) ? readdirSync(this.snapshots) : []);
    process.kill(this.proc.pid, 'SIGWINCH');
    const file = await waitFor(
      'heap snapshot',
      async () => {
        const fresh = existsSync(this.snapshots)
          ? readdirSync(this.snapshots).filter((f) => !before.has(f))
          : [];
        return fresh[0];
      },
      120_000,
      50,
    );
    // The snapshot is written on the main thread: /metrics answers once it is complete.
    const m = await this.metrics();
    const path = join(this.snapshots, file);
    let size = -1;
    while (statSync(path).size !== size) {
      size = statSync(path).size;
      await sleep(200);
    }
    rmSync(path, { force: true });
    const v = (name: string) => {
      const x = m.get(name);
      if (x === undefined) throw new Error(`no ${name} in /metrics`);
      return x;
    };
    return {
      heapUsedMiB: v('nodejs_heap_size_used_bytes') / MiB,
      heapTotalMiB: v('nodejs_heap_size_total_bytes') / MiB,
      externalMiB: v('nodejs_external_memory_bytes') / MiB,
      rssMiB: v('process_resident_memory_bytes') / MiB,
      activeHandles: v('nodejs_active_handles_total'),
      openFds: readdirSync(`/proc/${this.proc.pid}/fd`).length,
    };
  }

  /** CPU seconds used so far (user + system of rackbgp and its reaped `ip` children). */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.proc.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  }
}
