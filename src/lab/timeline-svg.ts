/**
 * A scenario report as a timeline picture: one row per probe flow (its gaps in red) and one per
 * BGP session (down intervals in orange, the events seen on it as ticks), the steps as dashed
 * vertical lines, all on one time axis in seconds after the probes started. Pure: report → SVG text.
 */
import { flowLabel } from './scenario-analysis.js';
import type { ScenarioReport } from './scenario-types.js';

const LABEL_W = 300;
const PLOT_W = 900;
const ROW_H = 18;
const TOP = 46;
const PAD = 12;

export const escapeXml = (s: string) =>
  s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

/** A tick step (ms) giving 5–12 ticks over `spanMs`. */
export function tickStep(spanMs: number): number {
  for (const s of [100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000])
    if (spanMs / s <= 12) return s;
  return 600_000;
}

const ORIGIN_COLOUR: Record<string, string> = {
  journal: '#1f5fbf',
  switch: '#1f5fbf',
  bird: '#2a8a3a',
  step: '#555555',
};

export function timelineSvg(r: ScenarioReport): string {
  const span = Math.max(r.durationMs, 1000);
  const x = (ms: number) => LABEL_W + (Math.min(Math.max(ms, 0), span) / span) * PLOT_W;
  // Events from the lead-in before t0 (kept in the report for the gaps) are off this axis.
  const shown = r.events.filter((e) => e.atMs >= 0 && e.atMs <= span && e.origin !== 'step');
  const sessionEvents = shown.filter((e) => e.session !== undefined);
  const otherEvents = shown.filter((e) => e.session === undefined);
  const rows: { label: string; kind: 'flow' | 'session' | 'other' }[] = [
    ...r.flows.map((f) => ({ label: flowLabel(f), kind: 'flow' as const })),
    ...r.sessions.map((s) => ({ label: s.label, kind: 'session' as const })),
    ...(otherEvents.length ? [{ label: 'other events', kind: 'other' as const }] : []),
  ];
  const height = TOP + rows.length * ROW_H + 40;
  const width = LABEL_W + PLOT_W + PAD * 2;
  const y = (i: number) => TOP + i * ROW_H;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(`scenario ${r.scenario} on lab ${r.lab} (${r.startedAt})`)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${PAD}" y="16" font-size="13" font-weight="bold">${escapeXml(`${r.scenario}: ${r.ok ? 'all expectations met' : 'FAILED'}`)}</text>`,
  ];
  rows.forEach((row, i) => {
    if (i % 2 === 0)
      out.push(
        `<rect x="${PAD}" y="${y(i)}" width="${LABEL_W + PLOT_W - PAD}" height="${ROW_H}" fill="#f3f3f3"/>`,
      );
    out.push(
      `<text x="${PAD}" y="${y(i) + 13}" fill="${row.kind === 'flow' ? '#000' : '#333'}">${escapeXml(row.label)}</text>`,
    );
  });
  // Time axis below the rows.
  const axisY = TOP + rows.length * ROW_H + 4;
  const step = tickStep(span);
  out.push(`<line x1="${LABEL_W}" y1="${axisY}" x2="${LABEL_W + PLOT_W}" y2="${axisY}" stroke="#000"/>`);
  for (let t = 0; t <= span; t += step) {
    out.push(
      `<line x1="${x(t).toFixed(1)}" y1="${TOP}" x2="${x(t).toFixed(1)}" y2="${axisY + 4}" stroke="#ddd"/>`,
      `<text x="${x(t).toFixed(1)}" y="${axisY + 16}" text-anchor="middle">${t / 1000} s</text>`,
    );
  }
  const bar = (i: number, from: number, to: number, fill: string, title: string) => {
    const x0 = x(from);
    const w = Math.max(x(to) - x0, 1.5);
    out.push(
      `<rect x="${x0.toFixed(1)}" y="${y(i) + 3}" width="${w.toFixed(1)}" height="${ROW_H - 6}" fill="${fill}"><title>${escapeXml(title)}</title></rect>`,
    );
  };
  r.flows.forEach((f, i) => {
    for (const g of f.gaps)
      bar(
        i,
        g.startMs,
        g.startMs + g.ms,
        '#d62728',
        `${flowLabel(f)}: ${g.lost} lost, ${g.ms} ms from ${(g.startMs / 1000).toFixed(2)} s`,
      );
  });
  const sessionRow = (k: number) => r.flows.length + k;
  r.sessions.forEach((s, k) => {
    for (const d of s.down)
      bar(
        sessionRow(k),
        d.startMs,
        d.endMs,
        '#ff9f1c',
        `${s.label}: down ${(d.startMs / 1000).toFixed(2)}–${(d.endMs / 1000).toFixed(2)} s (${d.text})`,
      );
  });
  const tick = (i: number, atMs: number, colour: string, title: string) =>
    out.push(
      `<line x1="${x(atMs).toFixed(1)}" y1="${y(i) + 2}" x2="${x(atMs).toFixed(1)}" y2="${y(i) + ROW_H - 2}" stroke="${colour}" stroke-width="2"><title>${escapeXml(title)}</title></line>`,
    );
  for (const e of sessionEvents)
    tick(
      sessionRow(e.session!),
      e.atMs,
      ORIGIN_COLOUR[e.origin] ?? '#000',
      `${(e.atMs / 1000).toFixed(3)} s ${e.source}: ${e.text}`,
    );
  for (const e of otherEvents)
    tick(
      rows.length - 1,
      e.atMs,
      ORIGIN_COLOUR[e.origin] ?? '#000',
      `${(e.atMs / 1000).toFixed(3)} s ${e.source}: ${e.text}`,
    );
  // Steps: a dashed line through every row, labelled above the plot.
  r.steps.forEach((s, i) => {
    const sx = x(s.atMs).toFixed(1);
    out.push(
      `<line x1="${sx}" y1="${TOP - 6}" x2="${sx}" y2="${axisY}" stroke="#555" stroke-dasharray="4 3"><title>${escapeXml(`${(s.atMs / 1000).toFixed(2)} s ${s.text}`)}</title></line>`,
      `<text x="${sx}" y="${TOP - 10 - (i % 2) * 11}" fill="#555">${escapeXml(s.text)}</text>`,
    );
  });
  const legendY = height - 8;
  out.push(
    `<rect x="${PAD}" y="${legendY - 9}" width="10" height="10" fill="#d62728"/><text x="${PAD + 14}" y="${legendY}">packets lost</text>`,
    `<rect x="${PAD + 100}" y="${legendY - 9}" width="10" height="10" fill="#ff9f1c"/><text x="${PAD + 114}" y="${legendY}">session not Established</text>`,
    `<rect x="${PAD + 260}" y="${legendY - 9}" width="3" height="10" fill="#1f5fbf"/><text x="${PAD + 267}" y="${legendY}">rackbgp event</text>`,
    `<rect x="${PAD + 360}" y="${legendY - 9}" width="3" height="10" fill="#2a8a3a"/><text x="${PAD + 367}" y="${legendY}">BIRD event</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
