/**
 * The shipped Grafana dashboard and Prometheus rules (dashboards/) against real components:
 * promtool checks the rules; a real Prometheus (Debian's) scrapes a live rackbgp peered with
 * BIRD 1.6 in a namespace, loads the rules (alerts with a 1 s `for:`), and every panel's PromQL,
 * every template variable and every recording rule returns data through the query API. Stopping
 * the session on BIRD's side makes BgpSessionDown fire; the frr_exporter recordings follow.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { BIRD1, type BirdHandle, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const DIR = resolve(import.meta.dirname, '../../dashboards');
const RULES = join(DIR, 'rules.yml');
const missingTools = requireTools(PROMTOOL);
const missing = isRoot() ? requireTools(PROMETHEUS, PROMTOOL, BIRD1.daemon) : ['root'];

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface Target {
  expr: string;
  refId: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
  panels: Panel[];
}

const rules = (): Rule[] => (parse(readFileSync(RULES, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);
const dashboard = (): Dashboard => JSON.parse(readFileSync(join(DIR, 'rackbgp.json'), 'utf8')) as Dashboard;
const panelQueries = () =>
  dashboard().panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** A panel's PromQL as Grafana sends it with "All" selected (allValue .+) and a 1 s scrape. */
/** The datasource variable every panel and query uses (Grafana fills it in on import). */
const DS_UID = ['$', '{DS_PROMETHEUS}'].join('');

const substitute = (expr: string) =>
  expr.replaceAll('$instance', '.+').replaceAll('$peer', '.+').replaceAll('$__rate_interval', '1m');

describe.skipIf(missingTools.length > 0)('dashboards/ files', () => {
  it('promtool check rules passes on dashboards/rules.yml', async () => {
    const r = await promisify(execFile)(PROMTOOL, ['check', 'rules', RULES]);
    expect(r.stdout).toContain(`SUCCESS: ${rules().length} rules found`);
  });

  it('the dashboard is importable: a datasource variable, unique panel ids, every query on it', () => {
    const d = dashboard();
    const ds = d.templating.list.find((v) => v.name === 'DS_PROMETHEUS');
    expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of d.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: DS_UID });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource.uid, p.title).toBe(DS_UID);
    }
    // Each rules.yml alert's metric is on the dashboard too (what alerts, one can look at).
    const exprs = panelQueries()
      .map((q) => q.expr)
      .join('\n');
    for (const m of [
      'bgp_peer_up',
      'bgp_peer_prefixes_accepted',
      'bgp_fib_routes',
      'bgp_peer_max_prefix_limit',
    ])
      expect(exprs).toContain(m);
  });
});

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

