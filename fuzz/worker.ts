/**
 * The live fuzz client, run in the fuzzers' namespace (`ip netns exec NS node worker.js …`): one
 * loop per source address, each opening session after session to the speaker. A session either
 * sends a mutated OPEN or an out-of-order message first (the speaker is in OpenSent), or reaches
 * Established with a valid OPEN and sends a batch of mutated UPDATEs; every stream ends in a
 * message whose outcome is certain (TERMINATOR), so the NOTIFICATION that comes back also proves
 * the session survived everything before it. The oracle (oracle.ts, from the RFC text alone) says
 * which answers are allowed; anything else is a mismatch, kept with the stream in hex.
 * Prints JSON lines: `{"progress": messages}` every 100,000 messages, then the totals.
 */
import { connect } from 'node:net';
import { type Attr, buildOpen, buildUpdate, concat, KEEPALIVE, prefix, validOpenSpec } from './build.js';
import { loadCorpus } from './corpus.js';
import { Mutator, TERMINATOR } from './mutate.js';
import { classifyStream, type FsmState, OUTCOME, type SessionView } from './oracle.js';
import { Prng } from './prng.js';

const arg = (name: string, dflt?: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) throw new Error(`fuzz worker: --${name} is required`);
  return v;
};

const target = arg('target');
const sources = arg('sources').split(',');
const messages = Number(arg('messages'));
const asn = Number(arg('asn'));
const speakerId = ipNumber(arg('speaker-id'));
const seed = Number(arg('seed', '1'));
const corpus = loadCorpus(arg('corpus'));
const beforeOpenShare = Number(arg('before-open', '0.15'));
const timeoutMs = Number(arg('timeout', '10000'));
/** rackbgp's API, for the treat-as-withdraw probes (one session in `probeEvery`). */
const api = arg('api');
const probeEvery = Number(arg('probe-every', '200'));

const view: SessionView = {
  localAsn: asn,
  localId: speakerId,
  families: new Set([0x101, 0x201]),
  maxLength: 4096,
};

export interface FuzzTotals {
  messages: number;
  sessions: number;
  /** Sessions the speaker refused before answering (the address's previous session not gone yet). */
  refused: number;
  byKind: Record<string, number>;
  /** The speaker's answer per session: NOTIFICATION "code/subcode" or "close". */
  byOutcome: Record<string, number>;
  /** RFC 7606 action of each UPDATE that kept the session up, by the oracle. */
  byAction: Record<string, number>;
  /** Probes: a prefix announced, then a treat-as-withdraw UPDATE for it; the RIB must lose it. */
  withdrawProbes: { passed: number; failed: string[] };
  /** Answers the oracle does not allow; the first 50 with their streams. */
  mismatchCount: number;
  mismatches: { state: FsmState; allowed: string[]; got: string; hex: string }[];
  corpus: number;
  seconds: number;
}

const totals: FuzzTotals = {
  messages: 0,
  sessions: 0,
  refused: 0,
  byKind: {},
  byOutcome: {},
  byAction: {},
  withdrawProbes: { passed: 0, failed: [] },
  mismatchCount: 0,
  mismatches: [],
  corpus: corpus.length,
  seconds: 0,
};
const bump = (m: Record<string, number>, k: string, n = 1) => {
  m[k] = (m[k] ?? 0) + n;
};

