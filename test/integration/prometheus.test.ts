/**
 * A real Prometheus (Debian's 2.42) scrapes rackbgp peered with BIRD 1.6 in a namespace; its query
 * API returns bgp_peer_up == 1 and the number of prefixes BIRD announced.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIRD1, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { startRackbgp } from './support/rackbgp.js';

const PROMETHEUS = '/usr/bin/prometheus';
const missing = isRoot() ? requireTools(PROMETHEUS, BIRD1.daemon) : ['root'];

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

describe.skipIf(missing.length > 0)('Prometheus scrapes rackbgp', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('prom');
    await net.addNode('r');
    await net.addNode('b');
    await net.link('r', 'b', { a: ['10.95.0.2/24'], b: ['10.95.0.1/24'] });
  });
  afterEach(async () => {
    await net.destroy();
  });

  it('bgp_peer_up is 1 and the received-prefix count is what BIRD announced', async () => {
    await startRackbgp(
      net,
      'r',
      `router-id: 10.95.0.2
asn: 65000
fib: false
metrics: { address: 127.0.0.1, port: 9179 }
neighbors: [{ address: 10.95.0.1, asn: 64512, passive: true }]
`,
    );
    const bird = await startBird(
      net,
      'b',
      BIRD1,
      `router id 10.95.0.1;
protocol device {}
protocol static { route 10.244.5.0/26 blackhole; route 10.244.6.0/26 blackhole; route 10.244.7.0/26 blackhole; }
protocol bgp rack { local 10.95.0.1 as 64512; neighbor 10.95.0.2 as 65000; import none; export all; connect retry time 1; }
`,
    );
    await bird.waitEstablished('rack');

    const config = join(net.dir, 'prometheus.yml');
    writeFileSync(
      config,
      `global: { scrape_interval: 1s, evaluation_interval: 1s }
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
    const query = async (q: string): Promise<Sample[]> => {
      const url = `http://127.0.0.1:9090/api/v1/query?query=${encodeURIComponent(q)}`;
      const script = `fetch(${JSON.stringify(url)}).then(r=>r.text()).then(t=>process.stdout.write(t),e=>{console.error(String(e));process.exit(1)})`;
      const r = await net.exec('r', process.execPath, ['-e', script]);
      if (r.code) throw new Error(r.stderr);
      const body = JSON.parse(r.stdout) as { status: string; data: { result: Sample[] } };
      if (body.status !== 'success') throw new Error(r.stdout);
      return body.data.result;
    };
    const up = await waitFor('bgp_peer_up == 1 in Prometheus', async () => {
      const s = await query('bgp_peer_up == 1');
      return s.length ? s : undefined;
    });
    expect(up.map((s) => [s.metric.peer, s.metric.job, s.value[1]])).toEqual([['10.95.0.1', 'rackbgp', '1']]);
    const prefixes = await waitFor('three prefixes', async () => {
      const s = await query('bgp_peer_prefixes_received{peer="10.95.0.1",afi_safi="ipv4-unicast"}');
      return s[0]?.value[1] === '3' ? s : undefined;
    });
    expect(prefixes).toHaveLength(1);
    expect((await query('bgp_peer_state{state="Established"}'))[0].value[1]).toBe('1');
    expect(Number((await query('process_resident_memory_bytes'))[0].value[1])).toBeGreaterThan(1e6);
  });
});
