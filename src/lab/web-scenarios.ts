/**
 * Scenario runs on the live view's timeline: `lab scenario` leaves each report in the lab's work
 * directory (scenarios/), and the view turns the steps and the measured outages (gaps in the pods'
 * probes with packets lost) into timeline entries. The conversion is pure; reading is a directory scan.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TimelineItem } from '../web/view-model.js';
import type { ScenarioReport } from './scenario-types.js';

export const scenarioDir = (workDir: string) => join(workDir, 'scenarios');
/** Outages per report on the timeline at most (the longest first). */
const MAX_OUTAGES = 40;

/** Writes a finished run's report where the live view finds it; returns the path. */
export function recordScenario(workDir: string, report: ScenarioReport): string {
  const dir = scenarioDir(workDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${report.startedAt.replace(/[:.]/g, '-')}-${report.scenario}.json`);
  // Renamed into place: the view never reads half a report.
  writeFileSync(`${path}.tmp`, `${JSON.stringify(report)}\n`);
  renameSync(`${path}.tmp`, path);
  return path;
}

/** A report → its steps, its outages (gaps that lost packets, longest first) and its verdict. */
export function scenarioItems(r: ScenarioReport): TimelineItem[] {
  const t0 = Date.parse(r.startedAt);
  const name = `scenario ${r.scenario}`;
  const steps = r.steps.map(
    (s): TimelineItem => ({
      t: t0 + s.atMs,
      device: name,
      kind: 'scenario',
      text: `${s.text}${s.ok ? '' : ` failed: ${s.error ?? ''}`}`,
    }),
  );
  const gaps = r.flows
    .flatMap((f) => f.gaps.filter((g) => g.lost > 0).map((g) => ({ f, g })))
    .sort((a, b) => b.g.ms - a.g.ms)
    .slice(0, MAX_OUTAGES)
    .map(
      ({ f, g }): TimelineItem => ({
        t: t0 + g.startMs,
        device: f.from,
        kind: 'outage',
        text: `→ ${f.to} (${f.dst}): ${Math.round(g.ms)} ms without replies, ${g.lost} lost (${name})`,
      }),
    );
  const failed = r.expectations.filter((e) => !e.ok);
  const verdict: TimelineItem = {
    t: t0 + r.durationMs,
    device: name,
    kind: failed.length ? 'outage' : 'scenario',
    text: failed.length
      ? `failed: ${failed.map((e) => e.text).join('; ')}`
      : `all ${r.expectations.length} expectations met`,
  };
  return [...steps, ...gaps, verdict];
}

/** Reports in the lab's scenarios/ not seen yet (names added to `seen`). */
export function newScenarioReports(workDir: string, seen: Set<string>): ScenarioReport[] {
  let names: string[];
  try {
    names = readdirSync(scenarioDir(workDir)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: ScenarioReport[] = [];
  for (const f of names.sort()) {
    if (seen.has(f)) continue;
    seen.add(f);
    try {
      out.push(JSON.parse(readFileSync(join(scenarioDir(workDir), f), 'utf8')) as ScenarioReport);
    } catch {
      // Half written or not ours: skipped, never retried.
    }
  }
  return out;
}
