/**
 * FRR 8.4 (zebra + bgpd) inside a test namespace, as capture.sh runs it: every socket, pid and
 * config file in one folder under net.dir, bgpd with -n (installs nothing in the kernel), and
 * vtysh queries through that folder's vty sockets (`show bgp neighbors X json`).
 */

import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestNet, waitFor } from './netns.js';

export const FRR = {
  bgpd: '/usr/lib/frr/bgpd',
  zebra: '/usr/lib/frr/zebra',
  bfdd: '/usr/lib/frr/bfdd',
  vtysh: '/usr/bin/vtysh',
};

/** The part of FRR's `show bgp neighbors X json` the tests read (FRR 8.4 field names). */
export interface FrrNeighbor {
  bgpState: string;
  remoteAs: number;
  localAs: number;
  neighborCapabilities?: Record<string, unknown>;
  addressFamilyInfo?: Record<string, { acceptedPrefixCounter?: number }>;
  lastResetDueTo?: string;
  lastNotificationReason?: string;
  lastShutdownDescription?: string;
  [key: string]: unknown;
}

export interface FrrHandle {
  readonly dir: string;
  readonly bgpd: ChildProcess;
  readonly log: string;
  vtysh(...commands: string[]): Promise<string>;
  neighbor(address: string): Promise<FrrNeighbor | undefined>;
  waitEstablished(address: string, timeoutMs?: number): Promise<FrrNeighbor>;
}

export async function startFrr(
  net: TestNet,
  node: string,
  bgpdConf: string,
  tag = 'frr',
  /**
   * kernel: let bgpd hand its routes to zebra for the namespace's kernel (default: -n, nothing
   * installed); bfdd: also run bfdd with this config (BFD sessions for `neighbor X bfd`, via zebra).
   */
  opts: { kernel?: boolean; bfdd?: string } = {},
): Promise<FrrHandle> {
  const dir = join(net.dir, `${node}-${tag}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'zebra.conf'), `hostname zebra-${node}\nlog stdout informational\n`);
  writeFileSync(join(dir, 'bgpd.conf'), bgpdConf);
  const common = ['-u', 'root', '-g', 'frrvty', '-z', join(dir, 'zserv.api'), '--vty_socket', dir];
  // zebra tells bgpd about interfaces and addresses (needed to pick IPv6 next hops).
  net.spawn(node, `${tag}-zebra`, FRR.zebra, [
    ...common,
    '-f',
    join(dir, 'zebra.conf'),
    '-i',
    join(dir, 'zebra.pid'),
    '-P',
    '0',
    '--log',
    'stdout',
  ]);
  await waitFor('zebra socket', async () => existsSync(join(dir, 'zserv.api')), 15_000, 100);
  if (opts.bfdd !== undefined) {
    writeFileSync(join(dir, 'bfdd.conf'), opts.bfdd);
    net.spawn(node, `${tag}-bfdd`, FRR.bfdd, [
      ...common,
      '-f',
      join(dir, 'bfdd.conf'),
      '-i',
      join(dir, 'bfdd.pid'),
      '--bfdctl',
      join(dir, 'bfdd.sock'),
      '-P',
      '0',
      '--log',
      'stdout',
    ]);
    await waitFor('bfdd vty socket', async () => existsSync(join(dir, 'bfdd.vty')), 15_000, 100);
  }
  const { child: bgpd, log } = net.spawn(node, `${tag}-bgpd`, FRR.bgpd, [
    ...(opts.kernel ? [] : ['-n']),
    ...common,
    '-f',
    join(dir, 'bgpd.conf'),
    '-i',
    join(dir, 'bgpd.pid'),
    '-P',
    '0',
    '--log',
    'stdout',
  ]);
  await waitFor('bgpd vty socket', async () => existsSync(join(dir, 'bgpd.vty')), 15_000, 100);

  const vtysh = async (...commands: string[]) => {
    const args = ['--vty_socket', dir, ...commands.flatMap((c) => ['-c', c])];
    const r = await net.exec(node, FRR.vtysh, args);
    if (r.code !== 0) throw new Error(`vtysh ${commands.join('; ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const neighbor = async (address: string) =>
    (JSON.parse(await vtysh(`show bgp neighbors ${address} json`)) as Record<string, FrrNeighbor>)[address];
  return {
    dir,
    bgpd,
    log,
    vtysh,
    neighbor,
    waitEstablished: (address, timeoutMs = 30_000) =>
      waitFor(
        `FRR ${address} Established`,
        async () => {
          const n = await neighbor(address);
          return n?.bgpState === 'Established' ? n : undefined;
        },
        timeoutMs,
      ),
  };
}
