/**
 * The fuzz oracle: an independent reading of what a BGP speaker must answer to a byte stream,
 * written from the RFC text (RFC 4271 §6, §8.2.2; RFC 6608; RFC 7606 §3-§7; RFC 4760 §7; RFC 6793;
 * RFC 5492; RFC 6286; RFC 7313 §5; RFC 8092 §5), not from rackbgp's codec (nothing in src/wire is
 * used). The answer is a set of allowed outcomes: "code/subcode" of the first NOTIFICATION, or
 * "close" (the peer closes without one, after our NOTIFICATION). Where the RFCs leave a choice
 * (which of several errors to report, AFI/SAFI disable vs session reset) the set holds every
 * choice; a set of one NOTIFICATION is an exact oracle.
 */

export type Outcome = string;
export type FsmState = 'OpenSent' | 'OpenConfirm' | 'Established';

export interface SessionView {
  readonly localAsn: number;
  /** Our router id as a 32-bit number (RFC 6286 §2.2: an iBGP peer may not use it). */
  readonly localId: number;
  /** Families the receiver negotiates: ipv4/ipv6 unicast ((afi << 8) | safi). */
  readonly families: ReadonlySet<number>;
  /** Largest message before extended messages are negotiated (RFC 4271 §4.1). */
  readonly maxLength: number;
}

/** What an UPDATE does to the session when it is not reset (for the statistics). */
export type UpdateAction = 'none' | 'attribute-discard' | 'treat-as-withdraw';

export interface Verdict {
  readonly allowed: ReadonlySet<Outcome>;
  /** For a single message that keeps the session up: its RFC 7606 action. */
  readonly action?: UpdateAction;
}

const CONTINUE = 'continue';
const WAIT = 'wait';
const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number) =>
  ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const set = (...xs: string[]) => new Set<string>(xs);
const union = (a: Set<string>, b: Iterable<string>) => {
  for (const x of b) a.add(x);
  return a;
};

/** Every OPEN Message Error subcode (RFC 4271 §4.5, RFC 5492, RFC 9234): the weak OPEN oracle. */
const OPEN_ANY = ['2/0', '2/1', '2/2', '2/3', '2/4', '2/5', '2/6', '2/7', '2/8', '2/11'];

/**
 * Walks a byte stream the way the receiver frames it and returns the allowed outcomes. "wait" is
 * in the set when the stream ends inside a message (the receiver would wait for more octets).
 */
export function classifyStream(buf: Uint8Array, state: FsmState, view: SessionView): Verdict {
  let action: UpdateAction | undefined;
  const walk = (off: number, st: FsmState, depth: number): Set<string> => {
    if (buf.length - off < 19) return set(WAIT);
    const out = new Set<string>();
    for (let i = 0; i < 16; i++)
      if (buf[off + i] !== 0xff) {
        out.add('1/1');
        break;
      }
    const len = u16(buf, off + 16);
    if (len < 19 || len > view.maxLength) out.add('1/2');
    if (out.size) return out; // RFC 4271 §6.1: either header error may be reported
    if (buf.length - off < len) return set(WAIT);
    const frame = buf.subarray(off, off + len);
    const r = message(frame, st, view);
    if (depth === 0) action = r.action;
    if (!r.allowed.has(CONTINUE)) return r.allowed;
    const rest = new Set(r.allowed);
    rest.delete(CONTINUE);
    return union(rest, walk(off + len, r.next ?? st, depth + 1));
  };
  const allowed = walk(0, state, 0);
  return { allowed, ...(action && { action }) };
}

interface Step {
  allowed: Set<string>;
  next?: FsmState;
  action?: UpdateAction;
}

function message(frame: Uint8Array, st: FsmState, view: SessionView): Step {
  const len = frame.length;
  const type = frame[18];
  // RFC 4271 §6.1 per-type length rules; RFC 7313 §5 for ROUTE-REFRESH.
  if (type < 1 || type > 5) return { allowed: set('1/3') };
  if (type === 1 && len < 29) return { allowed: set('1/2') };
  if (type === 2 && len < 23) return { allowed: set('1/2') };
  if (type === 3 && len < 21) return { allowed: set('1/2') };
  if (type === 4 && len !== 19) return { allowed: set('1/2') };
  if (type === 3) return { allowed: set('close') }; // RFC 4271 §6.4: close, no answer
  if (type === 5 && len !== 23)
    return { allowed: st === 'Established' ? set('7/1') : set('7/1', '5/1', '5/2') };
  if (st === 'OpenSent') {
    // RFC 4271 §8.2.2 OpenSent: only an OPEN is expected; RFC 6608 §3 subcode 1.
    if (type !== 1) return { allowed: set('5/1') };
    const r = openErrors(frame, view, true);
    return { allowed: r, next: 'OpenConfirm' };
  }
  if (st === 'OpenConfirm') {
    if (type === 4) return { allowed: set(CONTINUE), next: 'Established' };
    return { allowed: type === 1 ? union(set('5/2'), OPEN_ANY) : set('5/2') };
  }
  // Established (RFC 4271 §8.2.2): KEEPALIVE and ROUTE-REFRESH keep it up; an OPEN is an FSM error
  // (RFC 6608 subcode 3) or, when malformed, its OPEN Message Error.
  if (type === 4 || type === 5) return { allowed: set(CONTINUE) };
  if (type === 1) {
    const r = openErrors(frame, view, false);
    r.delete(CONTINUE);
    return { allowed: union(r, ['5/3']) };
  }
  return updateOutcome(frame.subarray(19), view);
}

