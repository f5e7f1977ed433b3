/**
 * Pre-encoded UPDATE streams for the generator (RFC 4271 §4.3), built once with packAnnouncements /
 * packWithdrawals into 4096-octet UPDATEs for a 4-octet-AS session without ADD-PATH: N distinct
 * IPv4 /24s from 16.0.0.0/24 up with one attribute set (or a distinct community every 4 prefixes),
 * followed by End-of-RIB (RFC 4724 §2); and the churn stream (withdraw, then re-announce changed).
 */
import { writeFileSync } from 'node:fs';
import {
  AsPathSegmentType,
  encodeMessage,
  endOfRib,
  IPV4_UNICAST,
  NlriList,
  Origin,
  type PathAttributes,
  packAnnouncements,
  packWithdrawals,
  type UpdateContext,
} from '../../src/wire/index.js';
import { v4Slash24s } from '../workloads.js';

const CTX: UpdateContext = { fourOctetAs: true, addPathRx: new Set(), addPathTx: new Set() };
const MAX = 4096;

export interface Stream {
  readonly bytes: Uint8Array;
  readonly updates: number;
  readonly prefixes: number;
}

/** The attributes of every generated route: IGP, AS_PATH [asn], NEXT_HOP the generator. */
export const baseAttrs = (asn: number, nextHop: string): PathAttributes => ({
  origin: Origin.IGP,
  asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [asn] }],
  nextHop,
});

/** Community of group g (4 prefixes each): (100 + g / 65536):(g mod 65536), unique per group. */
export const groupCommunity = (g: number): number => (100 + Math.floor(g / 65536)) * 65536 + (g % 65536);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const eor = () => encodeMessage(endOfRib(IPV4_UNICAST), CTX, MAX);

/** N /24s; `communityEvery` > 0 gives each run of that many prefixes its own community. */
export function transitStream(n: number, asn: number, nextHop: string, communityEvery = 0): Stream {
  const all = v4Slash24s(n);
  const attrs = baseAttrs(asn, nextHop);
  let msgs: Uint8Array[];
  if (!communityEvery) msgs = packAnnouncements(attrs, all, IPV4_UNICAST, CTX, MAX).messages;
  else {
    msgs = [];
    const entry = 4; // octets of one /24 NLRI entry
    for (let g = 0, i = 0; i < n; g++, i += communityEvery) {
      const k = Math.min(communityEvery, n - i);
      const part = NlriList.fromCanonical(1, false, all.bytes.subarray(i * entry, (i + k) * entry), k);
      msgs.push(
        ...packAnnouncements({ ...attrs, communities: [groupCommunity(g)] }, part, IPV4_UNICAST, CTX, MAX)
          .messages,
      );
    }
  }
  return { bytes: concat([...msgs, eor()]), updates: msgs.length, prefixes: n };
}

/** Withdraws the first `count` of the N prefixes, then announces them again with community asn:2. */
export function churnStream(count: number, asn: number, nextHop: string): Stream {
  const list = v4Slash24s(count);
  const withdraw = packWithdrawals(list, IPV4_UNICAST, CTX, MAX);
  const attrs = { ...baseAttrs(asn, nextHop), communities: [asn * 65536 + 2] };
  const announce = packAnnouncements(attrs, list, IPV4_UNICAST, CTX, MAX).messages;
  return {
    bytes: concat([...withdraw, ...announce]),
    updates: withdraw.length + announce.length,
    prefixes: count,
  };
}

export function writeStream(path: string, s: Stream): string {
  writeFileSync(path, s.bytes);
  return path;
}
