/**
 * BFD sessions by peer: creates, retimes and removes them from a list of specs (the config), gives
 * each a sending socket and discriminator, and demultiplexes received packets to them (RFC 5880
 * §6.3 by Your Discriminator, else by source address; RFC 5881 §5 TTL 255 on single hop). It does
 * not know BGP: transitions go to `changed`; src/core/bfd-link.ts ties them to the sessions.
 */
import type { Clock } from '../util/clock.js';
import { BfdState, type ControlPacket, decodeControl, diagName, encodeControl, stateName } from './packet.js';
import { BfdSession } from './session.js';
import { type BfdTimers, detectionTime, type Transition, transmitInterval } from './state-machine.js';
import { type Datagram, MULTIHOP_PORT, SINGLE_HOP_PORT } from './udp.js';

export interface BfdPeerSpec {
  readonly address: string;
  readonly localAddress?: string;
  readonly multihop: boolean;
  /** Microseconds, as RFC 5880 counts. */
  readonly timers: BfdTimers;
  /** RFC 5880 §6.8.16: the session is held in AdminDown (the neighbor is shut down). */
  readonly adminDown: boolean;
}

export interface BfdSender {
  send(b: Buffer, port: number): void;
  close(): void;
}

export interface BfdTransport {
  /** Starts delivering datagrams; an error text when the receive sockets cannot be opened. */
  open(onDatagram: (d: Datagram) => void): string | null;
  sender(spec: BfdPeerSpec): Promise<BfdSender>;
  /** Delivers, synchronously, every datagram the sockets hold now. */
  drain?(): void;
  close(): void;
}

export interface BfdLogger {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

export interface BfdManagerDeps {
  readonly clock: Clock;
  readonly random: () => number;
  /** Wall-clock milliseconds, for the views. */
  readonly wallClock: () => number;
  readonly log: BfdLogger;
  readonly transport: BfdTransport;
  readonly changed: (address: string, t: Transition, session: BfdSession) => void;
}

interface Entry {
  spec: BfdPeerSpec;
  readonly session: BfdSession;
  sender: BfdSender | null;
  removed: boolean;
  /** Wall-clock time of the last state change, and of the last Down with its cause. */
  changedAt: number;
  lastDown: { at: number; diag: string; from: string } | null;
}

/** What `show bfd` and the metrics see of one session. */
export interface BfdPeerView {
  readonly peer: string;
  readonly multihop: boolean;
  readonly state: string;
  readonly remoteState: string;
  readonly localDiscriminator: number;
  readonly remoteDiscriminator: number;
  readonly diagnostic: string;
  /** Negotiated: our transmit interval and the remote's detection time on us, milliseconds. */
  readonly txIntervalMs: number | null;
  readonly detectionTimeMs: number;
  readonly localMultiplier: number;
  readonly remoteMultiplier: number;
  readonly configured: { readonly minRxMs: number; readonly minTxMs: number; readonly multiplier: number };
  readonly remote: { readonly minRxMs: number; readonly minTxMs: number };
  /** Milliseconds in the current state. */
  readonly sinceMs: number;
  readonly lastDown: { readonly at: number; readonly diag: string; readonly from: string } | null;
  readonly counters: { readonly sent: number; readonly received: number; readonly transitions: number };
}

export interface BfdStatus {
  readonly sessions: readonly BfdPeerView[];
  /** Received packets dropped: ttl (not 255 on single hop), malformed, no-session, wrong-source. */
  readonly discarded: Readonly<Record<string, number>>;
}

const ms = (us: number) => us / 1000;
const key = (address: string) => address.split('%')[0].toLowerCase();

export class BfdManager {
  private readonly byAddress = new Map<string, Entry>();
  private readonly byDiscr = new Map<number, Entry>();
  /** Received packets dropped, by reason (RFC 5880 §6.8.6, RFC 5881 §5). */
  readonly discarded = new Map<string, number>();
  private opened = false;

  constructor(private readonly deps: BfdManagerDeps) {}

  /** Adds, retimes, admin-downs and removes sessions so that they match `specs`. */
  configure(specs: readonly BfdPeerSpec[]): string | null {
    const wanted = new Map(specs.map((s) => [key(s.address), s]));
    for (const [k, e] of this.byAddress) {
      const s = wanted.get(k);
      if (!s || s.multihop !== e.spec.multihop || s.localAddress !== e.spec.localAddress) this.remove(k, e);
    }
    if (wanted.size && !this.opened) {
      const err = this.deps.transport.open((d) => this.receive(d));
      if (err) return err;
      this.opened = true;
    }
    for (const [k, s] of wanted) {
      const e = this.byAddress.get(k);
      if (!e) this.add(k, s);
      else {
        e.spec = s;
        e.session.setTimers(s.timers);
        e.session.setAdminDown(s.adminDown);
      }
    }
    return null;
  }

