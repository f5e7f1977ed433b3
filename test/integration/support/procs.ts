/**
 * Processes inside a test namespace found by their command line (for daemons whose start helper
 * keeps the child to itself), frozen and thawed with SIGSTOP/SIGCONT, and rackbgp's HTTP API read
 * from inside the namespace it listens in.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { type TestNet, waitFor } from './netns.js';

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
};

/** The one process in `node` whose command line matches (waits for it to appear). */
export async function findPid(net: TestNet, node: string, pattern: RegExp): Promise<number> {
  return waitFor(`process ${pattern} in ${node}`, async () => {
    const { stdout } = await promisify(execFile)('ip', ['netns', 'pids', net.ns(node)]);
    const found = stdout
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((pid) => pattern.test(cmdline(pid)));
    if (found.length > 1) throw new Error(`several processes match ${pattern}: ${found.join(', ')}`);
    return found[0];
  });
}

export const freeze = (pid: number) => process.kill(pid, 'SIGSTOP');
export const thaw = (pid: number) => process.kill(pid, 'SIGCONT');

/** GET on rackbgp's API (default port of support/rackbgp.ts) from inside `node`. */
export async function apiGet<T>(net: TestNet, node: string, path: string, port = 50179): Promise<T> {
  const script = `fetch('http://127.0.0.1:${port}${path}').then(r=>r.text()).then(t=>process.stdout.write(t),e=>{console.error(String(e));process.exit(1)})`;
  const r = await net.exec(node, process.execPath, ['-e', script]);
  if (r.code !== 0) throw new Error(`GET ${path}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
