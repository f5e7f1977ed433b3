import { describe, expect, it } from 'vitest';
import { loadLab } from '../../../src/lab/load.js';
import { type LabPlan, plan } from '../../../src/lab/plan.js';
import { type AgentResult, flowRecords } from '../../../src/lab/prober.js';
import { podsOf } from '../../../src/lab/scenario.js';
import {
  checkOutage,
  eventsForGap,
  findGaps,
  flowLabel,
  flowReport,
  formatScenarioReport,
  pickEvents,
  sessionRows,
} from '../../../src/lab/scenario-analysis.js';
import type { FlowRecord, ScenarioReport, TimedEvent } from '../../../src/lab/scenario-types.js';
import { DUAL, SEED } from './fixtures.js';

const T0 = 1_700_000_000_000;
const lab = loadLab(SEED);
const p: LabPlan = plan(lab, { workDir: '/w', node: '/usr/bin/node', cli: '/cli.js' });

/** A flow of `sent` packets every 10 ms from T0, of which `lost` seqs never arrived. */
function flow(sent: number, lost: Iterable<number>, extra: Partial<FlowRecord> = {}): FlowRecord {
  const gone = new Set(lost);
  return {
    from: 'node3-pod1',
    to: 'node4-pod1',
    src: '10.233.66.1',
    dst: '10.233.67.1',
    sent,
    startAt: T0,
    lastSentAt: T0 + (sent - 1) * 10,
    intervalMs: 10,
    received: Array.from({ length: sent }, (_, seq) => ({ seq, sentAt: T0 + seq * 10 })).filter(
      (r) => !gone.has(r.seq),
    ),
    ...extra,
  };
}
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('findGaps', () => {
  it('finds no gap when every packet arrived, in any order and with duplicates', () => {
    const f = flow(100, []);
    expect(findGaps({ ...f, received: [...f.received].reverse().concat(f.received.slice(0, 5)) })).toEqual(
      [],
    );
  });

  it('times a run of losses by the send schedule: first lost packet due → next delivered one sent', () => {
    // seqs 200..399 lost: 2 s without delivery, from 2.00 s to 4.00 s.
    expect(findGaps(flow(1000, range(200, 400)))).toEqual([
      { start: T0 + 2000, end: T0 + 4000, ms: 2000, lost: 200 },
    ]);
  });

  it('one lost packet is a gap of one interval; several runs are several gaps', () => {
    expect(findGaps(flow(100, [10, 50, 51]))).toEqual([
      { start: T0 + 100, end: T0 + 110, ms: 10, lost: 1 },
      { start: T0 + 500, end: T0 + 520, ms: 20, lost: 2 },
    ]);
  });

  it('counts a loss at the start from the first send, one at the end up to the last send', () => {
    expect(findGaps(flow(100, [0, 1, 2, 97, 98, 99]))).toEqual([
      { start: T0, end: T0 + 30, ms: 30, lost: 3 },
      { start: T0 + 970, end: T0 + 1000, ms: 30, lost: 3 },
    ]);
    expect(findGaps(flow(10, range(0, 10)))).toEqual([{ start: T0, end: T0 + 100, ms: 100, lost: 10 }]);
    expect(findGaps(flow(0, []))).toEqual([]);
  });
});

describe('events around a gap', () => {
  const ev = (t: number, text: string, extra: Partial<TimedEvent> = {}): TimedEvent => ({
    t: T0 + t,
    source: 'leaf1',
    origin: 'journal',
    type: 'session-down',
    text,
    ...extra,
  });
  const gap = { start: T0 + 5000, end: T0 + 6000, ms: 1000, lost: 100 };
  const events = [
    ev(1000, 'too early'),
    ev(2500, 'lead: may have caused it'),
    ev(5500, 'inside'),
    ev(5600, 'route-withdraw for node3 block', { prefix: '10.233.66.0/26', type: 'route-withdraw' }),
    ev(5600, 'route-withdraw for node5 block', { prefix: '10.233.68.0/26', type: 'route-withdraw' }),
    ev(6900, 'trail'),
    ev(7500, 'too late'),
  ];
  it('keeps events from 3 s before to 1 s after, prefix events only for the flow’s addresses', () => {
    expect(eventsForGap(gap, { src: '10.233.66.1', dst: '10.233.67.1' }, events).map((e) => e.text)).toEqual([
      'lead: may have caused it',
      'inside',
      'route-withdraw for node3 block',
      'trail',
    ]);
  });

  it('builds the flow report: loss, longest gap with its start and events, times after t0', () => {
    const r = flowReport(flow(1000, [...range(100, 110), ...range(500, 600)]), events, T0);
    expect(r).toMatchObject({ sent: 1000, received: 890, lost: 110 });
    expect(r.gaps.map((g) => [g.startMs, g.ms, g.lost])).toEqual([
      [1000, 100, 10],
      [5000, 1000, 100],
    ]);
    expect(r.longest.startMs).toBe(5000);
    expect(r.longest.start).toBe(new Date(T0 + 5000).toISOString());
    expect(r.longest.events.map((e) => [e.atMs, e.text])).toEqual([
      [2500, 'lead: may have caused it'],
      [5500, 'inside'],
      [5600, 'route-withdraw for node3 block'],
      [6900, 'trail'],
    ]);
    const clean = flowReport(flow(100, []), events, T0);
    expect(clean.longest).toMatchObject({ ms: 0, lost: 0, events: [] });
  });
});

