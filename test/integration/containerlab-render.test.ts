/**
 * The containerlab rendering run for real where it can be without Docker: `rackbgp lab render`
 * writes the lab, promtool accepts the Prometheus node's config and the copied rules, deploy.sh's
 * token step makes one token and keeps it, and a real Prometheus (Debian's 2.42) with the rendered
 * prometheus.yml scrapes a real rackbgp running the rendered leaf1 config, reached by its container
 * name over a "management network" (a veth; the name resolves through /etc/netns/<ns>/hosts, as
 * Docker's DNS and containerlab's /etc/hosts entries resolve it).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { CLI } from './support/rackbgp.js';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const ROOT = resolve(import.meta.dirname, '../..');
const missing = isRoot() ? requireTools(PROMETHEUS, PROMTOOL) : ['root'];
if (process.env.CI === 'true' && missing.length)
  throw new Error(`containerlab-render: missing ${missing.join(', ')}`);
const run = promisify(execFile);

describe.skipIf(missing.length > 0)('the containerlab rendering, run', () => {
  let net: TestNet;
  let dir: string;
  let hostsDir: string;
  beforeAll(async () => {
    net = new TestNet('clr');
    dir = join(net.dir, 'seed');
    const r = await run(process.execPath, [
      CLI,
      'lab',
      'render',
      '--containerlab',
      dir,
      join(ROOT, 'lab/seed.yaml'),
    ]);
    expect(r.stdout).toMatch(/^wrote 13 files to /);
  });
  afterAll(async () => {
    if (hostsDir) rmSync(hostsDir, { recursive: true, force: true });
    await net?.destroy();
  });

  it('promtool accepts the Prometheus config and the rules it loads (a copy of dashboards/rules.yml)', async () => {
    const r = await run(PROMTOOL, ['check', 'config', join(dir, 'prometheus/prometheus.yml')]);
    const groups = (
      parse(readFileSync(join(ROOT, 'dashboards/rules.yml'), 'utf8')) as { groups: { rules: unknown[] }[] }
    ).groups;
    const rules = groups.reduce((n, g) => n + g.rules.length, 0);
    expect(`${r.stdout}${r.stderr}`).toContain(`SUCCESS: ${rules} rules found`);
  });

  it("deploy.sh parses, and its token step makes a 32-hex-digit token once, readable by the image's user", async () => {
    await run('bash', ['-n', join(dir, 'deploy.sh')]);
    const deploy = readFileSync(join(dir, 'deploy.sh'), 'utf8').split('\n');
    const step = deploy
      .filter((l) => /api-token/.test(l) && !l.startsWith('#') && !l.startsWith('echo'))
      .join('\n');
    await run('bash', ['-euc', step], { cwd: dir });
    const token = readFileSync(join(dir, 'api-token'), 'utf8');
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(statSync(join(dir, 'api-token')).mode & 0o777).toBe(0o644);
    await run('bash', ['-euc', step], { cwd: dir });
    expect(readFileSync(join(dir, 'api-token'), 'utf8')).toBe(token);
  });

  it('the rendered Prometheus scrapes the rendered leaf1 by its container name, and loads the rules', async () => {
    await net.addNode('leaf1');
    await net.addNode('prom');
    await net.link(
      'prom',
      'leaf1',
      { a: ['172.31.99.1/24'], b: ['172.31.99.2/24'] },
      { a: 'eth0', b: 'eth0' },
    );
    hostsDir = join('/etc/netns', net.ns('prom'));
    mkdirSync(hostsDir, { recursive: true });
    writeFileSync(join(hostsDir, 'hosts'), '127.0.0.1 localhost\n172.31.99.2 clab-seed-leaf1\n');

    // The rendered config as is, but the token file where this test made it (the image binds it).
    writeFileSync(join(dir, 'api-token'), 'c0ffee00c0ffee00c0ffee00c0ffee00');
    const leafConfig = join(dir, 'leaf1-here.yaml');
    writeFileSync(
      leafConfig,
      readFileSync(join(dir, 'configs/leaf1.yaml'), 'utf8').replace(
        'token-file: /etc/rackbgp/api-token',
        `token-file: ${join(dir, 'api-token')}`,
      ),
    );
    net.spawn('leaf1', 'rackbgp', process.execPath, [CLI, 'run', '-c', leafConfig]);
    net.spawn('prom', 'prometheus', PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus/prometheus.yml')}`,
      `--storage.tsdb.path=${join(net.dir, 'tsdb')}`,
      '--web.listen-address=127.0.0.1:9090',
    ]);
    const api = async <T>(path: string): Promise<T> => {
      const url = `http://127.0.0.1:9090${path}`;
      const script = `fetch(${JSON.stringify(url)}).then(r=>r.text()).then(t=>process.stdout.write(t),e=>{console.error(String(e));process.exit(1)})`;
      const r = await net.exec('prom', process.execPath, ['-e', script]);
      if (r.code) throw new Error(r.stderr);
      const body = JSON.parse(r.stdout) as { status: string; data: T };
      if (body.status !== 'success') throw new Error(r.stdout);
      return body.data;
    };
    type Target = { labels: Record<string, string>; health: string };
    const targets = await waitFor(
      'leaf1 scraped',
      async () => {
        const t = (await api<{ activeTargets: Target[] }>('/api/v1/targets')).activeTargets;
        return t.find((x) => x.labels.instance === 'clab-seed-leaf1:9179')?.health === 'up' ? t : undefined;
      },
      45_000,
      1000,
    );
    expect(
      targets
        .filter((t) => t.labels.job === 'rackbgp')
        .map((t) => `${t.labels.instance} ${t.labels.role}`)
        .sort(),
    ).toEqual(['clab-seed-leaf1:9179 leaf', 'clab-seed-leaf2:9179 leaf', 'clab-seed-spine:9179 spine']);
    const info = await api<{ result: { metric: Record<string, string> }[] }>(
      `/api/v1/query?query=${encodeURIComponent('bgp_peer_info{instance="clab-seed-leaf1:9179"}')}`,
    );
    expect(info.result.map((s) => s.metric.peer).sort()).toEqual(['10.0.1.2', '172.20.0.11', '172.20.0.12']);
    const loaded = await api<{ groups: { name: string }[] }>('/api/v1/rules');
    const shipped = parse(readFileSync(join(ROOT, 'dashboards/rules.yml'), 'utf8')) as {
      groups: { name: string }[];
    };
    expect(loaded.groups.map((g) => g.name).sort()).toEqual(shipped.groups.map((g) => g.name).sort());

    // Over the same network: reads open, actions only with the lab's token.
    const post = async (token?: string) => {
      const headers = token ? `{ authorization: 'Bearer ${token}' }` : '{}';
      const script = `fetch('http://172.31.99.2:50179/api/reload',{method:'POST',headers:${headers},body:'{}'}).then(r=>process.stdout.write(String(r.status)))`;
      return Number((await net.exec('prom', process.execPath, ['-e', script])).stdout);
    };
    expect(await post()).toBe(401);
    expect(await post('c0ffee00c0ffee00c0ffee00c0ffee00')).toBe(200);
  });
});