/**
 * RFC 4271 §6.2 OPEN checks (with RFC 5492 capabilities, RFC 9072 extended parameters, RFC 6286
 * identifiers, RFC 6793 AS numbers). `policy`: also the checks against the configured peer
 * (internal: same AS, different identifier) and the negotiated families (RFC 4760, RFC 5492 §5).
 * CONTINUE in the set means the OPEN may be accepted.
 */
export function openErrors(frame: Uint8Array, view: SessionView, policy: boolean): Set<string> {
  const b = frame.subarray(19);
  const errs = new Set<string>();
  let weak = false; // a structural fault whose subcode the RFCs leave open
  let mayAccept = false; // a fault the RFCs let a receiver ignore
  if (b[0] !== 4) errs.add('2/1');
  const as2 = u16(b, 1);
  const hold = u16(b, 3);
  const id = u32(b, 5);
  const optLen = b[9];
  const caps: { code: number; v: Uint8Array }[] = [];
  let p = 10;
  let end = 10 + optLen;
  let ext = false;
  if (optLen === 255 && b[10] === 255 && b.length >= 13) {
    ext = true; // RFC 9072 §2
    end = 13 + u16(b, 11);
    p = 13;
  }
  if (end !== b.length) weak = true;
  else {
    const hdr = ext ? 3 : 2;
    while (p < end) {
      if (p + hdr > end) {
        weak = true;
        break;
      }
      const type = b[p];
      const plen = ext ? u16(b, p + 1) : b[p + 1];
      const v0 = p + hdr;
      if (v0 + plen > end) {
        weak = true;
        break;
      }
      p = v0 + plen;
      if (type !== 2) {
        errs.add('2/4'); // RFC 5492 §3: Unsupported Optional Parameter
        continue;
      }
      let q = v0;
      while (q < v0 + plen) {
        if (q + 2 > v0 + plen || q + 2 + b[q + 1] > v0 + plen) {
          weak = true;
          break;
        }
        caps.push({ code: b[q], v: b.subarray(q + 2, q + 2 + b[q + 1]) });
        q += 2 + b[q + 1];
      }
    }
  }
  let as4: number | undefined;
  const fams = new Set<number>();
  let mp = false;
  for (const c of caps) {
    const n = c.v.length;
    const bad = (ok: boolean, lenient = false) => {
      if (ok) return;
      weak = true;
      if (lenient) mayAccept = true;
    };
    if (c.code === 1) {
      bad(n === 4); // RFC 4760 §8
      if (n === 4) {
        mp = true;
        fams.add((u16(c.v, 0) << 8) | c.v[3]);
      }
    } else if (c.code === 65) {
      bad(n === 4); // RFC 6793 §3
      if (n === 4) as4 ??= u32(c.v, 0);
    } else if (c.code === 64) bad(n >= 2 && (n - 2) % 4 === 0, true);
    else if (c.code === 69) bad(n % 4 === 0, true);
    else if (c.code === 2 || c.code === 6 || c.code === 70 || c.code === 128) bad(n === 0, true);
    else if (c.code === 5) bad(n % 6 === 0, true);
    // Long-lived GR (7-octet tuples) and FQDN (two length-prefixed strings): decoded by some
    // speakers (FRR), who refuse them malformed; ignorable by the others (RFC 5492 §3).
    else if (c.code === 71) bad(n % 7 === 0, true);
    else if (c.code === 73)
      bad(n >= 1 && (n === 1 + c.v[0] || (n >= 2 + c.v[0] && n === 2 + c.v[0] + c.v[1 + c.v[0]])), true);
  }
  if (hold === 1 || hold === 2) errs.add('2/6');
  if (policy) {
    const asn = as4 ?? as2;
    if (asn !== view.localAsn) errs.add('2/2');
    if (as4 !== undefined && as2 !== 23456 && as2 !== as4) mayAccept = true; // RFC 6793 §4.2.1 leaves it open
    if (id === 0 || id === view.localId) errs.add('2/3');
    if (mp && ![...fams].some((f) => view.families.has(f))) errs.add('2/7');
  } else if (id === 0) errs.add('2/3');
  const strict = errs.size > 0;
  if (weak) union(errs, OPEN_ANY);
  if (!strict && (!weak || mayAccept)) errs.add(CONTINUE);
  return errs;
}