describe('pickEvents', () => {
  const gap = { start: T0 + 10_000, end: T0 + 20_000, ms: 10_000, lost: 1000 };
  const at = (t: number, type = 'bird-state'): TimedEvent => ({
    t: T0 + t,
    source: 'x',
    origin: 'bird',
    type,
    text: String(t),
  });
  it('keeps all events that fit, else those around the start and around the end of the gap', () => {
    const few = [at(9000), at(21_000)];
    expect(pickEvents(few, gap)).toEqual(few);
    const many = Array.from({ length: 40 }, (_, i) => at(8000 + i * 300));
    const picked = pickEvents(many, gap).map((e) => Number(e.text));
    expect(picked).toHaveLength(20);
    expect(picked.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => 8000 + i * 300));
    expect(picked.slice(10)).toEqual(Array.from({ length: 10 }, (_, i) => 8000 + (30 + i) * 300));
  });
  it('keeps session events before route and FIB events when space is short', () => {
    const routes = Array.from({ length: 30 }, (_, i) =>
      at(9000 + i, i % 2 ? 'fib-remove' : 'route-withdraw'),
    );
    const list = [...routes, at(9500, 'session-down'), at(19_000, 'bird-state')].sort((a, b) => a.t - b.t);
    const picked = pickEvents(list, gap);
    expect(picked).toHaveLength(20);
    expect(picked.filter((e) => e.type === 'session-down' || e.type === 'bird-state')).toHaveLength(2);
    expect(picked.map((e) => e.t)).toEqual([...picked.map((e) => e.t)].sort((a, b) => a - b));
  });
});

describe('sessionRows', () => {
  it('a session is down from the first end saying so until both ends are up again', () => {
    const rows = sessionRows(
      ['leaf1 ↔ node1', 'leaf1 ↔ node2'],
      [
        { t: T0 + 1000, session: 0, device: 'node1', up: false, text: 'bird not running' },
        { t: T0 + 1100, session: 0, device: 'leaf1', up: false, text: 'Active' },
        { t: T0 + 3000, session: 0, device: 'node1', up: true, text: 'Established' },
        { t: T0 + 3200, session: 0, device: 'leaf1', up: true, text: 'Established' },
        { t: T0 + 5000, session: 1, device: 'node2', up: false, text: 'start Active' },
      ],
      T0,
      T0 + 9000,
    );
    expect(rows).toEqual([
      { label: 'leaf1 ↔ node1', down: [{ startMs: 1000, endMs: 3200, text: 'node1: bird not running' }] },
      { label: 'leaf1 ↔ node2', down: [{ startMs: 5000, endMs: 9000, text: 'node2: start Active' }] },
    ]);
  });
});

describe('sessionRows before the start', () => {
  it('a session down and up again before t0 has no row entry; one down across t0 starts at 0', () => {
    const rows = sessionRows(
      ['a', 'b'],
      [
        { t: T0 - 3000, session: 0, device: 'node2', up: false, text: 'start Active' },
        { t: T0 - 2500, session: 0, device: 'node2', up: true, text: 'Established' },
        { t: T0 - 1000, session: 1, device: 'node5', up: false, text: 'start Active' },
        { t: T0 + 500, session: 1, device: 'node5', up: true, text: 'Established' },
      ],
      T0,
      T0 + 9000,
    );
    expect(rows.map((r) => r.down)).toEqual([[], [{ startMs: 0, endMs: 500, text: 'node5: start Active' }]]);
  });
});

describe('outage expectations', () => {
  const flows = [
    flowReport({ ...flow(1000, range(100, 500)), from: 'node3-pod1', to: 'node4-pod1' }, [], T0),
    flowReport({ ...flow(1000, []), from: 'node1-pod1', to: 'node4-pod1' }, [], T0),
  ];
  const pods = (n: string) => podsOf(lab, n);
  it('max-outage over every flow or between two groups', () => {
    expect(checkOutage({ type: 'max-outage', ms: 0, text: 'max-outage: 0ms' }, flows, pods)).toEqual({
      text: 'max-outage: 0ms',
      ok: false,
      detail:
        'want ≤ 0ms: longest gap 4000 ms (node3-pod1 → node4-pod1 at 1.00 s), 400 packets lost in 2 flows',
    });
    expect(
      checkOutage({ type: 'max-outage', ms: 0, between: [['node1'], ['node4']], text: 'x' }, flows, pods),
    ).toEqual({ text: 'x', ok: true, detail: 'no packet lost in 1 flows between node1 and node4' });
    expect(
      checkOutage(
        { type: 'max-outage', ms: 5000, between: [['node4'], ['node3', 'node6']], text: 'x' },
        flows,
        pods,
      ).ok,
    ).toBe(true);
  });
  it('min-outage asks for a measured outage; no flow in scope fails', () => {
    expect(checkOutage({ type: 'min-outage', ms: 1000, text: 'x' }, flows, pods).ok).toBe(true);
    expect(checkOutage({ type: 'min-outage', ms: 5000, text: 'x' }, flows, pods).ok).toBe(false);
    expect(
      checkOutage({ type: 'max-outage', ms: 0, between: [['node1'], ['node2']], text: 'x' }, flows, pods),
    ).toEqual({ text: 'x', ok: false, detail: 'no probe flow between node1 and node2' });
  });
});

