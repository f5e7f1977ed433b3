/**
 * What a scenario run produces, shared by the runner, the analysis, the text/JSON report and the
 * timeline picture. Times are epoch milliseconds (high resolution) while collecting, and
 * milliseconds after the run's start (`t0`) in the report.
 */

/** The fault kinds rackbgp injects (POST /api/neighbors/ADDR/faults); kept equal to src/core/faults.ts by a unit test. */
export const FAULT_KINDS = [
  'drop',
  'cease',
  'hold',
  'blackhole',
  'delay-updates',
  'delay-eor',
  'withdraw-all',
  'reannounce',
  'fib-freeze',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What one prober learned about one directed flow, pod → pod. */
export interface FlowRecord {
  readonly from: string;
  readonly to: string;
  readonly src: string;
  readonly dst: string;
  /** Packets sent, seq 0 … sent-1, one every intervalMs from startAt. */
  readonly sent: number;
  readonly startAt: number;
  readonly lastSentAt: number;
  readonly intervalMs: number;
  /** Each packet that arrived (duplicates dropped), with the time it was sent. */
  readonly received: readonly { readonly seq: number; readonly sentAt: number }[];
}

/** Something that happened during the run: a step, a journal event, a BIRD state change. */
export interface TimedEvent {
  readonly t: number;
  /** The device that saw it (or `scenario` for steps). */
  readonly source: string;
  readonly origin: 'step' | 'journal' | 'bird' | 'switch';
  readonly type: string;
  readonly peer?: string;
  readonly prefix?: string;
  readonly text: string;
  /** The lab session it belongs to (index into the plan's sessions), when known. */
  readonly session?: number;
}

/** One end's view of a session changing: up (Established) or not, and what it said. */
export interface SessionSample {
  readonly t: number;
  readonly session: number;
  readonly device: string;
  readonly up: boolean;
  readonly text: string;
}

export interface Gap {
  /** When the first lost packet was sent (epoch ms) and when the next delivered one was. */
  readonly start: number;
  readonly end: number;
  readonly ms: number;
  readonly lost: number;
}

export interface ReportEvent {
  /** ms after t0 */
  readonly atMs: number;
  readonly source: string;
  readonly origin: TimedEvent['origin'];
  readonly type: string;
  readonly text: string;
  readonly session?: number;
}

export interface GapReport {
  readonly startMs: number;
  readonly start: string;
  readonly ms: number;
  readonly lost: number;
  readonly events: readonly ReportEvent[];
}

export interface FlowReport {
  readonly from: string;
  readonly to: string;
  readonly src: string;
  readonly dst: string;
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  /** The longest gap (0 ms and no events when nothing was lost). */
  readonly longest: GapReport;
  readonly gaps: readonly GapReport[];
}

export interface SessionRow {
  readonly label: string;
  readonly down: readonly { readonly startMs: number; readonly endMs: number; readonly text: string }[];
}

export interface StepReport {
  readonly atMs: number;
  readonly text: string;
  readonly ok: boolean;
  readonly error?: string;
}

export interface ExpectationResult {
  readonly text: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ScenarioReport {
  readonly scenario: string;
  readonly description?: string;
  readonly file: string;
  readonly lab: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly rate: number;
  readonly ok: boolean;
  readonly steps: readonly StepReport[];
  readonly flows: readonly FlowReport[];
  readonly sessions: readonly SessionRow[];
  readonly events: readonly ReportEvent[];
  readonly expectations: readonly ExpectationResult[];
  readonly notes: readonly string[];
}
