/**
 * The live web view in a real browser (Debian's chromium, headless, driven by puppeteer-core): the
 * seed lab up, `rackbgp lab web` serving it; the page loads without a console error, shows every
 * device and session of the lab, a killed BIRD turns its sessions down within 3 s, a fault started
 * with `rackbgp fault` reaches the timeline, the lookup answers hop by hop; a leaf's own API port
 * serves the same page for that switch. Bad input (unknown lab, port in use) exits 2.
 * RACKBGP_WEB_SCREENSHOTS=DIR writes the screenshots there (docs/ for the README).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../../src/web/view-model.js';
import { BIRD1 } from './support/bird.js';
import { LabCli } from './support/lab.js';
import { isRoot, requireTools } from './support/netns.js';
import { CLI } from './support/rackbgp.js';

/** The page's DOM as the functions run in the browser use it (this test compiles without lib.dom). */
interface Elem {
  getAttribute(name: string): string | null;
  readonly textContent: string | null;
}
declare const document: {
  querySelector(s: string): Elem | null;
  querySelectorAll(s: string): ArrayLike<Elem> & Iterable<Elem>;
};

const CHROMIUM = '/usr/bin/chromium';
const skip = !isRoot() || requireTools(BIRD1.daemon, BIRD1.client, CHROMIUM).length > 0;
const SEED = resolve(import.meta.dirname, '../../lab/seed.yaml');
const SHOTS = process.env.RACKBGP_WEB_SCREENSHOTS;

/** Over a pipe, not a DevTools port: the browser may run in another network namespace. */
const launch = (executablePath = CHROMIUM) =>
  puppeteer.launch({
    executablePath,
    pipe: true,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    defaultViewport: { width: 1400, height: 980 },
  });

/** A page that records every console error and uncaught exception. */
async function open(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 15_000 });
  return { page, errors };
}

const healthOf = (page: Page, ids: string[]) =>
  page.$$eval(
    '#topology [data-session]',
    (els, want) => {
      const out: Record<string, string> = {};
      for (const e of els)
        if (want.includes(e.getAttribute('data-session')!))
          out[e.getAttribute('data-session')!] = e.getAttribute('data-health')!;
      return out;
    },
    ids,
  );

