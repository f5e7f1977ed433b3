/**
 * The live view's model (pure): a topology (devices, BGP sessions with both ends) and what is known
 * of it now: each session end's FSM state (RFC 4271 §8.2.2) from rackbgp's neighbors and journal
 * or BIRD's `show protocols`, route counts per device and an event timeline. Inputs come in as data
 * and each returns the changes the page needs; no sockets, no timers, no clock reads.
 */

export type Role = 'spine' | 'leaf' | 'node' | 'pod' | 'switch' | 'peer';

export interface DeviceView {
  readonly name: string;
  readonly role: Role;
  /** Row on the page from the top: 0 spines (or the switch), 1 leaves, 2 nodes, 3 pods. */
  readonly tier: number;
  /** The rack (or node, for pods) it is drawn under. */
  readonly group?: string;
  readonly asn?: number;
  readonly addresses: readonly string[];
  readonly note?: string;
}

export type Speaker = 'rackbgp' | 'bird' | 'bird6' | 'peer';

export interface SessionEndView {
  readonly device: string;
  readonly speaker: Speaker;
  readonly local: string;
  readonly remote: string;
  /** BIRD's protocol name for this session. */
  readonly protocol?: string;
}

export interface SessionView {
  readonly id: string;
  readonly kind: string;
  readonly family: 4 | 6;
  readonly ends: readonly [SessionEndView, SessionEndView];
}

export interface Topology {
  readonly title: string;
  readonly devices: readonly DeviceView[];
  readonly sessions: readonly SessionView[];
  /** Plain links drawn without a session (a pod's veth to its node). */
  readonly links: readonly { readonly a: string; readonly b: string }[];
}

export type Health = 'up' | 'connecting' | 'down' | 'unknown';

export interface SessionStateView {
  readonly health: Health;
  /** Each end's state as its speaker reports it (undefined: not heard yet). */
  readonly ends: readonly [string | undefined, string | undefined];
}

export type TimelineKind = 'session' | 'fault' | 'daemon' | 'reload' | 'restart' | 'outage' | 'scenario';

export interface TimelineItem {
  readonly t: number;
  readonly device: string;
  readonly kind: TimelineKind;
  readonly text: string;
  readonly session?: string;
}

export type Change =
  | { readonly type: 'session'; readonly id: string; readonly state: SessionStateView }
  | { readonly type: 'count'; readonly device: string; readonly routes: number }
  | { readonly type: 'timeline'; readonly item: TimelineItem }
  /** The topology itself changed (a neighbor added or removed): the page starts over. */
  | { readonly type: 'reset' };

export interface ViewSnapshot {
  readonly sessions: Readonly<Record<string, SessionStateView>>;
  readonly counts: Readonly<Record<string, number>>;
  readonly timeline: readonly TimelineItem[];
}

/** A journal event as the daemon's API gives it (src/core/journal.ts). */
export interface JournalEventLike {
  readonly seq?: number;
  readonly t?: number;
  readonly time?: string;
  readonly type: string;
  readonly peer?: string;
  readonly [detail: string]: unknown;
}

/** BIRD's protocol line (`show protocols`): state up/start/down and info (Established, Active, …). */
export interface BirdProtocolLike {
  readonly name: string;
  readonly state: string;
  readonly info: string;
}

const CONNECTING = new Set(['Connect', 'Active', 'OpenSent', 'OpenConfirm']);

/** An end's state → health: Established is up, the FSM's middle states connecting, the rest down. */
export function endHealth(state: string | undefined): Health {
  if (state === undefined) return 'unknown';
  if (state === 'Established') return 'up';
  if (CONNECTING.has(state)) return 'connecting';
  return 'down';
}

const RANK: Record<Health, number> = { unknown: 0, up: 1, connecting: 2, down: 3 };

/** A session is as healthy as its worse known end. */
export function sessionHealth(ends: readonly [string | undefined, string | undefined]): Health {
  const [a, b] = ends.map(endHealth);
  return RANK[a] >= RANK[b] ? a : b;
}

/** BIRD 1.6 protocol line → an FSM-like state: `up … Established`, `start … Active`, `down`. */
export function birdEndState(p: BirdProtocolLike | undefined): string {
  if (!p) return 'not configured';
  if (p.state === 'up') return 'Established';
  const word = /^(Idle|Connect|Active|OpenSent|OpenConfirm|Established)\b/.exec(p.info);
  if (word) return word[1];
  return p.state === 'start' ? 'Active' : 'Idle';
}

/** Journal event types shown on the timeline, and as what. */
const TIMELINE_TYPES: Readonly<Record<string, TimelineKind>> = {
  'session-up': 'session',
  'session-down': 'session',
  'fault-start': 'fault',
  'fault-end': 'fault',
  reload: 'reload',
  'gr-restart-begin': 'restart',
  'gr-restart-end': 'restart',
  'gr-helper-start': 'restart',
  'gr-helper-end': 'restart',
};

const SKIP_DETAIL = new Set(['seq', 't', 'time', 'type', 'peer', 'prefix']);

/** A journal event as one short line: type, peer and its scalar details (capabilities and paths left out). */
export function eventText(e: JournalEventLike): string {
  const detail = Object.entries(e)
    .filter(
      ([k, v]) => !SKIP_DETAIL.has(k) && v !== undefined && v !== null && v !== '' && typeof v !== 'object',
    )
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  const text = [e.type, e.peer, detail].filter(Boolean).join(' ');
  return text.length > 140 ? `${text.slice(0, 139)}…` : text;
}

interface EndRef {
  readonly session: string;
  readonly end: 0 | 1;
}