/** Checks a list of prefixes (RFC 4271 §4.3): false when malformed; counts into `n`. */
function prefixes(b: Uint8Array, start: number, end: number, maxBits: number, n = { count: 0 }): boolean {
  let p = start;
  while (p < end) {
    const bits = b[p];
    if (bits > maxBits) return false;
    p += 1 + ((bits + 7) >> 3);
    if (p > end) return false;
    n.count++;
  }
  return true;
}

interface Attr {
  readonly act: 'taw' | 'discard';
  /** Canonical Optional | Transitive bits. */
  readonly flags: number;
  /** Subcodes when malformed, [] when fine. */
  check(v: Uint8Array): number[];
}

const WK = 0x40;
const OPT = 0x80;
const OT = 0xc0;
const lenIs = (n: number) => (v: Uint8Array) => (v.length === n ? [] : [5]);
const multiple =
  (n: number, sub = [5]) =>
  (v: Uint8Array) =>
    v.length > 0 && v.length % n === 0 ? [] : sub;

/** AS_PATH segments of 4-octet ASNs (RFC 7606 §7.2): type 1-4, non-zero count, no overrun/underrun. */
function asPath(v: Uint8Array): number[] {
  let p = 0;
  while (p < v.length) {
    if (p + 2 > v.length) return [11];
    const t = v[p];
    const n = v[p + 1];
    if (t < 1 || t > 4 || n === 0) return [11];
    p += 2 + 4 * n;
    if (p > v.length) return [11];
  }
  return [];
}

/** RFC 7606 §7 per attribute, for an internal peer on a 4-octet AS session (RFC 6793). */
const ATTRS: Record<number, Attr> = {
  1: { act: 'taw', flags: WK, check: (v) => (v.length !== 1 ? [5] : v[0] > 2 ? [6] : []) },
  2: { act: 'taw', flags: WK, check: asPath },
  3: { act: 'taw', flags: WK, check: lenIs(4) },
  4: { act: 'taw', flags: OPT, check: lenIs(4) },
  5: { act: 'taw', flags: WK, check: lenIs(4) },
  6: { act: 'discard', flags: WK, check: lenIs(0) },
  7: { act: 'discard', flags: OT, check: lenIs(8) },
  8: { act: 'taw', flags: OT, check: multiple(4) },
  9: { act: 'taw', flags: OPT, check: lenIs(4) },
  10: { act: 'taw', flags: OPT, check: multiple(4) },
  16: { act: 'taw', flags: OT, check: multiple(8) },
  // RFC 6793 §4.1/§6: a NEW speaker discards AS4_PATH and AS4_AGGREGATOR from a NEW speaker.
  17: { act: 'discard', flags: OT, check: () => [] },
  18: { act: 'discard', flags: OT, check: () => [] },
  32: { act: 'taw', flags: OT, check: multiple(12, [5, 9]) }, // RFC 8092 §5 names no subcode
};

interface MpResult {
  /** Session reset subcodes (RFC 4760 §7, RFC 7606 §7.11); empty when fine. */
  reset: number[];
  /** The reset is only one of the allowed choices (a family not negotiated, RFC 8950 next hop). */
  optional: boolean;
  reach: number;
  /** Reachable NLRI of a family we cannot parse: whether it counts as "reachable" is open. */
  opaque: boolean;
}

function mpAttr(code: number, v: Uint8Array, view: SessionView): MpResult {
  const r: MpResult = { reset: [], optional: false, reach: 0, opaque: false };
  const bad = (subs = [9]) => {
    r.reset = subs;
    return r;
  };
  const min = code === 14 ? 5 : 3;
  if (v.length < min) return bad();
  const afi = u16(v, 0);
  const safi = v[2];
  const fam = (afi << 8) | safi;
  const known = (afi === 1 || afi === 2) && (safi === 1 || safi === 2);
  r.optional = !view.families.has(fam);
  let nlriStart = 3;
  if (code === 14) {
    const nh = v[3];
    nlriStart = 5 + nh;
    if (nlriStart > v.length) return bad();
    if (known) {
      const v4 = afi === 1;
      if (v4 && (nh === 16 || nh === 32))
        r.optional = true; // RFC 8950 without its capability
      else if (v4 ? nh !== 4 : nh !== 16 && nh !== 32) return bad();
    }
  }
  if (!known) {
    if (code === 14 && v.length > nlriStart) r.opaque = true;
    return r;
  }
  const n = { count: 0 };
  if (!prefixes(v, nlriStart, v.length, afi === 1 ? 32 : 128, n)) return bad([9, 10]);
  if (code === 14) r.reach = n.count;
  return r;
}

