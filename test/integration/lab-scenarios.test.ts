/**
 * Shipped lab scenarios against the real seed lab (rackbgp switches, calico-node BIRDs in
 * namespaces), through the CLI as a user runs them: a reflector's graceful restart loses no packet
 * between any pods; calico-node restarting on node3 without graceful restart costs node3's pod a
 * measured outage that lines up with BIRD's Cease, while pods elsewhere lose nothing; a failed
 * expectation exits 1; the probers leave nothing behind and `lab down` removes the restarted daemons.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioReport } from '../../src/lab/scenario-types.js';
import { BIRD1 } from './support/bird.js';
import { LabCli } from './support/lab.js';
import { isRoot, requireTools } from './support/netns.js';

const skip = !isRoot() || requireTools(BIRD1.daemon, BIRD1.client, '/usr/bin/ping').length > 0;
const SEED = resolve(import.meta.dirname, '../../lab/seed.yaml');
const SCENARIOS = resolve(import.meta.dirname, '../../lab/scenarios');

describe.skipIf(skip)('lab scenarios on the seed lab', () => {
  const lab = new LabCli(`sc${process.pid % 100000}`);
  const out = mkdtempSync(join(tmpdir(), 'rackbgp-scenario-test-'));

  beforeAll(async () => {
    const up = await lab.up(SEED);
    expect(up.code, up.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    // Daemons the scenarios restarted are in the state file: they must go with the lab too.
    try {
      lab.pids.push(...lab.state().processes.map((p) => p.pid));
    } catch {}
    const down = await lab.down();
    rmSync(out, { recursive: true, force: true });
    expect(down.namespacesLeft).toBe(false);
    expect(down.processesLeft).toEqual([]);
    expect(down.run.code, down.run.stderr).toBe(0);
  }, 30_000);

  /** Runs a scenario with --json and --report; the lab may need up to 150 s to converge first. */
  async function scenario(file: string, name: string) {
    const dir = join(out, name);
    const r = await lab.run(
      'scenario',
      file,
      '--name',
      lab.name,
      '--json',
      '--report',
      dir,
      '--settle',
      '150',
    );
    let report: ScenarioReport | undefined;
    try {
      report = JSON.parse(r.stdout) as ScenarioReport;
    } catch {}
    console.log(
      `${name}: exit ${r.code} in ${r.ms} ms\n${report ? readFileSync(join(dir, 'report.txt'), 'utf8') : r.stderr}`,
    );
    return { ...r, report: report!, dir };
  }

  const touches = (f: { from: string; to: string }, pod: string) => f.from === pod || f.to === pod;

  it('a reflector restarted with graceful restart: pods lose at most one packet', async () => {
    const r = await scenario(join(SCENARIOS, 'reflector-graceful-restart.yaml'), 'gr');
    expect(r.code, r.stderr).toBe(0);
    const rep = r.report;
    expect(rep.ok).toBe(true);
    expect(rep.flows).toHaveLength(18);
    // 100 packets/s for 15 s per flow. Pods on other nodes lose at most the one packet of leaf1's
    // ECMP route change (delete + add, see the scenario file); node2's own pod lost one packet in 2
    // of 5 runs as node2's sessions came back (the scenario allows 50 ms).
    for (const f of rep.flows) {
      expect(f.sent).toBeGreaterThan(1400);
      expect(f.lost).toBeLessThanOrEqual(touches(f, 'node2-pod1') ? 5 : 1);
    }
    // node2's sessions went down (BIRD killed) and came back; the others stayed up.
    const node2 = rep.sessions.filter((s) => s.label.includes('node2'));
    expect(node2).toHaveLength(3);
    for (const s of node2) expect(s.down.length).toBeGreaterThan(0);
    expect(rep.events.some((e) => e.source === 'node2' && e.type === 'bird-down')).toBe(true);
    expect(rep.expectations.map((e) => e.ok)).toEqual([true, true, true, true]);
    const svg = readFileSync(join(r.dir, 'timeline.svg'), 'utf8');
    expect(svg).toContain('node1-pod1 → node4-pod1');
    expect(svg).toContain('leaf1 ↔ node2 (leaf-reflector)');
    expect(JSON.parse(readFileSync(join(r.dir, 'report.json'), 'utf8')).scenario).toBe(
      'reflector-graceful-restart',
    );
    // The probers are gone: nothing runs in the pods' namespaces.
    const { stdout } = await promisify(execFile)('ip', ['netns', 'pids', `rbl-${lab.name}-node1-pod1`]);
    expect(stdout.trim()).toBe('');
  }, 240_000);

  it('calico-node restarted on node3 without graceful restart: node3’s pod loses seconds, others nothing', async () => {
    const r = await scenario(join(SCENARIOS, 'calico-node-restart.yaml'), 'node3');
    expect(r.code, r.stderr).toBe(0);
    const rep = r.report;
    const node3 = rep.flows.filter((f) => touches(f, 'node3-pod1'));
    expect(node3).toHaveLength(6);
    for (const f of node3) {
      // Measured: 1.1–12 s (Cease at once, then the new BIRD's sessions come back), up to the end
      // of the run when node3's sessions keep colliding (both ends dial).
      expect(f.longest.ms).toBeGreaterThan(500);
      expect(f.longest.startMs + f.longest.ms).toBeLessThanOrEqual(rep.durationMs + 10);
      // The gap starts right after the restart step (2 s) …
      expect(f.longest.startMs).toBeGreaterThan(1900);
      expect(f.longest.startMs).toBeLessThan(3000);
      // … and lines up with the reflectors hearing node3's Cease.
      expect(f.longest.events.map((e) => e.text).join('\n')).toMatch(
        /Node_172_20_0_13 Established → .*Administrative shutdown/,
      );
    }
    for (const f of rep.flows.filter((x) => !touches(x, 'node3-pod1'))) expect(f.lost).toBe(0);
    expect(rep.expectations.every((e) => e.ok)).toBe(true);
  }, 240_000);

  const rack1 = ['node1-pod1', 'node2-pod1', 'node3-pod1'];
  const crossesRack1 = (f: { from: string; to: string }) => rack1.includes(f.from) !== rack1.includes(f.to);

  it("leaf1's uplink down for 5 s: every flow stops for that long, the BGP sessions stay up", async () => {
    const r = await scenario(join(SCENARIOS, 'leaf-uplink-down.yaml'), 'uplink');
    expect(r.code, r.stderr).toBe(0);
    const rep = r.report;
    expect(rep.flows).toHaveLength(18);
    // Every flow crosses leaf1 ↔ spine: one gap each, from the link going down (2 s) for about 5 s.
    for (const f of rep.flows) {
      expect(f.longest.ms).toBeGreaterThan(4500);
      expect(f.longest.ms).toBeLessThan(6000);
      expect(f.longest.startMs).toBeGreaterThan(1900);
      expect(f.longest.startMs).toBeLessThan(2500);
    }
    // 5 s is inside the 90 s hold time: no session went down anywhere.
    for (const s of rep.sessions) expect(s.down, s.label).toEqual([]);
    expect(rep.steps.map((s) => s.text)).toEqual([expect.stringMatching(/link leaf1 eth1 down/)]);
    expect(rep.expectations.every((e) => e.ok)).toBe(true);
  }, 240_000);

  it('both reflectors of rack1 down 8 s: rack1 cut off from rack2 for that long', async () => {
    const r = await scenario(join(SCENARIOS, 'rack-reflectors-down.yaml'), 'rr-down');
    expect(r.code, r.stderr).toBe(0);
    const rep = r.report;
    expect(rep.flows.filter(crossesRack1)).toHaveLength(18);
    // Into rack1 and out of node3 (a client of the two reflectors): at least the 8 s the reflectors
    // are away, from the step at 2 s on (BIRD's Cease makes leaf1 withdraw rack1's blocks).
    for (const f of rep.flows.filter((x) => rack1.includes(x.to) || x.from === 'node3-pod1')) {
      expect(f.longest.ms, `${f.from} → ${f.to}`).toBeGreaterThan(8000);
      expect(f.longest.startMs).toBeLessThan(3000);
    }
    // The reflectors' own pods keep sending while BIRD is down (its `persist` keeps their kernel
    // routes) and lose a moment when the new BIRDs start, 8 s later.
    for (const f of rep.flows.filter((x) => x.from === 'node1-pod1' || x.from === 'node2-pod1')) {
      expect(f.longest.startMs, `${f.from} → ${f.to}`).toBeGreaterThan(9500);
      expect(f.longest.ms).toBeLessThan(5000);
    }
    // leaf1 saw both reflectors go (its journal) and BIRD on node3 lost both of its sessions.
    const leaf1Down = rep.events.filter((e) => e.source === 'leaf1' && /session-down/.test(e.type));
    expect(new Set(leaf1Down.map((e) => e.text.match(/172\.20\.0\.1[12]/)?.[0]))).toEqual(
      new Set(['172.20.0.11', '172.20.0.12']),
    );
    for (const n of ['node1', 'node2'])
      for (const s of rep.sessions.filter((x) => x.label.includes(n)))
        expect(s.down.length, s.label).toBeGreaterThan(0);
    expect(rep.expectations.every((e) => e.ok)).toBe(true);
  }, 240_000);

  it("leaf1 silent toward node1: node1's hold timer expires, traffic moves to node2 (≤ 1 packet)", async () => {
    const r = await scenario(join(SCENARIOS, 'leaf-reflector-hold-expiry.yaml'), 'hold');
    expect(r.code, r.stderr).toBe(0);
    const rep = r.report;
    // Only flows leaving node1 may lose one packet: node1's BIRD 1.6 swaps its path to rack2
    // (eBGP from leaf1 → iBGP from node2, same next hop) in its kernel; leaf1's own change is atomic.
    for (const f of rep.flows)
      expect(f.lost, `${f.from} → ${f.to}`).toBeLessThanOrEqual(f.from.startsWith('node1-') ? 1 : 0);
    // Only leaf1 ↔ node1 went down: node1 sent Hold Timer Expired (NOTIFICATION 4/0) after up to
    // 90 s of silence (the fault started at 2 s), and it came back.
    const down = rep.sessions.filter((s) => s.down.length);
    expect(down.map((s) => s.label)).toEqual(['leaf1 ↔ node1 (leaf-reflector)']);
    const at = down[0].down[0].startMs;
    // Seen 52.5–89 s into the fault (CI runs of 2026-12-06: 58.9, 52.5): well past any KEEPALIVE
    // interval, so the silence, not the fault's start, ended the session.
    expect(at).toBeGreaterThan(2000 + 40_000);
    expect(at).toBeLessThan(2000 + 92_000);
    const leaf1 = rep.events.filter((e) => e.source === 'leaf1' && e.type === 'session-down');
    expect(leaf1.map((e) => e.text).join('\n')).toMatch(/172\.20\.0\.11 cause=notification-received/);
    // BIRD on node1 says why (its protocol's state on the control socket).
    expect(
      rep.events
        .filter((e) => e.source === 'node1')
        .map((e) => e.text)
        .join('\n'),
    ).toMatch(/Hold timer expired/i);
    expect(rep.events.some((e) => e.source === 'leaf1' && e.type === 'fault-start')).toBe(true);
    expect(rep.expectations.every((e) => e.ok)).toBe(true);
  }, 330_000);

  it('exits 1 when an expectation fails, and says which', async () => {
    const file = join(out, 'quiet.yaml');
    writeFileSync(file, 'name: quiet\nsteps:\n  - wait: 1s\nduration: 2s\nexpect:\n  - min-outage: 1s\n');
    const r = await scenario(file, 'quiet');
    expect(r.code).toBe(1);
    expect(r.report.ok).toBe(false);
    expect(r.report.expectations).toEqual([
      { text: 'min-outage: 1s', ok: false, detail: 'want ≥ 1s: no packet lost in 18 flows' },
    ]);
    const bad = await lab.run('scenario', join(SCENARIOS, 'nope.yaml'), '--name', lab.name);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/nope\.yaml: ENOENT/);
  }, 240_000);
});
