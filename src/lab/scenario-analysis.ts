/**
 * What a scenario run measured, as pure functions: the gaps in each probe flow (runs of lost
 * packets, timed by their send schedule), the events that line up with each gap, each session's
 * down intervals from both ends' samples, the outage expectations, and the text report.
 */
import { covers, type Expectation, msText } from './scenario.js';
import type {
  ExpectationResult,
  FlowRecord,
  FlowReport,
  Gap,
  GapReport,
  ReportEvent,
  ScenarioReport,
  SessionRow,
  SessionSample,
  TimedEvent,
} from './scenario-types.js';

/**
 * Runs of lost packets in one flow. A gap starts when the first lost packet was due (the last
 * delivered one's send time + one interval) and ends when the next delivered packet was sent;
 * a loss at the very start counts from the first send, one at the end up to the last send.
 */
export function findGaps(f: FlowRecord): Gap[] {
  if (f.sent === 0) return [];
  const bySeq = new Map<number, number>();
  for (const r of f.received) if (r.seq < f.sent && !bySeq.has(r.seq)) bySeq.set(r.seq, r.sentAt);
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  const gaps: Gap[] = [];
  const push = (start: number, end: number, lost: number) =>
    gaps.push({ start, end, ms: Math.max(0, round(end - start)), lost });
  if (seqs.length === 0) {
    push(f.startAt, f.lastSentAt + f.intervalMs, f.sent);
    return gaps;
  }
  if (seqs[0] > 0) push(f.startAt, bySeq.get(seqs[0])!, seqs[0]);
  for (let i = 1; i < seqs.length; i++) {
    const a = seqs[i - 1];
    const b = seqs[i];
    if (b - a > 1) push(bySeq.get(a)! + f.intervalMs, bySeq.get(b)!, b - a - 1);
  }
  const last = seqs.at(-1)!;
  if (last < f.sent - 1)
    push(bySeq.get(last)! + f.intervalMs, f.lastSentAt + f.intervalMs, f.sent - 1 - last);
  return gaps;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Events this long before a gap may have caused it; this long after it, ended it. */
export const LEAD_MS = 3000;
export const TRAIL_MS = 1000;
const MAX_EVENTS_PER_GAP = 20;

/**
 * The events that line up with a gap of a flow: inside [start − LEAD_MS, end + TRAIL_MS]; session
 * events and steps always, prefix events only for prefixes that cover one of the flow's addresses.
 */
export function eventsForGap(gap: Gap, flow: { src: string; dst: string }, events: readonly TimedEvent[]) {
  return events.filter(
    (e) =>
      e.t >= gap.start - LEAD_MS &&
      e.t <= gap.end + TRAIL_MS &&
      (!e.prefix || covers(e.prefix, flow.src) || covers(e.prefix, flow.dst)),
  );
}

/** Route and FIB events: many per change; sessions, steps and faults come first when space is short. */
const ROUTE_EVENT = /^(route-|path-|fib-|best-change|ecmp-change|eor-)/;

/** At most `n` of `list`: all when they fit, else the first half before mid-gap and the last half after. */
function ends(list: readonly TimedEvent[], n: number, mid: number): TimedEvent[] {
  if (list.length <= n) return [...list];
  const early = list.filter((e) => e.t < mid);
  const late = list.filter((e) => e.t >= mid);
  const nEarly = Math.min(early.length, Math.max(Math.ceil(n / 2), n - late.length));
  return [...early.slice(0, nEarly), ...late.slice(late.length - (n - nEarly))];
}

/**
 * At most MAX_EVENTS_PER_GAP events: all when they fit; else session, step and fault events first,
 * then route and FIB events, each from both ends of the gap (a long gap has a start and an end).
 */
export function pickEvents(list: readonly TimedEvent[], gap: Gap): TimedEvent[] {
  if (list.length <= MAX_EVENTS_PER_GAP) return [...list];
  const mid = (gap.start + gap.end) / 2;
  const first = ends(
    list.filter((e) => !ROUTE_EVENT.test(e.type)),
    MAX_EVENTS_PER_GAP,
    mid,
  );
  const routes = ends(
    list.filter((e) => ROUTE_EVENT.test(e.type)),
    MAX_EVENTS_PER_GAP - first.length,
    mid,
  );
  return [...first, ...routes].sort((a, b) => a.t - b.t);
}

export const toReportEvent = (e: TimedEvent, t0: number): ReportEvent => ({
  atMs: round(e.t - t0),
  source: e.source,
  origin: e.origin,
  type: e.type,
  text: e.text,
  ...(e.session !== undefined && { session: e.session }),
});

export function flowReport(f: FlowRecord, events: readonly TimedEvent[], t0: number): FlowReport {
  const gaps = findGaps(f);
  const gapReport = (g: Gap): GapReport => ({
    startMs: round(g.start - t0),
    start: new Date(g.start).toISOString(),
    ms: g.ms,
    lost: g.lost,
    events: pickEvents(eventsForGap(g, f, events), g).map((e) => toReportEvent(e, t0)),
  });
  const reports = gaps.map(gapReport);
  const longest = reports.reduce<GapReport | undefined>((a, g) => (!a || g.ms > a.ms ? g : a), undefined);
  const lost = gaps.reduce((n, g) => n + g.lost, 0);
  return {
    from: f.from,
    to: f.to,
    src: f.src,
    dst: f.dst,
    sent: f.sent,
    received: f.sent - lost,
    lost,
    longest: longest ?? { startMs: 0, start: new Date(t0).toISOString(), ms: 0, lost: 0, events: [] },
    gaps: reports,
  };
}

/**
 * Each session's down intervals: from the first sample of an end saying not Established to the
 * first sample after which both ends are up again; a session still down at `end` is down to it.
 * Samples from before `t0` set the state the run starts in; intervals are clipped to [t0, end].
 */
export function sessionRows(
  labels: readonly string[],
  samples: readonly SessionSample[],
  t0: number,
  end: number,
): SessionRow[] {
  return labels.map((label, i) => {
    const mine = samples.filter((s) => s.session === i).sort((a, b) => a.t - b.t);
    const ends = new Map<string, { up: boolean; text: string }>();
    const down: { startMs: number; endMs: number; text: string }[] = [];
    let open: { start: number; text: string } | undefined;
    for (const s of mine) {
      ends.set(s.device, { up: s.up, text: s.text });
      const bad = [...ends.entries()].find(([, v]) => !v.up);
      if (bad && !open) open = { start: s.t, text: `${bad[0]}: ${bad[1].text}` };
      else if (!bad && open) {
        if (s.t > t0)
          down.push({
            startMs: round(Math.max(open.start, t0) - t0),
            endMs: round(s.t - t0),
            text: open.text,
          });
        open = undefined;
      }
    }
    if (open)
      down.push({ startMs: round(Math.max(open.start, t0) - t0), endMs: round(end - t0), text: open.text });
    return { label, down };
  });
}

/** Flows an outage expectation is about: all, or those between the two groups of pods. */
export function flowsFor(
  flows: readonly FlowReport[],
  between: readonly [readonly string[], readonly string[]] | undefined,
): FlowReport[] {
  if (!between) return [...flows];
  const [a, b] = between;
  return flows.filter(
    (f) => (a.includes(f.from) && b.includes(f.to)) || (b.includes(f.from) && a.includes(f.to)),
  );
}

/** max-outage / min-outage against the measured flows (`pods` expands node names to their pods). */
export function checkOutage(
  e: Extract<Expectation, { type: 'max-outage' | 'min-outage' }>,
  flows: readonly FlowReport[],
  pods: (name: string) => string[],
): ExpectationResult {
  const scope = flowsFor(flows, e.between && [e.between[0].flatMap(pods), e.between[1].flatMap(pods)]);
  const where = e.between ? ` between ${e.between[0].join('+')} and ${e.between[1].join('+')}` : '';
  if (scope.length === 0) return { text: e.text, ok: false, detail: `no probe flow${where}` };
  const worst = scope.reduce((a, f) => (f.longest.ms > a.longest.ms ? f : a));
  const lost = scope.reduce((n, f) => n + f.lost, 0);
  const seen =
    worst.longest.ms === 0
      ? `no packet lost in ${scope.length} flows${where}`
      : `longest gap ${fmtMs(worst.longest.ms)} (${flowLabel(worst)} at ${fmtAt(worst.longest.startMs)}), ${lost} packets lost in ${scope.length} flows${where}`;
  const ok = e.type === 'max-outage' ? worst.longest.ms <= e.ms : worst.longest.ms >= e.ms;
  return {
    text: e.text,
    ok,
    detail: `${ok ? '' : `want ${e.type === 'max-outage' ? '≤' : '≥'} ${msText(e.ms)}: `}${seen}`,
  };
}

/** `node1-pod1 → node4-pod1`, with `(IPv6)` for the IPv6 flow of a dual-stack lab. */
export const flowLabel = (f: { from: string; to: string; dst: string }) =>
  `${f.from} → ${f.to}${f.dst.includes(':') ? ' (IPv6)' : ''}`;

export const fmtMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
export const fmtAt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The report for people: steps, each flow's loss and longest gap with its events, sessions, verdicts. */
export function formatScenarioReport(r: ScenarioReport, opts: { sessionLabels?: boolean } = {}): string {
  const out: string[] = [];
  out.push(
    `scenario ${r.scenario} on lab ${r.lab}: ${fmtMs(r.durationMs)} of probes at ${r.rate} packets/s per flow (started ${r.startedAt})`,
  );
  if (r.description) out.push(`  ${r.description}`);
  out.push('', 'STEPS');
  for (const s of r.steps)
    out.push(
      `  ${fmtAt(s.atMs).padStart(8)}  ${s.ok ? '' : 'FAILED '}${s.text}${s.error ? `: ${s.error}` : ''}`,
    );
  out.push('', 'FLOWS (sent, lost, longest gap at its start)');
  const w = Math.max(...r.flows.map((f) => flowLabel(f).length), 10);
  for (const f of r.flows) {
    const gap =
      f.longest.ms > 0 ? `${fmtMs(f.longest.ms).padStart(8)} at ${fmtAt(f.longest.startMs)}` : '       -';
    out.push(
      `  ${flowLabel(f).padEnd(w)}  ${String(f.sent).padStart(6)} sent  ${String(f.lost).padStart(5)} lost  ${gap}`,
    );
  }
  const lossy = r.flows.filter((f) => f.longest.ms > 0);
  if (lossy.length) {
    out.push('', 'EVENTS AROUND EACH LONGEST GAP');
    // Flows whose longest gaps line up with the same events share one list.
    const groups = new Map<string, typeof lossy>();
    for (const f of lossy) {
      const key = JSON.stringify(f.longest.events);
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    for (const flows of groups.values()) {
      for (const f of flows)
        out.push(
          `  ${flowLabel(f)}: ${fmtMs(f.longest.ms)} from ${fmtAt(f.longest.startMs)} to ${fmtAt(f.longest.startMs + f.longest.ms)} (${f.longest.lost} lost)`,
        );
      const events = flows[0].longest.events;
      if (!events.length) out.push('      (no event recorded around it)');
      for (const e of events) out.push(`      ${fmtAt(e.atMs).padStart(8)}  ${e.source.padEnd(8)} ${e.text}`);
    }
  }
  if (opts.sessionLabels !== false) {
    const flapped = r.sessions.filter((s) => s.down.length);
    out.push(
      '',
      `SESSIONS (${r.sessions.length - flapped.length} of ${r.sessions.length} stayed Established)`,
    );
    for (const s of flapped)
      for (const d of s.down)
        out.push(`  ${s.label}: down ${fmtAt(d.startMs)} – ${fmtAt(d.endMs)} (${d.text})`);
  }
  out.push('', 'EXPECTATIONS');
  for (const e of r.expectations) out.push(`  ${e.ok ? 'PASS' : 'FAIL'}  ${e.text}: ${e.detail}`);
  for (const n of r.notes) out.push(`  note: ${n}`);
  out.push('', `scenario ${r.scenario}: ${r.ok ? 'all expectations met' : 'FAILED'}`);
  return `${out.join('\n')}\n`;
}