  session(address: string): BfdSession | undefined {
    return this.byAddress.get(key(address))?.session;
  }

  views(): BfdPeerView[] {
    return [...this.byAddress.values()].map((e) => view(e, this.deps.clock.now()));
  }

  /** Every session and the packets dropped by reason, for `show bfd` and the metrics. */
  status(): BfdStatus {
    return { sessions: this.views(), discarded: Object.fromEntries(this.discarded) };
  }

  /** Every session sends AdminDown once (RFC 5882 §3.2: not a failure for the peer) and stops. */
  close(): void {
    for (const [k, e] of this.byAddress) this.remove(k, e);
    if (this.opened) this.deps.transport.close();
    this.opened = false;
  }

  private add(k: string, spec: BfdPeerSpec): void {
    let discr = 0;
    while (discr === 0 || this.byDiscr.has(discr)) discr = Math.floor(this.deps.random() * 0xffffffff) >>> 0;
    const port = spec.multihop ? MULTIHOP_PORT : SINGLE_HOP_PORT;
    const entry: Entry = {
      spec,
      sender: null,
      removed: false,
      changedAt: this.deps.wallClock(),
      lastDown: null,
      session: new BfdSession(
        spec.timers,
        discr,
        {
          clock: this.deps.clock,
          random: this.deps.random,
          send: (p: ControlPacket) => entry.sender?.send(encodeControl(p), port),
          changed: (t) => this.onChange(entry, t),
          drain: () => this.deps.transport.drain?.(),
        },
        spec.adminDown,
      ),
    };
    this.byAddress.set(k, entry);
    this.byDiscr.set(discr, entry);
    this.deps.transport.sender(spec).then(
      (sender) => {
        if (entry.removed) return sender.close();
        entry.sender = sender;
        entry.session.start();
      },
      (e: Error) =>
        this.deps.log.warn({ peer: spec.address, err: e.message }, 'BFD: cannot open a sending socket'),
    );
  }

  private remove(k: string, e: Entry): void {
    e.removed = true;
    e.session.setAdminDown(true);
    e.session.stop();
    e.sender?.close();
    this.byAddress.delete(k);
    this.byDiscr.delete(e.session.vars.localDiscr);
  }

  private onChange(e: Entry, t: Transition): void {
    const at = this.deps.wallClock();
    e.changedAt = at;
    if (t.to === BfdState.Down || t.to === BfdState.AdminDown)
      e.lastDown = { at, diag: diagName(t.diag), from: stateName(t.from) };
    const level = t.from === BfdState.Up ? 'warn' : 'info';
    this.deps.log[level](
      { peer: e.spec.address, from: stateName(t.from), to: stateName(t.to), diag: diagName(t.diag) },
      'BFD state change',
    );
    this.deps.changed(e.spec.address, t, e.session);
  }

  /** §6.8.6 demultiplexing, after the generic checks of the codec. */
  receive(d: Datagram): void {
    const reason = this.deliver(d);
    if (reason) this.discarded.set(reason, (this.discarded.get(reason) ?? 0) + 1);
  }

  /** The reason a datagram was dropped, or null when a session took it. */
  private deliver(d: Datagram): string | null {
    // RFC 5881 §5: single-hop packets "MUST be discarded" unless received with TTL 255.
    if (!d.multihop && d.ttl !== 255) return 'ttl';
    const r = decodeControl(d.data);
    if (!r.ok) return 'malformed';
    const p = r.packet;
    const e = p.yourDiscr !== 0 ? this.byDiscr.get(p.yourDiscr) : this.byAddress.get(key(d.address));
    if (!e) return 'no-session';
    if (key(e.spec.address) !== key(d.address) || e.spec.multihop !== d.multihop) return 'wrong-source';
    e.session.receive(p);
    return null;
  }
}

function view(e: Entry, now: number): BfdPeerView {
  const v = e.session.vars;
  const tx = transmitInterval(v);
  return {
    peer: e.spec.address,
    multihop: e.spec.multihop,
    state: stateName(v.state),
    remoteState: stateName(v.remoteState),
    localDiscriminator: v.localDiscr,
    remoteDiscriminator: v.remoteDiscr,
    diagnostic: diagName(v.localDiag),
    txIntervalMs: tx === null ? null : ms(tx),
    detectionTimeMs: ms(detectionTime(v)),
    localMultiplier: v.configured.detectMult,
    remoteMultiplier: v.remoteDetectMult,
    configured: {
      minRxMs: ms(v.configured.requiredMinRx),
      minTxMs: ms(v.configured.desiredMinTx),
      multiplier: v.configured.detectMult,
    },
    remote: { minRxMs: ms(v.remoteMinRx), minTxMs: ms(v.remoteDesiredMinTx) },
    sinceMs: Math.max(0, now - e.session.since),
    lastDown: e.lastDown,
    counters: { ...e.session.counters },
  };
}