function ipNumber(s: string): number {
  return s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

interface Planned {
  readonly state: FsmState;
  readonly stream: Uint8Array;
  readonly allowed: ReadonlySet<string>;
  readonly cases: number;
  readonly kinds: string[];
}

/** Cases until one ends the session (at most 48), then the terminator; padded when a length lies. */
function plan(m: Mutator, rng: Prng, state: FsmState): Planned {
  const parts: Uint8Array[] = [];
  const kinds: string[] = [];
  const max = state === 'OpenSent' ? 1 : rng.range(1, 48);
  for (let i = 0; i < max; i++) {
    const c = state === 'OpenSent' ? m.beforeOpen() : m.update();
    parts.push(c.bytes);
    kinds.push(c.kind);
    // A whole frame that leaves the session up: the oracle then waits for the next message.
    const v = classifyStream(c.bytes, state, view);
    const whole = ((c.bytes[16] << 8) | c.bytes[17]) === c.bytes.length;
    if (whole && v.allowed.size === 1 && v.allowed.has(OUTCOME.WAIT))
      bump(totals.byAction, v.action ?? 'none');
    else break;
  }
  parts.push(TERMINATOR);
  let stream = concat(parts);
  let allowed = classifyStream(stream, state, view).allowed;
  // A length that claims more than was sent: octets that complete the frame (zeros: 1/1 after it).
  while (allowed.has(OUTCOME.WAIT)) {
    stream = concat([stream, new Uint8Array(4096)]);
    allowed = classifyStream(stream, state, view).allowed;
  }
  return { state, stream, allowed, cases: kinds.length, kinds };
}

type Result = { got: string } | 'refused';

/** One session; resolves with the speaker's answer to the planned stream. */
function session(
  source: string,
  p: Planned,
  open: Uint8Array,
  atEstablished?: (write: (b: Uint8Array) => void) => Promise<void>,
): Promise<Result> {
  return new Promise((resolve) => {
    const s = connect({ host: target, port: 179, localAddress: source });
    s.setNoDelay(true);
    let buf: Uint8Array = new Uint8Array(0);
    let theirOpen = false;
    let sent = false;
    let done = false;
    const finish = (r: Result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(sent ? { got: 'timeout' } : 'refused'), timeoutMs);
    const sendStream = () => {
      sent = true;
      s.write(p.stream);
    };
    s.on('connect', () => {
      if (p.state === 'OpenSent') sendStream();
      else s.write(open);
    });
    s.on('data', (chunk: Buffer) => {
      buf = buf.length ? concat([buf, chunk]) : new Uint8Array(chunk);
      while (buf.length >= 19) {
        const len = (buf[16] << 8) | buf[17];
        if (len < 19 || buf.length < len) break;
        const type = buf[18];
        const code = len >= 21 ? `${buf[19]}/${buf[20]}` : '?';
        buf = buf.subarray(len);
        if (type === 3) {
          // A Cease before our stream: the speaker turned the connection away (collision, limit).
          if (!sent || !theirOpen) return finish('refused');
          return finish({ got: code });
        }
        if (type === 1) {
          theirOpen = true;
          if (p.state !== 'OpenSent') s.write(KEEPALIVE);
        } else if (type === 4 && theirOpen && !sent && p.state !== 'OpenSent') {
          if (!atEstablished) sendStream();
          else {
            sent = true; // from here on an answer belongs to the probe's stream
            atEstablished((b) => s.write(b)).then(
              () => s.write(p.stream),
              (e) => finish({ got: `probe: ${(e as Error).message}` }),
            );
          }
        }
      }
    });
    s.on('error', () => {});
    s.on('close', () => finish(sent && theirOpen ? { got: 'close' } : 'refused'));
  });
}

function terminatorOnly(): Planned {
  return { state: 'Established', stream: TERMINATOR, allowed: new Set(['1/2']), cases: 0, kinds: [] };
}

const u32b = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
/** RFC 7606 treat-as-withdraw faults (§7.1 ORIGIN, §7.2 AS_PATH, §7.3 NEXT_HOP, §7.4 MED, §7.5 LOCAL_PREF, §7.8 COMMUNITIES, §3 (d) missing). */
const TAW_FAULTS: ((attrs: Attr[]) => Attr[])[] = [
  (a) => a.map((x) => (x.code === 1 ? { ...x, value: Uint8Array.of(7) } : x)),
  (a) => a.map((x) => (x.code === 2 ? { ...x, value: Uint8Array.of(2, 3, 0, 0, 0xfd, 0xe8) } : x)),
  (a) => a.map((x) => (x.code === 3 ? { ...x, value: Uint8Array.of(10, 78, 1) } : x)),
  (a) => [...a, { flags: 0x80, code: 4, value: Uint8Array.of(0, 1) }],
  (a) => a.map((x) => (x.code === 5 ? { ...x, value: Uint8Array.of(0, 0, 1) } : x)),
  (a) => [...a, { flags: 0xc0, code: 8, value: Uint8Array.of(0xfd, 0xe8, 0) }],
  (a) => a.filter((x) => x.code !== 2),
];

/** Poll rackbgp's API until `prefix` has (or has no) path from `source`. */
async function pathFrom(source: string, pfx: string, want: boolean): Promise<void> {
  const end = Date.now() + 5000;
  for (;;) {
    const r = await fetch(`${api}/api/routes?prefix=${pfx}`);
    const routes = r.ok ? ((await r.json()) as { paths: { peer: string }[] }[]) : [];
    const has = routes.some((x) => x.paths.some((q) => q.peer === source));
    if (has === want) return;
    if (Date.now() > end)
      throw new Error(`${pfx} from ${source} ${want ? 'never arrived' : 'still in the RIB'}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** Announces a prefix, checks it arrived, sends a treat-as-withdraw UPDATE for it, checks it left. */
async function withdrawProbe(
  rng: Prng,
  source: string,
  w: number,
  write: (b: Uint8Array) => void,
): Promise<void> {
  const addr = Uint8Array.of(10, 79, w, rng.int(256));
  const pfx = `${addr.join('.')}/32`;
  const attrs: Attr[] = [
    { flags: 0x40, code: 1, value: Uint8Array.of(0) },
    { flags: 0x40, code: 2, value: Uint8Array.of(2, 1, ...u32b(64999)) }, // not our AS: no loop
    { flags: 0x40, code: 3, value: Uint8Array.of(10, 78, 1, w + 1) },
    { flags: 0x40, code: 5, value: u32b(100) },
  ];
  const nlri = prefix(32, addr);
  write(buildUpdate({ withdrawn: new Uint8Array(0), attrs, nlri }));
  await pathFrom(source, pfx, true);
  const bad = buildUpdate({ withdrawn: new Uint8Array(0), attrs: rng.pick(TAW_FAULTS)(attrs), nlri });
  const v = classifyStream(bad, 'Established', view);
  if (v.action !== 'treat-as-withdraw' || !v.allowed.has(OUTCOME.WAIT))
    throw new Error(`probe UPDATE is not treat-as-withdraw by the oracle: ${[...v.allowed]}`);
  write(bad);
  try {
    await pathFrom(source, pfx, false);
    totals.withdrawProbes.passed++;
  } catch (e) {
    totals.withdrawProbes.failed.push(`${(e as Error).message}: ${Buffer.from(bad).toString('hex')}`);
  }
}

async function worker(w: number): Promise<void> {
  const source = sources[w];
  const rng = new Prng(seed, w + 1);
  const ourId = 0x0a4e0000 + w + 1;
  const m = new Mutator(rng, corpus, asn, ourId);
  const open = buildOpen(validOpenSpec(asn, ourId));
  let sessions = 0;
  while (totals.messages < messages) {
    const probing = ++sessions % probeEvery === 0;
    const p = probing
      ? terminatorOnly()
      : plan(m, rng, rng.chance(beforeOpenShare) ? 'OpenSent' : 'Established');
    totals.messages += p.cases;
    for (const k of p.kinds) bump(totals.byKind, k);
    for (let attempt = 0; ; attempt++) {
      const r = await session(
        source,
        p,
        open,
        probing ? (write) => withdrawProbe(rng, source, w, write) : undefined,
      );
      if (r !== 'refused') {
        totals.sessions++;
        bump(totals.byOutcome, r.got);
        if (!p.allowed.has(r.got) && totals.mismatchCount++ < 50)
          totals.mismatches.push({
            state: p.state,
            allowed: [...p.allowed],
            got: r.got,
            hex: Buffer.from(p.stream.subarray(0, 2048)).toString('hex'),
          });
        break;
      }
      totals.refused++;
      if (attempt > 50) throw new Error(`${source}: refused 50 times in a row`);
      await new Promise((res) => setTimeout(res, Math.min(20 * (attempt + 1), 500)));
    }
    const before = totals.messages - p.cases;
    if (Math.floor(before / 100_000) !== Math.floor(totals.messages / 100_000))
      process.stdout.write(`${JSON.stringify({ progress: totals.messages, sessions: totals.sessions })}\n`);
  }
}

const t0 = performance.now();
Promise.all(sources.map((_, w) => worker(w))).then(
  () => {
    totals.seconds = (performance.now() - t0) / 1000;
    process.stdout.write(`${JSON.stringify(totals)}\n`);
  },
  (e) => {
    totals.seconds = (performance.now() - t0) / 1000;
    process.stdout.write(`${JSON.stringify({ ...totals, fatal: (e as Error).message })}\n`);
    process.exit(0);
  },
);
