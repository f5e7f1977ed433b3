/**
 * A TABLE_DUMP_V2 snapshot (RFC 6396 §4.3) of RIB entries: one PEER_INDEX_TABLE naming every peer
 * with a path, then one RIB record per prefix (the RFC 8050 ADD-PATH subtype when a path of the
 * prefix has a path identifier). Pure: entries in, records out. Also the file-name time pattern.
 */
import type { RibDumpEntry } from '../core/rib-dump.js';
import { type MrtPeer, peerIndexTable, ribRecord } from './mrt-encode.js';

export interface TableDumpCounts {
  peers: number;
  prefixes: number;
  paths: number;
}

/**
 * The records of one snapshot. `entries` is called twice (peers first, then the prefixes), both in
 * the same event-loop turn, so it sees one RIB. Originated times are the dump time: the RIB does
 * not keep when a path arrived.
 */
export function tableDumpRecords(
  entries: () => Iterable<RibDumpEntry>,
  o: { collectorId: string; seconds: number; viewName?: string },
  counts: TableDumpCounts = { peers: 0, prefixes: 0, paths: 0 },
): Uint8Array[] {
  const index = new Map<number, number>();
  const peers: MrtPeer[] = [];
  for (const e of entries())
    for (const p of e.paths) {
      if (index.has(p.peer.id)) continue;
      index.set(p.peer.id, peers.length);
      peers.push({ address: p.peer.address, asn: p.peer.asn, routerId: p.peer.routerId });
    }
  const out = [peerIndexTable(o.seconds, o.collectorId, o.viewName ?? '', peers)];
  let sequence = 0;
  for (const e of entries()) {
    if (!e.paths.length) continue;
    const addPath = e.paths.some((p) => p.pathId !== 0);
    const ribEntries = e.paths.map((p) => ({
      peerIndex: index.get(p.peer.id)!,
      originated: o.seconds,
      pathId: p.pathId,
      attrs: p.attrs,
    }));
    out.push(ribRecord(o.seconds, sequence++, e.family, e.nlri, ribEntries, addPath));
    counts.paths += e.paths.length;
  }
  counts.peers = peers.length;
  counts.prefixes = sequence;
  return out;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** %Y %m %d %H %M %S in a file name replaced by the UTC time `ms` (BIRD's MRT file names do the same). */
export function expandFileName(pattern: string, ms: number): string {
  const d = new Date(ms);
  const parts: Record<string, string> = {
    Y: String(d.getUTCFullYear()),
    m: pad(d.getUTCMonth() + 1),
    d: pad(d.getUTCDate()),
    H: pad(d.getUTCHours()),
    M: pad(d.getUTCMinutes()),
    S: pad(d.getUTCSeconds()),
  };
  return pattern.replace(/%([YmdHMS%])/g, (_, c: string) => (c === '%' ? '%' : parts[c]));
}
