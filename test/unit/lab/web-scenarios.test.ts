/** Scenario reports on the live view's timeline: steps, outages longest first, verdict; found once. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScenarioReport } from '../../../src/lab/scenario-types.js';
import {
  newScenarioReports,
  recordScenario,
  scenarioDir,
  scenarioItems,
} from '../../../src/lab/web-scenarios.js';

const gap = (startMs: number, ms: number, lost: number) => ({ startMs, start: '', ms, lost, events: [] });
const flow = (from: string, to: string, gaps: ReturnType<typeof gap>[]) => ({
  from,
  to,
  src: '10.233.64.1',
  dst: '10.233.69.1',
  sent: 100,
  received: 100 - gaps.reduce((a, g) => a + g.lost, 0),
  lost: gaps.reduce((a, g) => a + g.lost, 0),
  longest: gaps[0] ?? gap(0, 0, 0),
  gaps,
});

const report: ScenarioReport = {
  scenario: 'kill-node3',
  file: 'lab/scenarios/x.yaml',
  lab: 'seed',
  startedAt: '2026-12-06T19:00:00.000Z',
  durationMs: 9000,
  rate: 50,
  ok: false,
  steps: [
    { atMs: 1000, text: 'kill bird on node3', ok: true },
    { atMs: 5000, text: 'start bird on node3', ok: false, error: 'timeout' },
  ],
  flows: [
    flow('node1-pod1', 'node6-pod1', [gap(1020, 40, 0), gap(1100, 310.4, 15)]),
    flow('node3-pod1', 'node4-pod1', [gap(1010, 4000, 200)]),
  ],
  sessions: [],
  events: [],
  expectations: [
    { text: 'max-outage 1s', ok: false, detail: '4000 ms' },
    { text: 'sessions established', ok: true, detail: '' },
  ],
  notes: [],
};

describe('scenarioItems', () => {
  it('gives the steps, the outages that lost packets (longest first) and the verdict, at their times', () => {
    const t0 = Date.parse(report.startedAt);
    expect(scenarioItems(report)).toEqual([
      { t: t0 + 1000, device: 'scenario kill-node3', kind: 'scenario', text: 'kill bird on node3' },
      {
        t: t0 + 5000,
        device: 'scenario kill-node3',
        kind: 'scenario',
        text: 'start bird on node3 failed: timeout',
      },
      {
        t: t0 + 1010,
        device: 'node3-pod1',
        kind: 'outage',
        text: '→ node4-pod1 (10.233.69.1): 4000 ms without replies, 200 lost (scenario kill-node3)',
      },
      {
        t: t0 + 1100,
        device: 'node1-pod1',
        kind: 'outage',
        text: '→ node6-pod1 (10.233.69.1): 310 ms without replies, 15 lost (scenario kill-node3)',
      },
      { t: t0 + 9000, device: 'scenario kill-node3', kind: 'outage', text: 'failed: max-outage 1s' },
    ]);
  });

  it('says all expectations were met when they were', () => {
    const ok = { ...report, flows: [], steps: [], expectations: [report.expectations[1]] };
    expect(scenarioItems(ok)).toEqual([
      {
        t: Date.parse(report.startedAt) + 9000,
        device: 'scenario kill-node3',
        kind: 'scenario',
        text: 'all 1 expectations met',
      },
    ]);
  });
});

describe('recordScenario / newScenarioReports', () => {
  it('finds each recorded report once, skipping files that are not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'web-scenarios-'));
    try {
      const seen = new Set<string>();
      expect(newScenarioReports(dir, seen)).toEqual([]);
      recordScenario(dir, report);
      writeFileSync(join(scenarioDir(dir), 'broken.json'), '{');
      expect(newScenarioReports(dir, seen).map((r) => r.scenario)).toEqual(['kill-node3']);
      expect(newScenarioReports(dir, seen)).toEqual([]);
      recordScenario(dir, { ...report, scenario: 'second', startedAt: '2026-12-06T19:01:00.000Z' });
      expect(newScenarioReports(dir, seen).map((r) => r.scenario)).toEqual(['second']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
