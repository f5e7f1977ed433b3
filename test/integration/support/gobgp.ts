/**
 * gobgpd 3.10 inside a test namespace (TOML config in net.dir, gRPC API on loopback of that
 * namespace) and the `gobgp` CLI against it: `neighbor -j`, `neighbor X` text, `global rib add`.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestNet, waitFor } from './netns.js';

export const GOBGP = { daemon: '/usr/bin/gobgpd', client: '/usr/bin/gobgp' };

/** The part of `gobgp neighbor -j` the tests read (gobgp 3.10 JSON of api.Peer). */
export interface GobgpPeer {
  conf: { neighbor_address: string; peer_asn: number };
  state: { session_state: number | string; neighbor_address?: string; [key: string]: unknown };
  afi_safis?: unknown[];
  [key: string]: unknown;
}

export interface GobgpHandle {
  readonly daemon: ChildProcess;
  readonly log: string;
  cli(...args: string[]): Promise<string>;
  peers(): Promise<GobgpPeer[]>;
  /** `gobgp neighbor X` text: state and the capability table. */
  neighborText(address: string): Promise<string>;
  waitEstablished(address: string, timeoutMs?: number): Promise<string>;
}

export async function startGobgp(
  net: TestNet,
  node: string,
  toml: string,
  apiPort = 50051,
  tag = 'gobgpd',
): Promise<GobgpHandle> {
  const conf = join(net.dir, `${node}-${tag}.toml`);
  writeFileSync(conf, toml);
  const { child: daemon, log } = net.spawn(node, tag, GOBGP.daemon, [
    '-f',
    conf,
    '-t',
    'toml',
    '-l',
    'debug',
    '--pprof-disable',
    '--api-hosts',
    `127.0.0.1:${apiPort}`,
  ]);
  const cli = async (...args: string[]) => {
    const r = await net.exec(node, GOBGP.client, ['-u', '127.0.0.1', '-p', String(apiPort), ...args]);
    if (r.code !== 0) throw new Error(`gobgp ${args.join(' ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  await waitFor('gobgpd API', async () => (await cli('global')).includes('AS'), 15_000, 200);
  const neighborText = (address: string) => cli('neighbor', address);
  return {
    daemon,
    log,
    cli,
    peers: async () => JSON.parse(await cli('neighbor', '-j')) as GobgpPeer[],
    neighborText,
    waitEstablished: (address, timeoutMs = 30_000) =>
      waitFor(
        `gobgp ${address} Established`,
        async () => {
          const t = await neighborText(address);
          return /BGP state = established/i.test(t) ? t : undefined;
        },
        timeoutMs,
      ),
  };
}