describe.skipIf(skip)('live web view of the seed lab (chromium)', () => {
  const lab = new LabCli(`wb${process.pid % 100000}`);
  const env = { ...process.env, RACKBGP_LAB_DIR: lab.base };
  let web: ChildProcess | undefined;
  let url = '';
  let browser: Browser | undefined;
  let topology: Topology;

  beforeAll(async () => {
    const up = await lab.up(SEED);
    expect(up.code, up.stderr).toBe(0);
    web = spawn(process.execPath, [CLI, 'lab', 'web', '--name', lab.name, '--port', '0'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    web.stderr!.on('data', (d) => {
      stderr += d;
    });
    url = await new Promise<string>((ok, fail) => {
      createInterface({ input: web!.stdout! }).on('line', (l) => {
        const m = /(http:\/\/\S+)/.exec(l);
        if (m) ok(m[1]);
      });
      web!.on('exit', (c) => fail(new Error(`lab web exited ${c}: ${stderr}`)));
    });
    topology = (await (await fetch(`${url}api/view/topology`)).json()) as Topology;
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (web?.pid && web.exitCode === null) {
      web.kill('SIGTERM');
      await new Promise((r) => web!.once('exit', r));
    }
    const down = await lab.down();
    expect(down.namespacesLeft).toBe(false);
    expect(down.processesLeft).toEqual([]);
  }, 30_000);

  it('loads without a console error and shows every device and session, all Established', async () => {
    const { page, errors } = await open(browser!, url);
    const devices = await page.$$eval('#topology [data-device]', (els) =>
      els.map((e) => e.getAttribute('data-device')),
    );
    expect(devices.sort()).toEqual(topology.devices.map((d) => d.name).sort());
    expect(devices).toHaveLength(15);
    expect(topology.sessions).toHaveLength(12);
    const ids = topology.sessions.map((s) => s.id);
    const t0 = Date.now();
    await page.waitForFunction(
      (n) => document.querySelectorAll('#topology [data-session][data-health="up"]').length === n,
      { timeout: 30_000, polling: 100 },
      ids.length,
    );
    console.log(`all ${ids.length} sessions up on the page ${Date.now() - t0} ms after it loaded`);
    // Route counts: every switch and node shows one.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('.device:not(.role-pod) .count')].every((c) => c.textContent !== ''),
      { timeout: 10_000 },
    );
    // The counts follow the routes as they arrive (a session is up before its routes are in):
    // leaf1 comes to hold rack1's blocks and more.
    await page.waitForFunction(
      () => Number(document.querySelector('[data-device="leaf1"] .count')?.textContent) >= 6,
      { timeout: 15_000, polling: 100 },
    );
    await page.click('[data-device="leaf2"] rect');
    await page.waitForSelector('#panel[data-device="leaf2"] table');
    const sections = await page.$$eval('#panel summary', (els) => els.map((e) => e.textContent));
    expect(sections.join('|')).toMatch(/show summary \(3\)\|routes \(Loc-RIB\) \(6\)\|FIB \(kernel\)/);
    // leaf2 reaches rack2's blocks over both reflectors: an ECMP set, highlighted on hover.
    const ecmpRow = await page.$('#panel tr.multi');
    expect(ecmpRow).not.toBeNull();
    await ecmpRow!.hover();
    expect(
      await page.$$eval('#topology .device.ecmp', (els) =>
        els.map((e) => e.getAttribute('data-device')).sort(),
      ),
    ).toEqual(['leaf2', 'node4', 'node5']);
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'web-lab.png') });
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it("turns a killed BIRD's sessions down within 3 s and a CLI fault appears on the timeline", async () => {
    const { page, errors } = await open(browser!, url);
    const node3 = topology.sessions.filter((s) => s.ends.some((e) => e.device === 'node3')).map((s) => s.id);
    expect(node3).toHaveLength(2);
    await page.waitForFunction(
      (ids) =>
        ids.every(
          (id: string) =>
            document.querySelector(`[data-session="${id}"]`)?.getAttribute('data-health') === 'up',
        ),
      { timeout: 20_000 },
      node3,
    );
    const bird = lab.state().processes.find((p) => p.device === 'node3' && p.name === 'bird')!;
    const t0 = Date.now();
    process.kill(bird.pid, 'SIGKILL');
    await page.waitForFunction(
      (ids) =>
        ids.every(
          (id: string) =>
            document.querySelector(`[data-session="${id}"]`)?.getAttribute('data-health') === 'down',
        ),
      { timeout: 3000, polling: 50 },
      node3,
    );
    const ms = Date.now() - t0;
    console.log(`node3's BIRD killed: its ${node3.length} sessions down on the page after ${ms} ms`);
    expect(ms).toBeLessThan(3000);
    expect(Object.values(await healthOf(page, node3))).toEqual(['down', 'down']);
    await page.waitForSelector('#timeline li[data-kind="daemon"][data-device="node3"]', { timeout: 2000 });

    // A fault on leaf1's session to the spine, from the CLI inside leaf1's namespace.
    const f0 = Date.now();
    const fault = await promisify(execFile)('ip', [
      'netns',
      'exec',
      `rbl-${lab.name}-leaf1`,
      process.execPath,
      CLI,
      'fault',
      '10.0.1.2',
      'delay-updates',
      '1s',
      '--for',
      '5s',
    ]);
    expect(fault.stdout + fault.stderr).toMatch(/fault/i);
    // From the CLI's answer (the fault is on) to the page: the agent polls the journal every 200 ms.
    const f1 = Date.now();
    const item = await page.waitForSelector('#timeline li[data-kind="fault"][data-device="leaf1"]', {
      timeout: 5000,
    });
    expect(await item!.evaluate((e) => e.textContent)).toMatch(
      /fault-start 10\.0\.1\.2 .*kind=delay-updates/,
    );
    console.log(`rackbgp fault took ${f1 - f0} ms; on the timeline ${Date.now() - f1} ms after it answered`);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'web-lab-outage.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('answers where a packet goes, hop by hop, across racks and through the ECMP set', async () => {
    const { page, errors } = await open(browser!, url);
    await page.type('#lookup-query', '10.233.69.1');
    await page.select('#lookup-from', 'node1-pod1');
    await page.click('#lookup button');
    await page.waitForSelector('#lookup-result[data-delivered]');
    const hops = await page.$$eval('#lookup-result .hops li', (els) =>
      els.map((e) => `${e.getAttribute('data-depth')} ${e.getAttribute('data-device')}`),
    );
    expect(hops).toEqual([
      '0 node1-pod1',
      '1 node1',
      '2 leaf1',
      '3 spine',
      '4 leaf2',
      '5 node4',
      '5 node5',
      '6 node6',
      '7 node6-pod1',
    ]);
    expect(await page.$eval('#lookup-result', (e) => e.getAttribute('data-delivered'))).toBe('true');
    expect(await page.$eval('#lookup-result .hops li[data-device="leaf2"]', (e) => e.textContent)).toContain(
      '→ node4 | node5',
    );
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'web-lab-lookup.png') });
    // A query that is no address: the page says so.
    await page.$eval('#lookup-query', (e) => {
      (e as unknown as { value: string }).value = 'leaf9';
    });
    await page.click('#lookup button');
    await page.waitForSelector('#lookup-result .error');
    expect(errors.filter((e) => !e.includes('400'))).toEqual([]);
    await page.close();
  });

  it("is served at / of a leaf's API port too, for that switch", async () => {
    // The API listens on the leaf namespace's loopback: a second browser runs inside that namespace.
    const wrapper = join(lab.base, 'chromium-in-leaf1');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec rbl-${lab.name}-leaf1 ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const inLeaf = await launch(wrapper);
    try {
      const { page, errors } = await open(inLeaf, 'http://127.0.0.1:50179/');
      expect(await page.$eval('#title', (e) => e.textContent)).toBe('rackbgp AS65001 10.0.1.1');
      const devices = await page.$$eval('#topology [data-device]', (els) =>
        els.map((e) => e.getAttribute('data-device')).sort(),
      );
      expect(devices).toEqual(['10.0.1.1', '10.0.1.2', '172.20.0.11', '172.20.0.12']);
      await page.waitForFunction(
        () => document.querySelectorAll('#topology [data-session][data-health="up"]').length === 3,
        { timeout: 10_000 },
      );
      await page.click('[data-device="10.0.1.1"] rect');
      await page.waitForSelector('#panel[data-device="10.0.1.1"] table');
      if (SHOTS) await page.screenshot({ path: join(SHOTS, 'web-daemon.png') });
      expect(errors).toEqual([]);
    } finally {
      await inLeaf.close();
    }
  });

  it('exits 2 with the reason for an unknown lab and for a port in use', async () => {
    const r1 = await lab.run('web', '--name', 'nosuchlab', '--port', '0');
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('lab nosuchlab is not up');
    const port = new URL(url).port;
    const r2 = await lab.run('web', '--name', lab.name, '--port', port);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
  });
});
