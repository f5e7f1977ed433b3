/**
 * The API and /metrics as the containerlab lab renders them (issue 14 §5): on every address (`::`,
 * IPv4 and IPv6 alike), reads open, actions behind a bearer token read from `api.token-file`
 * (RFC 6750 §2.1), the CLI taking it from RACKBGP_API_TOKEN_FILE; an unreadable token file stops
 * the start with a message naming the key.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, TestNet, waitFor } from './support/netns.js';
import { CLI } from './support/rackbgp.js';

if (process.env.CI === 'true' && !isRoot()) throw new Error('api-token: integration tests run as root in CI');

const TOKEN = 'f3a9c2e17b5d4e08a1c6';
const CONFIG = (tokenFile: string) => `router-id: 10.99.41.1
asn: 65041
fib: false
neighbors: [{ address: 10.99.41.2, asn: 65042, passive: true }]
api: { address: "::", port: 50179, token-file: ${tokenFile} }
metrics: { address: "::", port: 9179 }
`;

describe.skipIf(!isRoot())('API token and all-address listeners', () => {
  let net: TestNet;
  beforeAll(async () => {
    net = new TestNet('tok');
    await net.addNode('leaf');
    await net.addNode('prom');
    await net.link('leaf', 'prom', {
      a: ['10.99.41.1/30', 'fd99:41::1/64'],
      b: ['10.99.41.2/30', 'fd99:41::2/64'],
    });
  });
  afterAll(async () => {
    await net?.destroy();
  });

  /** An HTTP request from a node: the status code. */
  const request = async (node: string, url: string, method = 'GET', token?: string) => {
    const headers = token ? `{ authorization: 'Bearer ${token}' }` : '{}';
    const script = `fetch('${url}',{method:'${method}',headers:${headers}${method === 'POST' ? ",body:'{}'" : ''}}).then(r=>process.stdout.write(String(r.status)),e=>{console.error(String(e.cause ?? e));process.exit(1)})`;
    const r = await net.exec(node, process.execPath, ['-e', script]);
    if (r.code) throw new Error(r.stderr);
    return Number(r.stdout);
  };

  it('reads are open on IPv4 and IPv6, actions need the token from the file, the CLI reads it too', async () => {
    const tokenFile = join(net.dir, 'api-token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    chmodSync(tokenFile, 0o644);
    const cfg = join(net.dir, 'leaf.yaml');
    writeFileSync(cfg, CONFIG(tokenFile));
    const { child } = net.spawn('leaf', 'rackbgp', process.execPath, [CLI, 'run', '-c', cfg]);
    try {
      await waitFor(
        'API from prom',
        async () => (await request('prom', 'http://10.99.41.1:50179/api/status')) === 200,
      );
      expect(await request('prom', 'http://[fd99:41::1]:50179/api/status')).toBe(200);
      expect(await request('prom', 'http://10.99.41.1:9179/metrics')).toBe(200);
      expect(await request('prom', 'http://[fd99:41::1]:9179/metrics')).toBe(200);

      const reload = 'http://10.99.41.1:50179/api/reload';
      expect(await request('prom', reload, 'POST')).toBe(401);
      expect(await request('prom', reload, 'POST', 'f3a9c2e17b5d4e08a1c7')).toBe(401);
      expect(await request('prom', reload, 'POST', TOKEN)).toBe(200);
      // On loopback as well: with a token, every client needs it.
      expect(await request('leaf', 'http://127.0.0.1:50179/api/reload', 'POST')).toBe(401);

      // The CLI inside the node: no token → refused; RACKBGP_API_TOKEN_FILE → done; reads need none.
      const cli = (env: string[], args: string[]) =>
        net.exec('leaf', 'env', [...env, process.execPath, CLI, ...args, '--api', '127.0.0.1:50179']);
      const refused = await cli([], ['neighbor', 'reset', '10.99.41.2']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/token/);
      const done = await cli([`RACKBGP_API_TOKEN_FILE=${tokenFile}`], ['neighbor', 'reset', '10.99.41.2']);
      expect([done.code, done.stderr]).toEqual([0, '']);
      const shown = await cli([], ['show', 'summary']);
      expect(shown.stdout).toMatch(/10\.99\.41\.2/);
    } finally {
      await net.kill(child);
    }
  });

  it('an unreadable or short token file stops the start, naming api.token-file', async () => {
    const cfg = join(net.dir, 'missing.yaml');
    const missing = join(net.dir, 'no-such-token');
    writeFileSync(cfg, CONFIG(missing));
    const r = await net.exec('leaf', process.execPath, [CLI, 'run', '-c', cfg], 20_000);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain(`api.token-file: cannot read ${missing} (ENOENT)`);

    const short = join(net.dir, 'short-token');
    writeFileSync(short, 'abc\n');
    writeFileSync(cfg, CONFIG(short));
    const s = await net.exec('leaf', process.execPath, [CLI, 'run', '-c', cfg], 20_000);
    expect(s.code).not.toBe(0);
    expect(`${s.stdout}${s.stderr}`).toContain(
      `api.token-file: ${short} holds 3 characters; at least 8 needed`,
    );
  });
});
