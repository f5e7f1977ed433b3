/**
 * The Loc-RIB as plain entries for MRT table dumps and BMP (RFC 6396 §4.3, RFC 7854 §4.6,
 * RFC 9069): per prefix its NLRI bytes and every path (the post-policy Adj-RIB-In of each peer,
 * RFC 4271 §3.2) with the best marked. Read-only: nothing here changes the RIB.
 */
import type { Dest } from '../rib/loc-rib.js';
import { keyToText, type PrefixKey, writeKey } from '../rib/prefix-key.js';
import type { Path, RouteAttrs } from '../rib/types.js';

export interface RibDumpPeer {
  /** 0: the speaker itself (originated routes). */
  readonly id: number;
  readonly address: string;
  readonly asn: number;
  readonly routerId: string;
}

export interface RibDumpPath {
  readonly peer: RibDumpPeer;
  readonly pathId: number;
  readonly attrs: RouteAttrs;
  readonly best: boolean;
}

export interface RibDumpEntry {
  readonly family: 4 | 6;
  readonly prefix: string;
  /** Prefix length octet and prefix octets (RFC 4271 §4.3 NLRI encoding). */
  readonly nlri: Uint8Array;
  readonly paths: readonly RibDumpPath[];
}

const peerOf = (p: Path): RibDumpPeer => ({
  id: p.peer.id,
  address: p.peer.address,
  asn: p.peer.asn,
  routerId: p.peer.routerId,
});

export function ribDumpEntry(d: Dest): RibDumpEntry {
  const scratch = new Uint8Array(17);
  const end = writeKey(d.key, scratch, 0);
  return {
    family: d.family,
    prefix: keyToText(d.family, d.key),
    nlri: scratch.slice(0, end),
    paths: d.paths.map((p) => ({
      peer: peerOf(p),
      pathId: p.pathId,
      attrs: p.attrs.attrs,
      best: p === d.best,
    })),
  };
}

/** Every destination of both families, IPv4 first. */
export function* ribDump(tables: Record<4 | 6, ReadonlyMap<unknown, Dest>>): Generator<RibDumpEntry> {
  for (const f of [4, 6] as const) for (const d of tables[f].values()) yield ribDumpEntry(d);
}

/** One route of an Adj-RIB (in before policy, or out): its prefix and what was received or sent. */
export interface AdjRibEntry {
  readonly family: 4 | 6;
  readonly prefix: string;
  readonly nlri: Uint8Array;
  readonly pathId: number;
  readonly attrs: RouteAttrs;
}

export function adjRibEntries(
  family: 4 | 6,
  rows: readonly { key: PrefixKey; pathId: number; attrs: RouteAttrs }[],
): AdjRibEntry[] {
  return rows.map((r) => {
    const scratch = new Uint8Array(17);
    const end = writeKey(r.key, scratch, 0);
    return {
      family,
      prefix: keyToText(family, r.key),
      nlri: scratch.slice(0, end),
      pathId: r.pathId,
      attrs: r.attrs,
    };
  });
}
