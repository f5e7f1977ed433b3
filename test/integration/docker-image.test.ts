/**
 * Smoke test of the Docker image built by scripts/build-image.sh, run by scripts/test-image.sh (not by
 * `npm test`: it needs the image and a Docker engine): --version, config check,
 * and a container wired like a containerlab node (no network at start, eth1 added later) that runs
 * as the rackbgp user, turns healthy, peers with BIRD 1.6 in a namespace and says goodbye on stop;
 * its API and /metrics listen on all addresses as `lab render --containerlab` configures them, with
 * actions behind the token file the lab binds in (the CLI inside finds it via RACKBGP_API_TOKEN_FILE).
 */
import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIRD1, startBird } from './support/bird.js';
import { isRoot, TestNet, waitFor } from './support/netns.js';

const IMAGE = process.env.RACKBGP_IMAGE;
const run = promisify(execFile);

async function docker(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run('docker', args, { timeout: 60_000 });
    return { stdout: r.stdout, stderr: r.stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout ?? '', stderr: err.stderr ?? '', code: err.code ?? 1 };
  }
}

if (!IMAGE || !isRoot())
  throw new Error('run through scripts/test-image.sh (as root; it sets RACKBGP_IMAGE and DOCKER_HOST)');

describe(`the Docker image ${IMAGE}`, () => {
  const image = IMAGE ?? '';
  const containers: string[] = [];
  let net: TestNet;
  beforeAll(() => {
    net = new TestNet('img');
  });
  afterAll(async () => {
    for (const id of containers) await docker('rm', '-f', id);
    await net.destroy();
  });

  it('prints its version and checks config files', async () => {
    const version = await docker('run', '--rm', image, '--version');
    expect([version.code, version.stdout.trim()]).toEqual([0, process.env.npm_package_version ?? '0.1.0']);
    const ok = await docker('run', '--rm', image, 'config', 'check', '/usr/share/rackbgp/examples/leaf.yaml');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/leaf\.yaml: OK/);
    const bad = join(net.dir, 'bad.yaml');
    writeFileSync(bad, 'router-id: 10.0.0.1\nasn: 0\n');
    chmodSync(bad, 0o644);
    const r = await docker('run', '--rm', '-v', `${bad}:/c.yaml:ro`, image, 'config', 'check', '/c.yaml');
    expect([r.code, r.stderr.trim()]).toEqual([1, '/c.yaml:2:6: asn: must be at least 1, got the number 0']);
  });

  it('runs as a containerlab-style node: late eth1, unprivileged user, healthy, peers with BIRD, token, graceful restart, Cease on stop', async () => {
    const cfg = join(net.dir, 'rackbgp.yaml');
    writeFileSync(
      cfg,
      `router-id: 10.96.0.2
asn: 65010
fib: false
networks: [10.244.9.0/26]
neighbors: [{ address: 10.96.0.1, asn: 65011, connect-retry-time: 1 }]
api: { address: "::", port: 50179, token-file: /etc/rackbgp/api-token }
metrics: { address: "::", port: 9179 }
`,
    );
    chmodSync(cfg, 0o644);
    const token = join(net.dir, 'api-token');
    writeFileSync(token, '5e1f0c3a9b7d2e4f6a8c0b1d3e5f7a9c');
    chmodSync(token, 0o644);
    const started = await docker(
      'run',
      '-d',
      '--network',
      'none',
      '-v',
      `${cfg}:/etc/rackbgp/rackbgp.yaml:ro`,
      '-v',
      `${token}:/etc/rackbgp/api-token:ro`,
      '-e',
      'RACKBGP_API_TOKEN_FILE=/etc/rackbgp/api-token',
      image,
    );
    expect(started.code).toBe(0);
    const id = started.stdout.trim();
    containers.push(id);
    const pid = Number((await docker('inspect', '-f', '{{.State.Pid}}', id)).stdout.trim());
    // The daemon runs as the rackbgp user with only network capabilities, ambient.
    const status = (await docker('exec', id, 'cat', '/proc/1/status')).stdout;
    expect(status).toMatch(/^Uid:\s+[1-9]\d*\s/m);
    const amb = BigInt(`0x${/^CapAmb:\s+([0-9a-f]+)/m.exec(status)![1]}`);
    expect(amb & ~((1n << 10n) | (1n << 12n) | (1n << 13n))).toBe(0n);
    expect(amb & (1n << 10n)).toBe(1n << 10n); // CAP_NET_BIND_SERVICE

    // eth1 appears after the start, as containerlab wires it.
    await net.addNode('bird');
    await net.sh('bird', `ip link add eth0 type veth peer name eth1 netns ${pid}`);
    await net.sh('bird', 'ip addr add 10.96.0.1/24 dev eth0 && ip link set eth0 up');
    await run('nsenter', [
      '-t',
      String(pid),
      '-n',
      'sh',
      '-c',
      'ip addr add 10.96.0.2/24 dev eth1 && ip link set eth1 up',
    ]);
    const bird = await startBird(
      net,
      'bird',
      BIRD1,
      `router id 10.96.0.1;
protocol device {}
protocol bgp rack { local 10.96.0.1 as 65011; neighbor 10.96.0.2 as 65010; import all; export none; }
`,
    );
    await bird.waitEstablished('rack');
    await waitFor('route at BIRD', async () => (await bird.cli('show route')).includes('10.244.9.0/26'));
    await waitFor(
      'healthy',
      async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', id)).stdout.trim() === 'healthy',
      40_000,
      500,
    );
    const summary = await docker('exec', id, 'rackbgp', 'show', 'summary');
    expect(summary.stdout).toMatch(/^10\.96\.0\.1\s+4\s+65011\s.*\s1\s+N\/A$/m);

    // From the peer's side: /metrics and reads open, an action without the token refused (401);
    // inside the container the CLI reads the token file the lab binds in.
    const httpStatus = async (url: string, method = 'GET') => {
      const script = `fetch('${url}',{method:'${method}'${method === 'POST' ? ",body:'{}'" : ''}}).then(r=>process.stdout.write(String(r.status)))`;
      return Number((await net.exec('bird', process.execPath, ['-e', script])).stdout);
    };
    expect(await httpStatus('http://10.96.0.2:9179/metrics')).toBe(200);
    expect(await httpStatus('http://10.96.0.2:50179/api/status')).toBe(200);
    expect(await httpStatus('http://10.96.0.2:50179/api/reload', 'POST')).toBe(401);
    const reload = await docker('exec', id, 'rackbgp', 'reload');
    expect([reload.code, reload.stderr]).toEqual([0, '']);

    // A graceful restart inside the container: the entrypoint starts the daemon again, the node (its
    // links, its namespace) stays, and the session with BIRD comes back.
    const since = /\s(\S+)\s+Established/.exec(await bird.protocol('rack'))?.[1];
    const restart = await docker('exec', id, 'rackbgp', 'restart');
    expect([restart.code, restart.stderr]).toEqual([0, '']);
    await waitFor('daemon started again', async () =>
      (await docker('logs', id)).stderr.includes(
        'rackbgp exited 0 for a graceful restart; starting it again',
      ),
    );
    await waitFor('session back', async () => {
      const m = /\s(\S+)\s+Established/.exec(await bird.protocol('rack'));
      return m !== null && m[1] !== since;
    });
    await waitFor('route at BIRD again', async () =>
      (await bird.cli('show route')).includes('10.244.9.0/26'),
    );
    expect((await docker('inspect', '-f', '{{.State.Running}} {{.RestartCount}}', id)).stdout.trim()).toBe(
      'true 0',
    );

    expect((await docker('stop', id)).code).toBe(0);
    expect((await docker('inspect', '-f', '{{.State.ExitCode}}', id)).stdout.trim()).toBe('0');
    await waitFor('BIRD told', async () => /Administrative shutdown/.test(await bird.protocol('rack')));
    expect(await bird.protocol('rack')).toMatch(/Message:\s+rackbgp shutting down/);
  });
});
