/** Runs the built `rackbgp run` inside a test namespace and reads its API from inside it. */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NeighborSnapshot, RouteSnapshot } from '../../../src/core/snapshot.js';
import { type TestNet, waitFor } from './netns.js';

export const CLI = resolve(import.meta.dirname, '../../../dist/src/cli/main.js');

export interface RackbgpHandle {
  neighbors(): Promise<NeighborSnapshot[]>;
  neighbor(address: string): Promise<NeighborSnapshot | undefined>;
  routes(prefix?: string): Promise<RouteSnapshot[]>;
  waitState(address: string, state: string, timeoutMs?: number): Promise<NeighborSnapshot>;
  stop(): Promise<void>;
  /** SIGKILL: no Cease, nothing cleaned up (routes stay in the kernel). */
  kill(): Promise<void>;
  log: string;
  /** The config file, and a rewrite of it keeping the test's api line (for reload). */
  readonly configFile: string;
  writeConfig(yaml: string): void;
  /** Sends a signal to the daemon (SIGHUP: reload). */
  signal(sig: NodeJS.Signals): void;
  /** Runs `rackbgp ARGS` inside the node (the CLI against this daemon's API). */
  cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }>;
}

export async function startRackbgp(
  net: TestNet,
  node: string,
  yaml: string,
  apiPort = 50179,
): Promise<RackbgpHandle> {
  const cfg = join(net.dir, `${node}-rackbgp.yaml`);
  const write = (text: string) =>
    writeFileSync(cfg, `${text}\napi: { address: 127.0.0.1, port: ${apiPort} }\n`);
  write(yaml);
  const { child, log } = net.spawn(node, 'rackbgp', process.execPath, [
    CLI,
    'run',
    '-c',
    cfg,
    '--log-level',
    'debug',
  ]);
  const get = async (path: string) => {
    const script = `fetch('http://127.0.0.1:${apiPort}${path}').then(r=>r.text()).then(t=>process.stdout.write(t),e=>{console.error(String(e));process.exit(1)})`;
    const r = await net.exec(node, process.execPath, ['-e', script]);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  };
  await waitFor('rackbgp API', async () => (await get('/api/neighbors')) as unknown[], 15_000);
  const handle: RackbgpHandle = {
    log,
    neighbors: () => get('/api/neighbors'),
    neighbor: async (address) => (await handle.neighbors()).find((n) => n.address === address),
    routes: (prefix) => get(`/api/routes${prefix ? `?prefix=${encodeURIComponent(prefix)}` : ''}`),
    waitState: (address, state, timeoutMs = 30_000) =>
      waitFor(
        `rackbgp ${node} → ${address} ${state}`,
        async () => {
          const n = await handle.neighbor(address);
          return n?.state === state ? n : undefined;
        },
        timeoutMs,
      ),
    stop: () => net.kill(child),
    kill: () => net.kill(child, 'SIGKILL'),
    configFile: cfg,
    writeConfig: write,
    signal: (sig) => child.kill(sig),
    cli: (args) => net.exec(node, process.execPath, [CLI, ...args, '--api', `127.0.0.1:${apiPort}`]),
  };
  return handle;
}
