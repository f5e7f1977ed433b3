/**
 * The seed lab with `fabric: unnumbered`: spine ↔ leaf links carry no addresses, the switches peer
 * by interface over IPv6 link-local addresses (Router Advertisements) and carry IPv4 with IPv6 next
 * hops (RFC 8950). `lab verify` passes (sessions, blocks, leaf and spine FIBs through `via inet6
 * fe80::… dev ethN`, pings across racks), and `lab render` writes the matching containerlab lab.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BIRD1 } from './support/bird.js';
import { LabCli } from './support/lab.js';
import { isRoot, requireTools } from './support/netns.js';

const skip = !isRoot() || requireTools(BIRD1.daemon, BIRD1.client, '/usr/bin/ping').length > 0;
const SEED = resolve(import.meta.dirname, '../../lab/seed.yaml');
const run = promisify(execFile);

describe.skipIf(skip)('seed lab with an unnumbered fabric', () => {
  const lab = new LabCli(`un${process.pid % 100000}`);
  const dir = mkdtempSync(join(tmpdir(), 'rackbgp-unnum-lab-'));
  const file = join(dir, 'unnumbered.yaml');

  beforeAll(async () => {
    // The seed as it is, with one key more.
    writeFileSync(file, readFileSync(SEED, 'utf8').replace(/^description:.*$/m, '$&\nfabric: unnumbered'));
    const up = await lab.up(file);
    expect(up.code, up.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    const down = await lab.down();
    rmSync(dir, { recursive: true, force: true });
    expect(down.namespacesLeft).toBe(false);
    expect(down.processesLeft).toEqual([]);
  }, 30_000);

  it('passes lab verify, the fabric forwarding IPv4 via IPv6 link-local next hops', async () => {
    const v = await lab.verify(40);
    const text = v.report.checks
      .map((c) => `${c.id} ${c.passed}/${c.total}\n  ${c.failures.join('\n  ')}`)
      .join('\n');
    console.log(`lab verify (unnumbered): ${v.report.elapsedMs} ms\n${text}`);
    expect(v.report.checks.map((c) => [c.id, c.passed, c.total])).toEqual([
      ['sessions', 12, 12],
      ['blocks', 30, 30],
      ['fib', 18, 18],
      ['pings', 9, 9],
    ]);
    expect(v.code).toBe(0);
    // No address on the uplinks; rack2's block at leaf1 via the spine's link-local address.
    const addrs = (await run('ip', ['-n', `rbl-${lab.name}-leaf1`, '-4', 'addr', 'show', 'dev', 'eth1']))
      .stdout;
    expect(addrs).not.toMatch(/inet /);
    const route = (await run('ip', ['-n', `rbl-${lab.name}-leaf1`, 'route', 'show', '10.233.67.0/26']))
      .stdout;
    expect(route).toMatch(/via inet6 fe80::\S+ dev eth1 proto rackbgp/);
  }, 60_000);

  it('renders the matching containerlab lab: interface neighbors, no uplink addresses', async () => {
    const out = join(dir, 'clab');
    const { CLI } = await import('./support/rackbgp.js');
    await run(process.execPath, [CLI, 'lab', 'render', '--containerlab', out, file]);
    const leaf1 = readFileSync(join(out, 'configs/leaf1.yaml'), 'utf8');
    expect(leaf1).toMatch(/- \{ interface: eth1, asn: 65000, description: spine \}/);
    expect(leaf1).toMatch(/listen: \{ address: "::", port: 179 \}/);
    const spine = readFileSync(join(out, 'configs/spine.yaml'), 'utf8');
    expect(spine).toMatch(/- \{ interface: eth1, asn: 65001, description: leaf1 \}/);
    expect(spine).toMatch(/- \{ interface: eth2, asn: 65002, description: leaf2 \}/);
    const topo = parse(readFileSync(join(out, 'seed.clab.yml'), 'utf8').toString());
    const exec: string[] = topo.topology.nodes.spine.exec ?? [];
    expect(exec.some((l) => /addr add .* eth[12]$/.test(l))).toBe(false);
    expect(topo.topology.links.map((l: { endpoints: string[] }) => l.endpoints)).toContainEqual([
      'spine:eth1',
      'leaf1:eth1',
    ]);
  });
});
