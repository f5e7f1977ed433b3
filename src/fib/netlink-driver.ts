/**
 * The Linux FIB over rtnetlink directly (the default; `ip -batch`, linux.ts, is the fallback when
 * no netlink socket can be opened). Changes go out as hand-built RTM_NEWROUTE / RTM_DELROUTE
 * messages, many per send, a bounded number per event-loop turn; every message asks for an ACK,
 * and each refusal maps back to its change. Only routes with our protocol and metric in table main
 * are written, deleted or reported. A replace is one atomic NLM_F_REPLACE when the `occupied`
 * oracle (the resolver's view of other protocols' routes) says no other route holds the prefix at
 * our metric; otherwise, or without an oracle, our delete then an exclusive add, so another
 * daemon's route is never overwritten (the kernel's replace takes whichever route is there).
 */
import { parseIPv6, parsePrefix } from '../util/ip.js';
import { MAX_NEXT_HOPS, validateChange } from './ip-lines.js';
import {
  decodeAck,
  decodeLink,
  decodeRoute,
  encodeDump,
  encodeRoute,
  messages,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLMSG_DONE,
  NLMSG_ERROR,
  type NlMessage,
  type NlNextHop,
  type NlRoute,
  RT_TABLE_MAIN,
  RTM_DELROUTE,
  RTM_GETLINK,
  RTM_GETROUTE,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  routeSize,
} from './netlink-messages.js';
import { NetlinkSocket } from './netlink-socket.js';
import { RTPROT_RACKBGP } from './protocol.js';
import type { FibApplyResult, FibChange, FibFailure, FibNextHop, FibPort, FibRoute } from './types.js';

const DEFAULT_METRIC = 20;
const RTN_UNICAST = 1;
/** Octets per send: the ACKs of one send (~0.5-1 KB of receive buffer each) must fit. */
const SEND_BYTES = 32 * 1024;
/** How long missing ACKs are waited for before the batch counts as lost. */
const ACK_TIMEOUT_MS = 10_000;

export interface NetlinkFibOptions {
  /** A network namespace name (/run/netns); by default the one rackbgp runs in. */
  readonly netns?: string;
  /** Route protocol number; default 179 (`proto rackbgp`). */
  readonly protocol?: number;
  /** Route metric; default 20. */
  readonly metric?: number;
  /**
   * Whether a route of another protocol may hold `prefix` at our metric. Answering false lets a
   * replace be one atomic NLM_F_REPLACE; absent, every replace is our delete + an exclusive add.
   */
  readonly occupied?: (family: 4 | 6, prefix: string, metric: number) => boolean;
  /** Most changes sent per event-loop turn; default 4,000 (~15-30 ms of kernel work on a quiet host). */
  readonly perTurn?: number;
  /** A turn also ends once it has taken this long (a loaded host); default 10 ms. */
  readonly turnMs?: number;
}

/** What a sent message answers for: its change, or null when its failure does not count. */
type Owner = FibChange | null;
type RouteType = typeof RTM_NEWROUTE | typeof RTM_DELROUTE;

/** One apply(): sequence numbers from `base`, the owner of each, ACKs read, refusals. */
interface Batch {
  readonly base: number;
  readonly owners: Owner[];
  got: number;
  readonly failed: FibFailure[];
}

export class NetlinkFib implements FibPort {
  readonly method = 'netlink' as const;
  readonly protocol: number;
  readonly metric: number;
  private readonly out = Buffer.alloc(SEND_BYTES);
  private readonly inBuf = Buffer.alloc(256 * 1024);
  private links: Map<string, number> | null = null;
  private readonly gateways = new Map<string, Uint8Array>();
  private seq = 1;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Per-operation counts of the last batches, for tests: how replaces went out. */
  readonly sent = { replaceAtomic: 0, replaceDeleteAdd: 0 };

  private constructor(
    private readonly sock: NetlinkSocket,
    private readonly options: NetlinkFibOptions,
  ) {
    this.protocol = options.protocol ?? RTPROT_RACKBGP;
    this.metric = options.metric ?? DEFAULT_METRIC;
  }

  /** Opens the socket; throws when netlink is unavailable (no FFI, no socket, no namespace). */
  static open(options: NetlinkFibOptions = {}): NetlinkFib {
    return new NetlinkFib(NetlinkSocket.open({ ...(options.netns && { netns: options.netns }) }), options);
  }

