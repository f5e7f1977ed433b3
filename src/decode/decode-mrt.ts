/**
 * `rackbgp decode --mrt`: MRT files (RFC 6396; gzip-compressed too) to the records `decode --pcap`
 * prints. BGP4MP messages decode with the wire codec in the context their subtype gives (4-octet AS,
 * RFC 8050 ADD-PATH); each TABLE_DUMP(_V2) RIB entry becomes an UPDATE-shaped record announcing its
 * prefix. Pure: bytes in, plain records out.
 */
import { gunzipSync } from 'node:zlib';
import { bgp4mpMessageKind, mrtSubtypeName, mrtTypeName } from '../mrt/constants.js';
import { type MrtHeader, type MrtItem, type RibPathEntry, readMrt } from '../mrt/mrt-decode.js';
import type { MrtPeer } from '../mrt/mrt-encode.js';
import { parsePrefix } from '../util/ip.js';
import {
  Action,
  Afi,
  actionName,
  decodeMessage,
  IPV4_UNICAST,
  IPV6_UNICAST,
  issueToJson,
  MAX_EXTENDED_MESSAGE_LENGTH,
  messageToJson,
  NlriList,
  type UpdateMessage,
} from '../wire/index.js';
import { errorToJson } from './decode-stream.js';

// biome-ignore lint/suspicious/noExplicitAny: the documented JSON form is untyped
type Json = any;

/** A gzip file is inflated first (collectors publish .gz; bgpdump reads them as they are). */
export function mrtBytes(bytes: Uint8Array): Uint8Array {
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

/** Whether the bytes start like an MRT record of a type this reader knows (after gunzip). */
export function looksLikeMrt(bytes: Uint8Array): boolean {
  if (bytes.length < 12) return false;
  const type = (bytes[4] << 8) | bytes[5];
  return type === 12 || type === 13 || type === 16 || type === 17;
}

const timeOf = (h: MrtHeader): string =>
  new Date(h.seconds * 1000)
    .toISOString()
    .replace(/\.\d{3}Z$/, `.${String((h.microseconds ?? 0) * 1000).padStart(9, '0')}Z`);

export interface MrtDecode {
  readonly records: Json[];
  /** Records this reader does not interpret (type/subtype and how many). */
  readonly skipped: Map<string, number>;
}

/** Decodes every record of an MRT file; RIB entries name their peer from the last PEER_INDEX_TABLE. */
export function decodeMrt(input: Uint8Array): MrtDecode {
  const records: Json[] = [];
  const skipped = new Map<string, number>();
  let peers: readonly MrtPeer[] = [];
  let index = 0;
  for (const item of readMrt(mrtBytes(input))) {
    const h = item.header;
    const base = {
      time: timeOf(h),
      index: index++,
      offset: h.offset,
      mrt: { type: mrtTypeName(h.type), subtype: mrtSubtypeName(h.type, h.subtype) },
    };
    const b = item.body;
    switch (b.kind) {
      case 'peer-index':
        peers = b.peers;
        records.push({
          ...base,
          peerIndex: { collectorId: b.collectorId, viewName: b.viewName, peers: b.peers },
        });
        break;
      case 'rib':
        for (const e of b.entries) records.push(ribRecord(base, b, e, e.peer ?? peers[e.peerIndex]));
        break;
      case 'message':
        records.push(messageRecord(base, item));
        break;
      case 'state':
        records.push({
          ...base,
          direction: `${b.peerAddress}>${b.localAddress}`,
          peer: { address: b.peerAddress, as: b.peerAs },
          state: { from: b.from, to: b.to },
        });
        break;
      case 'unsupported': {
        const k = `${base.mrt.type}/${base.mrt.subtype}`;
        skipped.set(k, (skipped.get(k) ?? 0) + 1);
        break;
      }
      case 'error':
        records.push({ ...base, error: { reason: b.reason } });
        break;
    }
  }
  return { records, skipped };
}

function messageRecord(base: Json, item: MrtItem): Json {
  const b = item.body as Extract<MrtItem['body'], { kind: 'message' }>;
  const kind = bgp4mpMessageKind(item.header.subtype)!;
  const families = new Set(kind.addPath ? [IPV4_UNICAST, IPV6_UNICAST] : []);
  const ctx = { fourOctetAs: b.as4, addPathRx: families, addPathTx: families };
  const [from, to] = b.local ? [b.localAddress, b.peerAddress] : [b.peerAddress, b.localAddress];
  const out: Json = {
    ...base,
    direction: `${from}>${to}`,
    peer: { address: b.peerAddress, as: b.peerAs },
    local: { address: b.localAddress, as: b.localAs },
    length: b.message.length,
  };
  const r = decodeMessage(b.message, ctx, MAX_EXTENDED_MESSAGE_LENGTH);
  if (!r.ok) return { ...out, error: errorToJson(r.error) };
  out.message = messageToJson(r.message);
  if (r.issues.length) out.issues = r.issues.map(issueToJson);
  if (r.action !== Action.NONE) out.action = actionName(r.action);
  return out;
}

/** A RIB entry as the UPDATE that would announce it: its prefix, attributes and next hop. */
function ribRecord(
  base: Json,
  rib: Extract<MrtItem['body'], { kind: 'rib' }>,
  e: RibPathEntry,
  peer: MrtPeer | undefined,
): Json {
  const p = parsePrefix(rib.prefix)!;
  const entry = rib.addPath ? [{ prefix: rib.prefix, pathId: e.pathId ?? 0 }] : [rib.prefix];
  const afi = p.family === 4 ? Afi.IPV4 : Afi.IPV6;
  const nlri = NlriList.from(afi, entry, rib.addPath);
  const classic = p.family === 4 && (e.nextHop === undefined || !e.nextHop.includes(':'));
  const attributes =
    classic && e.nextHop !== undefined ? { ...e.attributes, nextHop: e.nextHop } : e.attributes;
  const m: UpdateMessage = {
    type: 'update',
    withdrawn: NlriList.empty(Afi.IPV4),
    attributes,
    ...(!classic && {
      mpReach: {
        family: p.family === 4 ? IPV4_UNICAST : IPV6_UNICAST,
        nextHop: e.nextHop ?? '',
        ...(e.linkLocalNextHop !== undefined && { linkLocalNextHop: e.linkLocalNextHop }),
        nlri,
      },
    }),
    nlri: classic ? nlri : NlriList.empty(Afi.IPV4),
  };
  const out: Json = {
    ...base,
    mrt: { ...base.mrt, sequence: rib.sequence },
    peer: peer ? { address: peer.address, as: peer.asn, routerId: peer.routerId } : { index: e.peerIndex },
    originated: new Date(e.originated * 1000).toISOString(),
    message: messageToJson(m),
  };
  if (e.issues.length) out.issues = e.issues.map(issueToJson);
  return out;
}
