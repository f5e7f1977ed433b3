import { describe, expect, it } from 'vitest';
import type { ScenarioReport } from '../../../src/lab/scenario-types.js';
import { escapeXml, tickStep, timelineSvg } from '../../../src/lab/timeline-svg.js';

const report: ScenarioReport = {
  scenario: 'demo',
  file: 'demo.yaml',
  lab: 'seed',
  startedAt: '2026-12-06T17:00:00.000Z',
  durationMs: 10_000,
  rate: 100,
  ok: true,
  steps: [{ atMs: 2000, text: 'restart node3 <now>', ok: true }],
  flows: [
    {
      from: 'node3-pod1',
      to: 'node4-pod1',
      src: '10.233.66.1',
      dst: '10.233.67.1',
      sent: 1000,
      received: 600,
      lost: 400,
      longest: { startMs: 2000, start: '2026-12-06T17:00:02.000Z', ms: 4000, lost: 400, events: [] },
      gaps: [{ startMs: 2000, start: '2026-12-06T17:00:02.000Z', ms: 4000, lost: 400, events: [] }],
    },
    {
      from: 'node1-pod1',
      to: 'node4-pod1',
      src: '10.233.64.1',
      dst: '10.233.67.1',
      sent: 1000,
      received: 1000,
      lost: 0,
      longest: { startMs: 0, start: '2026-12-06T17:00:00.000Z', ms: 0, lost: 0, events: [] },
      gaps: [],
    },
  ],
  sessions: [
    {
      label: 'node3 ↔ node1 (client-reflector)',
      down: [{ startMs: 2100, endMs: 6200, text: 'node3: bird not running' }],
    },
    { label: 'leaf1 ↔ node1 (leaf-reflector)', down: [] },
  ],
  events: [
    { atMs: -1500, source: 'node5', origin: 'bird', type: 'bird-state', text: 'before the run', session: 1 },
    { atMs: 2000, source: 'scenario', origin: 'step', type: 'step', text: 'restart node3' },
    {
      atMs: 2100,
      source: 'node1',
      origin: 'bird',
      type: 'bird-state',
      text: 'Established → Active',
      session: 0,
    },
    {
      atMs: 2300,
      source: 'leaf1',
      origin: 'journal',
      type: 'route-withdraw',
      text: 'route-withdraw 10.233.66.0/26',
    },
  ],
  expectations: [],
  notes: [],
};

/** x of a time on the plot: label column 300 px, plot 900 px over the run's duration. */
const x = (ms: number) => (300 + (ms / 10_000) * 900).toFixed(1);

describe('timelineSvg', () => {
  const svg = timelineSvg(report);
  it('is one SVG document with a row per flow, per session and one for other events', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const labels = [...svg.matchAll(/<text x="12" y="\d+"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labels).toEqual([
      'demo: all expectations met',
      'node3-pod1 → node4-pod1',
      'node1-pod1 → node4-pod1',
      'node3 ↔ node1 (client-reflector)',
      'leaf1 ↔ node1 (leaf-reflector)',
      'other events',
    ]);
  });
  it('draws the gap and the down interval on the shared time axis', () => {
    expect(svg).toContain(
      `<rect x="${x(2000)}" y="49" width="${(360).toFixed(1)}" height="12" fill="#d62728">`,
    );
    expect(svg).toContain(
      `<rect x="${x(2100)}" y="85" width="${(369).toFixed(1)}" height="12" fill="#ff9f1c">`,
    );
    // The BIRD event on its session's row, the journal event without a session on the last row.
    expect(svg).toContain(`<line x1="${x(2100)}" y1="84" x2="${x(2100)}" y2="98" stroke="#2a8a3a"`);
    expect(svg).toContain(`<line x1="${x(2300)}" y1="120" x2="${x(2300)}" y2="134" stroke="#1f5fbf"`);
    // Ticks every second, 0 s to 10 s.
    expect(svg.match(/>\d+ s<\/text>/g)).toHaveLength(11);
  });
  it('escapes text and marks each step', () => {
    expect(svg).toContain('restart node3 &lt;now&gt;');
    expect(svg).not.toContain('before the run');
    expect(svg).not.toContain('<now>');
    expect(svg).toContain(`<line x1="${x(2000)}" y1="40"`);
    expect(escapeXml(`a<b & "c" 'd'`)).toBe('a&lt;b &amp; &quot;c&quot; &apos;d&apos;');
  });
  it('picks 5–12 ticks', () => {
    expect(tickStep(10_000)).toBe(1000);
    expect(tickStep(115_000)).toBe(10_000);
    expect(tickStep(1500)).toBe(200);
  });
});