  /** Our routes (this protocol and metric, table main), IPv4 then IPv6. */
  dump(): Promise<FibRoute[]> {
    return this.serial(async () => {
      const names = await this.readLinks();
      const byIndex = new Map([...names].map(([n, i]) => [i, n]));
      const out: FibRoute[] = [];
      for (const fam of [4, 6] as const) {
        const merged = new Map<string, FibNextHop[]>();
        await this.dumpAll(RTM_GETROUTE, fam === 4 ? 2 : 10, (m) => {
          const r = decodeRoute(this.inBuf, m);
          if (!r || r.family !== fam || r.table !== RT_TABLE_MAIN || r.protocol !== this.protocol) return;
          if (r.type !== RTN_UNICAST || r.metric !== this.metric) return;
          let list = merged.get(r.prefix);
          if (!list) {
            list = [];
            merged.set(r.prefix, list);
          }
          for (const h of r.hops) {
            if (h.via === undefined) continue;
            const dev = byIndex.get(h.oif);
            list.push(dev === undefined ? { via: h.via } : { via: h.via, dev });
          }
        });
        for (const [prefix, nextHops] of merged) out.push({ family: fam, prefix, nextHops });
      }
      return out;
    });
  }

  /**
   * Applies changes in order. Resolves with the changes the kernel (or validation) refused; rejects
   * only when ACKs were lost (ENOBUFS, a dead socket): what took effect is unknown, dump and
   * reconcile then.
   */
  apply(changes: readonly FibChange[]): Promise<FibApplyResult> {
    return this.serial(() => this.applyNow(changes));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail.catch(() => {});
    this.sock.close();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(() => {
      if (this.closed) throw new Error('NetlinkFib is closed');
      return fn();
    });
    this.tail = next.catch(() => {});
    return next;
  }

  private async applyNow(changes: readonly FibChange[]): Promise<FibApplyResult> {
    const perTurn = Math.max(1, this.options.perTurn ?? 4000);
    const turnMs = this.options.turnMs ?? 10;
    let turn = { start: performance.now(), sent: 0 };
    if (this.needsLinks(changes)) await this.readLinks();
    const b: Batch = { base: this.seq, owners: [], got: 0, failed: [] };
    let used = 0;
    const flush = async () => {
      if (used === 0) return;
      this.sock.send(this.out, used);
      used = 0;
      await this.collect(b);
    };
    const put = async (type: RouteType, flags: number, r: NlRoute, owner: Owner) => {
      if (used + routeSize(r) > this.out.length) await flush();
      used = encodeRoute(this.out, used, type, flags, this.seq++, r, this);
      b.owners.push(owner);
    };
    for (let i = 0; i < changes.length; i++) {
      // Other work (sessions, timers) gets the loop between turns.
      if (++turn.sent > perTurn || (turn.sent % 256 === 0 && performance.now() - turn.start > turnMs)) {
        await flush();
        await new Promise((resolve) => setImmediate(resolve));
        turn = { start: performance.now(), sent: 1 };
      }
      const c = changes[i];
      const msg = this.toRoute(c);
      if (typeof msg === 'string') {
        b.failed.push({ change: c, error: msg });
        continue;
      }
      if (c.op === 'delete') await put(RTM_DELROUTE, 0, msg, c);
      else if (c.op === 'add') await put(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, msg, c);
      else if (this.options.occupied?.(c.route.family, c.route.prefix, this.metric) === false) {
        this.sent.replaceAtomic++;
        await put(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, msg, c);
      } else {
        // Ours may be gone ("No such process"): only the add's answer counts.
        this.sent.replaceDeleteAdd++;
        await put(RTM_DELROUTE, 0, { ...msg, hops: [] }, null);
        await put(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, msg, c);
      }
    }
    await flush();
    return { failed: b.failed };
  }