/** RFC 4271 §6.3 as revised by RFC 7606: the outcome of one UPDATE body on an Established session. */
export function updateOutcome(body: Uint8Array, view: SessionView): Step {
  const n = body.length;
  const wlen = u16(body, 0);
  if (4 + wlen > n) return { allowed: set('3/1') };
  const alen = u16(body, 2 + wlen);
  const aStart = 4 + wlen;
  const aEnd = aStart + alen;
  if (aEnd > n) return { allowed: set('3/1') };
  const resets = new Set<string>(); // definite session resets
  const optionalResets = new Set<string>();
  // RFC 7606 §5.3: Withdrawn Routes and NLRI that cannot be parsed reset the session.
  if (!prefixes(body, 2, 2 + wlen, 32)) resets.add('3/10');
  const nlri = { count: 0 };
  if (!prefixes(body, aEnd, n, 32, nlri)) resets.add('3/10');

  const taw = new Set<string>();
  let discard = false;
  const seen = new Set<number>();
  let reach = 0;
  let opaque = false;
  let p = aStart;
  while (p < aEnd) {
    const flags = body[p];
    const hdr = flags & 0x10 ? 4 : 3;
    // RFC 7606 §4: an attribute header or value running past the list is treat-as-withdraw.
    if (p + hdr > aEnd) {
      taw.add('3/1');
      break;
    }
    const code = body[p + 1];
    const len = hdr === 4 ? u16(body, p + 2) : body[p + 2];
    if (p + hdr + len > aEnd) {
      taw.add('3/1');
      break;
    }
    const v = body.subarray(p + hdr, p + hdr + len);
    p += hdr + len;
    const mp = code === 14 || code === 15;
    if (seen.has(code)) {
      // RFC 7606 §3 (g): repeated MP attributes reset, other repeats are discarded.
      if (mp) resets.add('3/1');
      else discard = true;
      continue;
    }
    seen.add(code);
    const type = flags & 0xc0;
    if (mp) {
      if (type !== OPT) {
        resets.add('3/4'); // RFC 7606 §3 (c) malformed + §7.11 (Optional Attribute Error also fits)
        resets.add('3/9');
        continue;
      }
      const r = mpAttr(code, v, view);
      for (const s of r.reset) (r.optional ? optionalResets : resets).add(`3/${s}`);
      if (!r.reset.length || r.optional) {
        reach += r.reach;
        opaque ||= r.opaque;
      }
      continue;
    }
    const a = ATTRS[code];
    if (!a) {
      // RFC 4271 §6.3: unrecognized well-known → 3/2; unrecognized optional: kept or ignored (§5).
      if (!(flags & OPT)) resets.add('3/2');
      continue;
    }
    const subs = type !== a.flags ? [4] : a.check(v); // RFC 7606 §3 (c)
    if (!subs.length) continue;
    if (a.act === 'discard') discard = true;
    else for (const s of subs) taw.add(`3/${s}`);
  }
  const announces = nlri.count > 0 || reach > 0;
  // RFC 7606 §3 (d): missing ORIGIN, AS_PATH (and NEXT_HOP for classic NLRI) when announcing.
  if (announces || opaque) {
    const missing = [1, 2, ...(nlri.count > 0 ? [3] : [])].filter((c) => !seen.has(c));
    for (const _ of missing) taw.add('3/3');
  }
  let base: Set<string>;
  let action: UpdateAction = taw.size ? 'treat-as-withdraw' : discard ? 'attribute-discard' : 'none';
  if (resets.size) base = resets;
  else if (taw.size && !announces) {
    // RFC 7606 §5.2: no reachable NLRI, so nothing to treat as withdrawn: session reset. When the
    // only reachable NLRI is of a family we do not parse, either reading is allowed.
    base = new Set(taw);
    if (opaque) base.add(CONTINUE);
  } else base = set(CONTINUE);
  if (!base.has(CONTINUE)) action = 'treat-as-withdraw';
  return { allowed: union(base, optionalResets), action };
}

export const isContinue = (s: ReadonlySet<string>) => s.size === 1 && s.has(CONTINUE);
export const OUTCOME = { CONTINUE, WAIT } as const;
