/**
 * What a scenario watches while it runs. Switches: one small agent per switch namespace (rackbgp's
 * API listens on the namespace's loopback) follows the journal (GET /api/events?since=), reports
 * neighbor state changes (GET /api/neighbors) and relays fault requests. BIRD: its control socket
 * is a path on the filesystem, so the runner speaks BIRD's CLI protocol to it directly and polls
 * `show protocols`. Parsers and conversions are pure and tested.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { type BirdProtocol, parseBirdProtocols } from './observe.js';
import type { TimedEvent } from './scenario-types.js';

/** The switch agent (CommonJS, for `node -e`): argv[1] is the API port. */
export const SWITCH_AGENT = String.raw`
const port = Number(process.argv[1]);
const base = 'http://127.0.0.1:' + port;
const { performance } = require('node:perf_hooks');
const now = () => performance.timeOrigin + performance.now();
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
let since = 0, journal = true, reachable, neighbors = '';
const get = async (path) => {
  const r = await fetch(base + path, { signal: AbortSignal.timeout(2000) });
  return { status: r.status, body: r.status === 200 ? await r.json() : await r.text() };
};
async function poll() {
  try {
    const n = await get('/api/neighbors');
    if (reachable === false) since = 0;
    reachable = true;
    const text = JSON.stringify((n.body || []).map((x) => [x.address, x.state]));
    if (text !== neighbors) { neighbors = text; out({ k: 'n', t: now(), list: JSON.parse(text) }); }
    while (journal) {
      const e = await get('/api/events?since=' + since + '&limit=2000');
      if (e.status === 404 || e.status === 409) { journal = false; out({ k: 'nojournal' }); break; }
      if (e.status !== 200 || !e.body.events) break;
      if (e.body.events.length) out({ k: 'e', events: e.body.events });
      if (typeof e.body.next === 'number') since = e.body.next;
      if (e.body.events.length < 2000) break;
    }
  } catch (err) {
    if (reachable !== false) out({ k: 'n', t: now(), list: null, error: String(err && err.cause ? err.cause.code || err.cause : err) });
    reachable = false;
    neighbors = '';
  }
  setTimeout(poll, 200);
}
poll();
let buf = '';
process.stdin.on('data', async (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const req = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    fetch(base + req.path, { method: req.method, headers: { 'content-type': 'application/json' }, body: req.body && JSON.stringify(req.body) })
      .then(async (r) => out({ k: 'r', id: req.id, status: r.status, body: await r.text() }), (e) => out({ k: 'r', id: req.id, status: 0, body: String(e) }));
  }
});
process.stdin.on('end', () => process.exit(0));
`;

export interface JournalEvent {
  readonly seq: number;
  readonly time?: string;
  readonly t?: number;
  readonly type: string;
  readonly peer?: string;
  readonly prefix?: string;
  readonly [k: string]: unknown;
}

