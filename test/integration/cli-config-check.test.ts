/** `rackbgp config check FILE` with the built CLI: the shipped examples pass, a broken file lists file:line:col errors. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './support/rackbgp.js';

const run = async (args: string[]) => {
  try {
    const r = await promisify(execFile)(process.execPath, [CLI, ...args]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
};

const dir = mkdtempSync(join(tmpdir(), 'rackbgp-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rackbgp config check', () => {
  it.each(['spine', 'leaf', 'route-reflector'])('examples/%s.yaml is valid (exit 0)', async (name) => {
    const r = await run(['config', 'check', `examples/${name}.yaml`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^examples/${name}\\.yaml: OK \\(AS \\d+, router-id [\\d.]+, \\d+ neighbors`),
    );
  });

  it('a broken file: exit 1 and one file:line:col line per problem', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      'router-id: 10.0.0.1\nasn: 65000\napi: { token: short }\nneighbors:\n  - { address: 10.0.0.2, asn: 70000000000 }\n',
    );
    const r = await run(['config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:3:15: api.token: must be at least 8 characters`,
      `${file}:5:31: neighbors[0].asn: must be at most 4294967295, got the number 70000000000`,
    ]);
  });
});