describe('flowRecords (prober results → flows)', () => {
  it('pairs every pod with every pod of the other rack, both ways, with what the receiver saw', () => {
    const agent = (sent: number, rx: AgentResult['rx'] = {}): AgentResult => ({
      sent,
      startAt: T0,
      lastSentAt: T0 + (sent - 1) * 10,
      intervalMs: 10,
      rx,
    });
    const results = new Map(p.pods.map((pod) => [pod.device, agent(5)]));
    results.set(
      'node4-pod1',
      agent(5, { '10.233.66.1': { seq: [0, 1, 3], sentAt: [T0, T0 + 10, T0 + 30] } }),
    );
    const flows = flowRecords(p, results);
    expect(flows).toHaveLength(18);
    const f = flows.find((x) => x.from === 'node3-pod1' && x.to === 'node4-pod1')!;
    expect(f).toMatchObject({ src: '10.233.66.1', dst: '10.233.67.1', sent: 5 });
    expect(f.received.map((r) => r.seq)).toEqual([0, 1, 3]);
    expect(findGaps(f).map((g) => g.lost)).toEqual([1, 1]);
    expect(flows.filter((x) => x.from === 'node1-pod1').map((x) => x.to)).toEqual([
      'node4-pod1',
      'node5-pod1',
      'node6-pod1',
    ]);
  });
});

describe('flowRecords on a dual-stack lab', () => {
  it('has an IPv4 and an IPv6 flow per direction, told apart by their addresses', () => {
    const dual = plan(loadLab(DUAL), { workDir: '/w', node: '/usr/bin/node', cli: '/cli.js' });
    const results = new Map(
      dual.pods.map((pod) => [
        pod.device,
        { sent: 3, startAt: T0, lastSentAt: T0 + 20, intervalMs: 10, rx: {} },
      ]),
    );
    const flows = flowRecords(dual, results);
    expect(flows).toHaveLength(36);
    const both = flows.filter((f) => f.from === 'node1-pod1' && f.to === 'node4-pod1');
    expect(both.map((f) => flowLabel(f))).toEqual([
      'node1-pod1 → node4-pod1',
      'node1-pod1 → node4-pod1 (IPv6)',
    ]);
    expect(both[1].src).toContain(':');
    // Nothing arrived: one gap over the whole run.
    expect(findGaps(both[1])).toEqual([{ start: T0, end: T0 + 30, ms: 30, lost: 3 }]);
  });
});

describe('formatScenarioReport', () => {
  it('lists steps, flows, events once per group of flows, sessions and verdicts', () => {
    const events: TimedEvent[] = [
      {
        t: T0 + 900,
        source: 'node3',
        origin: 'bird',
        type: 'bird-state',
        text: 'Node_172_20_0_11 Established → start Active',
        session: 3,
      },
    ];
    const report: ScenarioReport = {
      scenario: 'demo',
      file: 'demo.yaml',
      lab: 'seed',
      startedAt: new Date(T0).toISOString(),
      durationMs: 10_000,
      rate: 100,
      ok: false,
      steps: [{ atMs: 0, text: 'restart node3', ok: true }],
      flows: [
        flowReport({ ...flow(1000, range(100, 500)), from: 'node3-pod1', to: 'node4-pod1' }, events, T0),
        flowReport(
          { ...flow(1000, range(100, 500)), from: 'node3-pod1', to: 'node5-pod1', dst: '10.233.68.1' },
          events,
          T0,
        ),
        flowReport({ ...flow(1000, []), from: 'node1-pod1', to: 'node4-pod1' }, events, T0),
      ],
      sessions: [
        {
          label: 'node3 ↔ node1 (client-reflector)',
          down: [{ startMs: 900, endMs: 4200, text: 'node3: start Active' }],
        },
      ],
      events: [],
      expectations: [{ text: 'max-outage: 0ms', ok: false, detail: 'want ≤ 0ms: …' }],
      notes: [],
    };
    const text = formatScenarioReport(report);
    expect(text).toContain('  node3-pod1 → node4-pod1    1000 sent    400 lost   4000 ms at 1.00 s');
    expect(text).toContain('  node1-pod1 → node4-pod1    1000 sent      0 lost         -');
    expect(text.match(/Node_172_20_0_11 Established → start Active/g)).toHaveLength(1);
    expect(text).toContain('  node3 ↔ node1 (client-reflector): down 0.90 s – 4.20 s (node3: start Active)');
    expect(text).toContain('  FAIL  max-outage: 0ms: want ≤ 0ms: …');
    expect(text.trimEnd().endsWith('scenario demo: FAILED')).toBe(true);
  });
});