describe.skipIf(missing.length > 0)('dashboards/ on a live rackbgp and a real Prometheus', () => {
  let net: TestNet;
  let bird: BirdHandle;
  let rack: RackbgpHandle;
  const api = async <T>(path: string): Promise<T> => {
    const url = `http://127.0.0.1:9090${path}`;
    const script = `fetch(${JSON.stringify(url)}).then(r=>r.text()).then(t=>process.stdout.write(t),e=>{console.error(String(e));process.exit(1)})`;
    const r = await net.exec('r', process.execPath, ['-e', script]);
    if (r.code) throw new Error(r.stderr);
    const body = JSON.parse(r.stdout) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${r.stdout}`);
    return body.data;
  };
  const query = async (q: string) =>
    (await api<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`)).result;
  const alerts = async (name: string) =>
    (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter((a) => a.labels.alertname === name);
  const value = async (q: string) => {
    const s = await query(q);
    if (s.length !== 1) throw new Error(`${q}: ${s.length} series`);
    return Number(s[0].value[1]);
  };
  const frrLabels = (afi: string) =>
    `vrf="default",afi="${afi}",safi="unicast",local_as="65000",peer_as="64512",peer="10.94.0.1"`;

  beforeAll(async () => {
    net = new TestNet('dash');
    await net.addNode('r');
    await net.addNode('b');
    await net.link('r', 'b', { a: ['10.94.0.2/24'], b: ['10.94.0.1/24'] });
    // IPv6 offered, BIRD 1.6 (IPv4 build) does not: the family is configured, not negotiated.
    rack = await startRackbgp(
      net,
      'r',
      `router-id: 10.94.0.2
asn: 65000
fib: true
metrics: { address: 127.0.0.1, port: 9179 }
networks: [10.250.1.0/24, 10.250.2.0/24]
neighbors:
  - address: 10.94.0.1
    asn: 64512
    description: bird-b
    families: [ipv4-unicast, ipv6-unicast]
    max-prefix: { limit: 3 }
`,
    );
    bird = await startBird(
      net,
      'b',
      BIRD1,
      `router id 10.94.0.1;
protocol device {}
protocol static { route 10.244.5.0/26 blackhole; route 10.244.6.0/26 blackhole; route 10.244.7.0/26 blackhole; }
protocol bgp rack { local 10.94.0.1 as 64512; neighbor 10.94.0.2 as 65000; import all; export all; connect retry time 1; }
`,
    );
    await bird.waitEstablished('rack');

    // The shipped rules with every alert's `for:` at 1 s, so a test sees them fire.
    const file = parse(readFileSync(RULES, 'utf8')) as RuleFile;
    for (const rule of file.groups.flatMap((g) => g.rules)) if (rule.alert) rule.for = '1s';
    const testRules = join(net.dir, 'rules.yml');
    writeFileSync(testRules, stringify(file));
    const check = await promisify(execFile)(PROMTOOL, ['check', 'rules', testRules]);
    expect(check.stdout).toContain('SUCCESS');
    const config = join(net.dir, 'prometheus.yml');
    writeFileSync(
      config,
      `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [${JSON.stringify(testRules)}]
scrape_configs:
  - job_name: rackbgp
    static_configs: [{ targets: ['127.0.0.1:9179'] }]
`,
    );
    net.spawn('r', 'prometheus', PROMETHEUS, [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(net.dir, 'tsdb')}`,
      '--web.listen-address=127.0.0.1:9090',
    ]);
    await waitFor('3 paths accepted, seen by Prometheus', async () => {
      const s = await query('bgp_peer_prefixes_accepted{peer="10.94.0.1",afi_safi="ipv4-unicast"} == 3');
      return s.length === 1;
    });
  }, 90_000);
  afterAll(async () => {
    await net?.destroy();
  });

  it('bgp_peer_info joins, IPv6 is configured but not negotiated, so it has no prefix series', async () => {
    const info = await query('bgp_peer_info');
    expect(info.map((s) => ({ ...s.metric, value: s.value[1] }))).toEqual([
      {
        __name__: 'bgp_peer_info',
        instance: '127.0.0.1:9179',
        job: 'rackbgp',
        peer: '10.94.0.1',
        peer_as: '64512',
        local_as: '65000',
        type: 'ebgp',
        description: 'bird-b',
        remote_router_id: '10.94.0.1',
        local_address: '10.94.0.2',
        families: 'ipv4-unicast',
        value: '1',
      },
    ]);
    expect(await value('bgp_peer_family_negotiated{afi_safi="ipv6-unicast"}')).toBe(0);
    expect(await value('bgp_peer_family_negotiated{afi_safi="ipv4-unicast"}')).toBe(1);
    expect(await query('{__name__=~"bgp_peer_prefixes_.*", afi_safi="ipv6-unicast"}')).toEqual([]);
    const joined = await query(
      'bgp_peer_prefixes_accepted * on(instance, job, peer) group_left(description) bgp_peer_info',
    );
    expect(joined.map((s) => [s.metric.description, s.metric.afi_safi, s.value[1]])).toEqual([
      ['bird-b', 'ipv4-unicast', '3'],
    ]);
  });

  it('the frr_exporter recordings: state 1, pfxRcd 3, pfxSnt 2 per configured family, as FRR labels them', async () => {
    await waitFor('recordings evaluated', async () => (await query('frr_bgp_peer_state')).length === 2);
    expect(await value(`frr_bgp_peer_state{${frrLabels('ipv4')}}`)).toBe(1);
    expect(await value(`frr_bgp_peer_state{${frrLabels('ipv6')}}`)).toBe(1);
    expect(await value(`frr_bgp_peer_prefixes_received_count_total{${frrLabels('ipv4')}}`)).toBe(3);
    expect(await value(`frr_bgp_peer_prefixes_received_count_total{${frrLabels('ipv6')}}`)).toBe(0);
    expect(await value(`frr_bgp_peer_prefixes_advertised_count_total{${frrLabels('ipv4')}}`)).toBe(2);
    const uptime = await value(`frr_bgp_peer_uptime_seconds{${frrLabels('ipv4')}}`);
    expect(uptime).toBeGreaterThanOrEqual(0);
    expect(uptime).toBeLessThan(120);
    // Exactly FRR's label set (plus the scrape's instance and job).
    const state = await query('frr_bgp_peer_state{afi="ipv4"}');
    expect(Object.keys(state[0].metric).sort()).toEqual(
      ['__name__', 'afi', 'instance', 'job', 'local_as', 'peer', 'peer_as', 'safi', 'vrf'].sort(),
    );
  });

  it('max-prefix near and the unnegotiated family fire; no session is down', async () => {
    const near = await waitFor('BgpMaxPrefixNear firing', async () => {
      const a = await alerts('BgpMaxPrefixNear');
      return a.some((x) => x.state === 'firing') ? a : undefined;
    });
    expect(near.map((a) => [a.labels.peer, a.labels.afi_safi])).toEqual([['10.94.0.1', 'ipv4-unicast']]);
    const family = await waitFor('BgpFamilyNotNegotiated firing', async () => {
      const a = await alerts('BgpFamilyNotNegotiated');
      return a.some((x) => x.state === 'firing') ? a : undefined;
    });
    expect(family.map((a) => a.labels.afi_safi)).toEqual(['ipv6-unicast']);
    expect(await alerts('BgpSessionDown')).toEqual([]);
    expect(await alerts('BgpFibRoutesRefused')).toEqual([]);
  });

  it('the peer stops: BgpSessionDown fires, frr_bgp_peer_state 0 and pfxRcd 0; back up, it clears', async () => {
    await bird.cli('disable rack');
    const down = await waitFor('BgpSessionDown firing', async () => {
      const a = await alerts('BgpSessionDown');
      return a.some((x) => x.state === 'firing') ? a : undefined;
    });
    expect(down.map((a) => [a.labels.peer, a.labels.severity])).toEqual([['10.94.0.1', 'critical']]);
    await waitFor(
      'frr_bgp_peer_state 0',
      async () => (await value(`frr_bgp_peer_state{${frrLabels('ipv4')}}`)) === 0,
    );
    expect(await value(`frr_bgp_peer_prefixes_received_count_total{${frrLabels('ipv4')}}`)).toBe(0);
    // Down: no family negotiated, so no per-family prefix series at all.
    expect(await query('bgp_peer_prefixes_accepted')).toEqual([]);

    await bird.cli('enable rack');
    await bird.waitEstablished('rack');
    await waitFor('BgpSessionDown resolved', async () => (await alerts('BgpSessionDown')).length === 0);
    await waitFor('3 paths again', async () => (await value('bgp_peer_prefixes_accepted')) === 3);
  });

  it('every panel query, template variable and recording rule returns data', async () => {
    const empty: string[] = [];
    for (const q of panelQueries()) {
      const expr = substitute(q.expr);
      const ok = await waitFor(
        `${q.panel}: ${expr}`,
        async () => (await query(expr)).length > 0,
        15_000,
        500,
      ).catch(() => false);
      if (!ok) empty.push(`${q.panel}: ${expr}`);
    }
    for (const r of rules().filter((x) => x.record)) {
      if ((await query(r.record!)).length === 0) empty.push(`record ${r.record}`);
    }
    expect(empty).toEqual([]);
    // Some of them with the values they must show here.
    expect(await value('sum(bgp_peer_up{instance=~".+"})')).toBe(1);
    expect(await value('sum((1 - bgp_peer_up) * on(instance, job, peer) bgp_peer_admin_enabled)')).toBe(0);
    expect(await value('sum(bgp_fib_routes{state="installed"})')).toBe(3);
    expect(await value('bgp_peer_established_transitions_total')).toBe(2);
    // The variables: label_values(bgp_peer_info, instance) and (…{instance=~"$instance"}, peer).
    const label = (name: string, match: string) =>
      api<string[]>(`/api/v1/label/${name}/values?match[]=${encodeURIComponent(match)}`);
    expect(await label('instance', 'bgp_peer_info')).toEqual(['127.0.0.1:9179']);
    expect(await label('peer', 'bgp_peer_info{instance=~".+"}')).toEqual(['10.94.0.1']);
    expect(panelQueries().length).toBeGreaterThanOrEqual(30);
  }, 120_000);

  it('shut down by an operator: frr_bgp_peer_state 2, and BgpSessionDown stays quiet', async () => {
    const r = await rack.cli(['neighbor', 'shutdown', '10.94.0.1']);
    expect(r.code, r.stderr).toBe(0);
    await waitFor(
      'frr_bgp_peer_state 2',
      async () => (await value(`frr_bgp_peer_state{${frrLabels('ipv4')}}`)) === 2,
    );
    expect(await value('bgp_peer_admin_enabled')).toBe(0);
    // With `for: 1s` and 1 s evaluations the alert would be firing within a few seconds.
    await new Promise((done) => setTimeout(done, 4000));
    expect(await alerts('BgpSessionDown')).toEqual([]);
    expect(await value('bgp_peer_up')).toBe(0);
  });
});