  /**
   * Reads ACKs until every message sent so far in batch `b` has its answer. The kernel queues them
   * inside send(), so normally there is no wait; messages with other sequence numbers (answers to
   * an earlier, abandoned batch) are skipped.
   */
  private async collect(b: Batch): Promise<void> {
    const want = this.seq - b.base;
    const deadline = Date.now() + ACK_TIMEOUT_MS;
    while (b.got < want) {
      const n = this.sock.recv(this.inBuf);
      if (n === 0) {
        if (Date.now() > deadline) throw new Error(`netlink: ${want - b.got} ACKs missing`);
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      for (const m of messages(this.inBuf, n)) {
        if (m.type !== NLMSG_ERROR) continue;
        const ack = decodeAck(this.inBuf, m);
        const k = (ack.seq - b.base) >>> 0;
        if (k >= want) continue;
        b.got++;
        const owner = b.owners[k];
        if (ack.errno !== 0 && owner) {
          const text = this.sock.strerror(ack.errno);
          b.failed.push({ change: owner, error: ack.message ? `${text}: ${ack.message}` : text });
        }
      }
    }
  }

  /** A change as a request, or why it cannot be one (the kernel never sees it). */
  private toRoute(c: FibChange): NlRoute | string {
    return this.fastV4(c) ?? this.checkedRoute(c);
  }

  /**
   * The common case without regular expressions or copies: an IPv4 prefix and gateways already
   * validated once (in the cache), interfaces known. Null sends the change the checked way.
   */
  private fastV4(c: FibChange): NlRoute | null {
    const family = c.op === 'delete' ? c.family : c.route.family;
    if (family !== 4) return null;
    const p = v4Prefix(c.op === 'delete' ? c.prefix : c.route.prefix);
    if (!p) return null;
    if (c.op === 'delete') return { family, dst: p, dstLen: p[4], hops: [] };
    const nh = c.route.nextHops;
    if (nh.length === 0 || nh.length > MAX_NEXT_HOPS) return null;
    const hops: NlNextHop[] = [];
    for (const h of nh) {
      const gateway = this.gateways.get(h.via);
      if (!gateway) return null;
      let oif = 0;
      if (h.dev !== undefined) {
        oif = this.links?.get(h.dev) ?? 0;
        if (!oif) return null;
      } else if (gateway.length === 16 && gateway[0] === 0xfe && (gateway[1] & 0xc0) === 0x80) return null;
      hops.push({ gateway, oif });
    }
    return { family, dst: p.subarray(0, 4), dstLen: p[4], hops };
  }

  /** Validated like an `ip` line; fills the gateway cache the fast path reads. */
  private checkedRoute(c: FibChange): NlRoute | string {
    const invalid = validateChange(c);
    if (invalid) return invalid;
    const prefix = c.op === 'delete' ? c.prefix : c.route.prefix;
    const family = c.op === 'delete' ? c.family : c.route.family;
    const p = parsePrefix(prefix);
    if (!p) return `malformed prefix ${prefix}`;
    if (c.op === 'delete') return { family, dst: p.bytes, dstLen: p.length, hops: [] };
    const hops: NlNextHop[] = [];
    for (const h of c.route.nextHops) {
      let oif = 0;
      if (h.dev !== undefined) {
        oif = this.links?.get(h.dev) ?? 0;
        if (!oif) return `Cannot find device "${h.dev}"`;
      }
      hops.push({ gateway: this.gateway(h.via), oif });
    }
    return { family, dst: p.bytes, dstLen: p.length, hops };
  }

  private gateway(via: string): Uint8Array {
    let g = this.gateways.get(via);
    if (!g) {
      const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(via);
      g = v4 ? Uint8Array.of(+v4[1], +v4[2], +v4[3], +v4[4]) : (parseIPv6(via) ?? new Uint8Array(16));
      if (this.gateways.size > 4096) this.gateways.clear();
      this.gateways.set(via, g);
    }
    return g;
  }

  /** True when a change names an interface the link map does not hold (re-read then). */
  private needsLinks(changes: readonly FibChange[]): boolean {
    for (const c of changes) {
      if (c.op === 'delete') continue;
      for (const h of c.route.nextHops) if (h.dev !== undefined && !this.links?.has(h.dev)) return true;
    }
    return false;
  }

  private async readLinks(): Promise<Map<string, number>> {
    const links = new Map<string, number>();
    await this.dumpAll(RTM_GETLINK, 0, (m) => {
      if (m.type !== RTM_NEWLINK) return;
      const l = decodeLink(this.inBuf, m);
      if (l) links.set(l.name, l.index);
    });
    this.links = links;
    return links;
  }

  /** Sends a dump request and passes every message of the answer to `each` until NLMSG_DONE. */
  private async dumpAll(
    type: typeof RTM_GETROUTE | typeof RTM_GETLINK,
    family: number,
    each: (m: NlMessage) => void,
  ): Promise<void> {
    const seq = this.seq++;
    this.sock.send(encodeDump(type, family, seq));
    const deadline = Date.now() + ACK_TIMEOUT_MS;
    for (let reads = 0; ; reads++) {
      const n = this.sock.recv(this.inBuf);
      if (n === 0) {
        if (Date.now() > deadline) throw new Error('netlink: dump answer missing');
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      for (const m of messages(this.inBuf, n)) {
        if (m.seq !== seq) continue;
        if (m.type === NLMSG_DONE) return;
        if (m.type === NLMSG_ERROR) {
          const ack = decodeAck(this.inBuf, m);
          if (ack.errno) throw new Error(`netlink dump: ${this.sock.strerror(ack.errno)}`);
          continue;
        }
        each(m);
      }
      // A large table comes in many reads: let the loop breathe between some of them.
      if (reads % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/**
 * "a.b.c.d/n" with zero host bits as 5 octets (address, then length), or null for anything else
 * (the checked path then decides and words the error).
 */
function v4Prefix(s: string): Uint8Array | null {
  const out = new Uint8Array(5);
  let part = 0;
  let v = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch >= 48 && ch <= 57) {
      v = v * 10 + ch - 48;
      if (++digits > 3 || v > 255) return null;
    } else if (digits > 0 && ((ch === 46 && part < 3) || (ch === 47 && part === 3))) {
      out[part++] = v;
      v = 0;
      digits = 0;
    } else return null;
  }
  if (part !== 4 || digits === 0 || digits > 2 || v > 32) return null;
  const addr = ((out[0] << 24) | (out[1] << 16) | (out[2] << 8) | out[3]) >>> 0;
  if (v < 32 && addr % 2 ** (32 - v) !== 0) return null;
  out[4] = v;
  return out;
}