export class ViewModel {
  private readonly ends = new Map<string, [string | undefined, string | undefined]>();
  private readonly byKey = new Map<string, EndRef>();
  private readonly endsOf = new Map<string, EndRef[]>();
  private readonly counts = new Map<string, number>();
  private readonly items: TimelineItem[] = [];
  /** Devices whose daemon does not answer (so its going away is told once). */
  private readonly silent = new Set<string>();

  constructor(
    readonly topology: Topology,
    private readonly timelineMax = 1000,
  ) {
    for (const s of topology.sessions) {
      this.ends.set(s.id, [undefined, undefined]);
      s.ends.forEach((e, i) => {
        const ref: EndRef = { session: s.id, end: i as 0 | 1 };
        this.byKey.set(endKey(e.device, e.speaker, e.speaker === 'rackbgp' ? e.remote : e.protocol), ref);
        const list = this.endsOf.get(`${e.device} ${e.speaker}`) ?? [];
        list.push(ref);
        this.endsOf.set(`${e.device} ${e.speaker}`, list);
      });
    }
  }

  snapshot(): ViewSnapshot {
    const sessions: Record<string, SessionStateView> = {};
    for (const [id, ends] of this.ends) sessions[id] = { health: sessionHealth(ends), ends: [...ends] };
    return { sessions, counts: Object.fromEntries(this.counts), timeline: [...this.items] };
  }

  /**
   * rackbgp's neighbor list on `device` ([address, state] pairs), or null when its API does not
   * answer: then every session of it is down.
   */
  neighbors(device: string, t: number, list: readonly (readonly [string, string])[] | null): Change[] {
    const out: Change[] = [];
    this.daemon(device, 'rackbgp', t, list !== null, out);
    const states = new Map(list ?? []);
    for (const ref of this.endsOf.get(`${device} rackbgp`) ?? []) {
      const remote = this.endOf(ref).remote;
      this.set(ref, list ? (states.get(remote) ?? 'not configured') : 'no answer', t, out);
    }
    return out;
  }

  /** BIRD's protocols on `device`, or undefined when its control socket does not answer. */
  birdProtocols(
    device: string,
    speaker: 'bird' | 'bird6',
    t: number,
    protocols: readonly BirdProtocolLike[] | undefined,
  ): Change[] {
    const out: Change[] = [];
    this.daemon(device, speaker, t, protocols !== undefined, out);
    const byName = new Map((protocols ?? []).map((p) => [p.name, p]));
    for (const ref of this.endsOf.get(`${device} ${speaker}`) ?? []) {
      const name = this.endOf(ref).protocol ?? '';
      this.set(ref, protocols ? birdEndState(byName.get(name)) : 'not running', t, out);
    }
    return out;
  }

  /** One journal event of rackbgp on `device`: session state changes and timeline entries. */
  journal(device: string, e: JournalEventLike): Change[] {
    const out: Change[] = [];
    const t = typeof e.t === 'number' ? e.t : e.time ? Date.parse(e.time) : 0;
    const ref = e.peer ? this.byKey.get(endKey(device, 'rackbgp', e.peer)) : undefined;
    if (e.type === 'session-state' && ref && typeof e.to === 'string') this.set(ref, e.to, t, out);
    const kind = TIMELINE_TYPES[e.type];
    if (kind) this.add({ t, device, kind, text: eventText(e), ...(ref && { session: ref.session }) }, out);
    return out;
  }

  /** A route count for a device; a change only when it differs. */
  count(device: string, routes: number): Change[] {
    if (this.counts.get(device) === routes) return [];
    this.counts.set(device, routes);
    return [{ type: 'count', device, routes }];
  }

  /** An entry from elsewhere (a scenario's measured outage, a note). */
  note(item: TimelineItem): Change[] {
    const out: Change[] = [];
    this.add(item, out);
    return out;
  }

  private endOf(ref: EndRef): SessionEndView {
    return this.topology.sessions.find((s) => s.id === ref.session)!.ends[ref.end];
  }

  private set(ref: EndRef, state: string, t: number, out: Change[]): void {
    const ends = this.ends.get(ref.session)!;
    const before = ends[ref.end];
    if (before === state) return;
    const healthBefore = sessionHealth(ends);
    ends[ref.end] = state;
    const health = sessionHealth(ends);
    out.push({ type: 'session', id: ref.session, state: { health, ends: [...ends] } });
    // BIRD has no journal: its side's changes reach the timeline from here (rackbgp's from session-up/down).
    const end = this.endOf(ref);
    if (end.speaker !== 'rackbgp' && before !== undefined && health !== healthBefore)
      this.add(
        {
          t,
          device: end.device,
          kind: 'session',
          text: `${end.speaker} ${end.protocol ?? end.remote} ${before} → ${state}`,
          session: ref.session,
        },
        out,
      );
  }

  private daemon(device: string, speaker: Speaker, t: number, answers: boolean, out: Change[]): void {
    const key = `${device} ${speaker}`;
    if (answers === !this.silent.has(key)) return;
    if (answers) this.silent.delete(key);
    else this.silent.add(key);
    const what = speaker === 'rackbgp' ? "rackbgp's API" : `${speaker}'s control socket`;
    this.add(
      { t, device, kind: 'daemon', text: `${what} ${answers ? 'answers again' : 'does not answer'}` },
      out,
    );
  }

  private add(item: TimelineItem, out: Change[]): void {
    this.items.push(item);
    if (this.items.length > this.timelineMax) this.items.splice(0, this.items.length - this.timelineMax);
    out.push({ type: 'timeline', item });
  }
}

const endKey = (device: string, speaker: Speaker, id: string | undefined) =>
  `${device} ${speaker} ${id ?? ''}`;