/** A journal event as a line: its type, peer, prefix and the detail fields, shortened. */
export function journalEventText(e: JournalEvent): string {
  const { seq: _s, time: _time, t: _t, type, peer, prefix, ...rest } = e;
  const detail = Object.entries(rest)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${hops(v) ?? (typeof v === 'object' ? JSON.stringify(v) : String(v))}`)
    .join(' ');
  const text = [type, peer, prefix, detail].filter(Boolean).join(' ');
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/**
 * Paths or FIB next hops (`[{ nextHop, pathId? }]`, `[{ via }]`) as `a+b`, `-` for none, an ADD-PATH
 * path id as `a#2` (RFC 7911: one neighbor's paths with the same next hop); undefined otherwise.
 */
function hops(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  if (v.length === 0) return '-';
  const out = v.map((x) => {
    if (!x || typeof x !== 'object') return undefined;
    const h = x as { nextHop?: string; via?: string; pathId?: number };
    const at = h.nextHop ?? h.via;
    return at !== undefined && h.pathId !== undefined ? `${at}#${h.pathId}` : at;
  });
  return out.every((x) => typeof x === 'string') ? out.join('+') : undefined;
}

export function journalToTimed(
  device: string,
  e: JournalEvent,
  sessionOf: (device: string, peer: string) => number | undefined,
): TimedEvent | undefined {
  const t = typeof e.t === 'number' ? e.t : e.time ? Date.parse(e.time) : Number.NaN;
  if (!Number.isFinite(t)) return undefined;
  const session = e.peer ? sessionOf(device, e.peer) : undefined;
  return {
    t,
    source: device,
    origin: 'journal',
    type: e.type,
    ...(e.peer && { peer: e.peer }),
    ...(e.prefix && { prefix: e.prefix }),
    text: journalEventText(e),
    ...(session !== undefined && { session }),
  };
}

/** One rackbgp switch's agent: neighbor snapshots, journal events, fault requests. */
export class SwitchWatcher {
  private readonly child: ChildProcess;
  private next = 1;
  private readonly pending = new Map<number, (r: { status: number; body: string }) => void>();
  journal = true;

  constructor(
    readonly device: string,
    ns: string,
    port: number,
    on: {
      neighbors: (t: number, list: [string, string][] | null, error?: string) => void;
      events: (events: JournalEvent[]) => void;
    },
    nodeBin = process.execPath,
  ) {
    this.child = spawn('ip', ['netns', 'exec', ns, nodeBin, '-e', SWITCH_AGENT, String(port)], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let m: { k: string; [x: string]: unknown };
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      if (m.k === 'n') on.neighbors(m.t as number, m.list as [string, string][] | null, m.error as string);
      else if (m.k === 'e') on.events(m.events as JournalEvent[]);
      else if (m.k === 'nojournal') this.journal = false;
      else if (m.k === 'r') {
        this.pending.get(m.id as number)?.({ status: m.status as number, body: m.body as string });
        this.pending.delete(m.id as number);
      }
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    const id = this.next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ status: 0, body: `no answer from ${this.device}'s API in 10 s` });
      }, 10_000);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.child.stdin!.write(`${JSON.stringify({ id, method, path, body })}\n`);
    });
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * BIRD's control socket protocol (BIRD 1.6 `birdc`): a greeting `0001 …`, then per command lines
 * `NNNN-text` or ` text` (continuation), ending at the first line with a space after its code.
 * Returns the reply's text with the codes stripped, as birdc prints it.
 */
export function birdReply(raw: string): { done: boolean; text: string; rest: string } {
  const lines: string[] = [];
  let at = 0;
  for (;;) {
    const nl = raw.indexOf('\n', at);
    if (nl < 0) return { done: false, text: '', rest: raw };
    const line = raw.slice(at, nl);
    at = nl + 1;
    if (/^\d{4} /.test(line)) {
      const last = line.slice(5);
      if (last && line.slice(0, 4) !== '0000') lines.push(last);
      return { done: true, text: lines.join('\n'), rest: raw.slice(at) };
    }
    lines.push(/^\d{4}-/.test(line) ? line.slice(5) : line.startsWith(' ') ? line.slice(1) : line);
  }
}

/** A connection to one BIRD's control socket that reconnects after BIRD restarts. */
export class BirdControl {
  private socket?: Socket;
  private buf = '';
  private waiting?: (text: string | undefined) => void;

  constructor(readonly path: string) {}

  private connect(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = createConnection(this.path);
      let greeted = false;
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        this.buf += d;
        const r = birdReply(this.buf);
        if (!r.done) return;
        this.buf = r.rest;
        if (!greeted) {
          greeted = true;
          this.socket = s;
          return resolve(true);
        }
        const w = this.waiting;
        this.waiting = undefined;
        w?.(r.text);
      });
      const fail = () => {
        if (this.socket === s) this.socket = undefined;
        this.buf = '';
        const w = this.waiting;
        this.waiting = undefined;
        w?.(undefined);
        if (!greeted) resolve(false);
      };
      s.on('error', fail);
      s.on('close', fail);
    });
  }

  /** The reply to one command, or undefined when BIRD is not there. */
  async command(cmd: string, timeoutMs = 2000): Promise<string | undefined> {
    if (this.waiting) return undefined;
    if (!this.socket && !(await this.connect())) return undefined;
    const s = this.socket!;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        s.destroy();
        resolve(undefined);
      }, timeoutMs);
      this.waiting = (text) => {
        clearTimeout(timer);
        resolve(text);
      };
      s.write(`${cmd}\n`);
    });
  }

  async protocols(): Promise<BirdProtocol[] | undefined> {
    const text = await this.command('show protocols');
    return text === undefined ? undefined : parseBirdProtocols(text);
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/**
 * BIRD log lines (`2026-12-06 17:01:02[.123] <INFO> Node_172_20_0_1: …`, local time) → events,
 * for logs BIRD writes to a file or to stderr (`-d`); lines without a timestamp are skipped.
 */
export function parseBirdLog(text: string): { t: number; level: string; text: string }[] {
  const out: { t: number; level: string; text: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? <(\w+)> (.*)$/.exec(line);
    if (!m) continue;
    const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
    const t = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms).getTime();
    out.push({ t, level: m[8], text: m[9] });
  }
  return out;
}
