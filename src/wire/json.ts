/**
 * The documented JSON form of a message (what `rackbgp decode` prints) and its inverse, so
 * fixtures and tools can speak plain data. Prefixes are strings, or { prefix, pathId } with ADD-PATH.
 */

import type { AsPathSegment, PathAttributes } from './attributes/types.js';
import type { Capability } from './capabilities.js';
import {
  AsPathSegmentType,
  errorName,
  type Family,
  family,
  familyName,
  IPV4_UNICAST,
  IPV6_UNICAST,
  type OriginCode,
} from './constants.js';
import type { AttrIssue } from './errors.js';
import { actionName } from './errors.js';
import type { Message } from './message.js';
import { NlriList, type Prefix } from './nlri.js';
import { shutdownCommunication } from './notification.js';
import { endOfRibFamily } from './update.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON is untyped by nature
type Json = any;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const ORIGINS = ['igp', 'egp', 'incomplete'] as const;
const SEGMENTS: Record<number, string> = {
  [AsPathSegmentType.AS_SET]: 'set',
  [AsPathSegmentType.AS_SEQUENCE]: 'sequence',
  [AsPathSegmentType.AS_CONFED_SEQUENCE]: 'confed-sequence',
  [AsPathSegmentType.AS_CONFED_SET]: 'confed-set',
};
const SUBTYPES = ['normal', 'borr', 'eorr'];

export function familyFromName(name: string): Family {
  if (name === 'ipv4-unicast') return IPV4_UNICAST;
  if (name === 'ipv6-unicast') return IPV6_UNICAST;
  const m = /^(ipv4|ipv6|afi(\d+))-(multicast|safi(\d+))$/.exec(name);
  if (!m) throw new RangeError(`unknown family ${name}`);
  const afi = m[1] === 'ipv4' ? 1 : m[1] === 'ipv6' ? 2 : Number(m[2]);
  const safi = m[3] === 'multicast' ? 2 : Number(m[4]);
  return family(afi, safi);
}

const prefixes = (l: NlriList): (string | Prefix)[] => l.toArray().map((p) => (l.addPath ? p : p.prefix));
const community = (c: number) => `${c >>> 16}:${c & 0xffff}`;

export function attributesToJson(a: PathAttributes): Json {
  const o: Json = {};
  if (a.origin !== undefined) o.origin = ORIGINS[a.origin];
  if (a.asPath) o.asPath = a.asPath.map((s) => ({ type: SEGMENTS[s.type], asns: s.asns }));
  if (a.nextHop !== undefined) o.nextHop = a.nextHop;
  if (a.med !== undefined) o.med = a.med;
  if (a.localPref !== undefined) o.localPref = a.localPref;
  if (a.atomicAggregate) o.atomicAggregate = true;
  if (a.aggregator) o.aggregator = { ...a.aggregator };
  if (a.communities) o.communities = a.communities.map(community);
  if (a.originatorId !== undefined) o.originatorId = a.originatorId;
  if (a.clusterList) o.clusterList = [...a.clusterList];
  if (a.extendedCommunities) o.extendedCommunities = [...a.extendedCommunities];
  if (a.largeCommunities) o.largeCommunities = a.largeCommunities.map((l) => l.join(':'));
  if (a.unknown) o.unknown = a.unknown.map((u) => ({ flags: u.flags, code: u.code, value: hex(u.value) }));
  return o;
}

function capabilityToJson(c: Capability): Json {
  switch (c.kind) {
    case 'multiprotocol':
      return { kind: c.kind, family: familyName(c.family) };
    case 'extended-next-hop':
      return {
        kind: c.kind,
        entries: c.entries.map((e) => ({ family: familyName(e.family), nextHopAfi: e.nextHopAfi })),
      };
    case 'graceful-restart':
      return {
        ...c,
        families: c.families.map((f) => ({ family: familyName(f.family), forwarding: f.forwarding })),
      };
    case 'add-path':
      return {
        kind: c.kind,
        families: c.families.map((f) => ({ family: familyName(f.family), mode: f.mode })),
      };
    case 'long-lived-graceful-restart':
      return { kind: c.kind, families: c.families.map((f) => ({ ...f, family: familyName(f.family) })) };
    case 'unknown':
      return { kind: c.kind, code: c.code, value: hex(c.value) };
    default:
      return { ...c };
  }
}

export function messageToJson(m: Message): Json {
  switch (m.type) {
    case 'open':
      return { ...m, capabilities: m.capabilities.map(capabilityToJson) };
    case 'update': {
      const o: Json = { type: 'update', withdrawn: prefixes(m.withdrawn) };
      o.attributes = m.attributes ? attributesToJson(m.attributes) : null;
      if (m.mpReach) {
        const r = m.mpReach;
        o.mpReach = { family: familyName(r.family), nextHop: r.nextHop };
        if (r.linkLocalNextHop !== undefined) o.mpReach.linkLocalNextHop = r.linkLocalNextHop;
        if (r.raw) o.mpReach.raw = { nextHop: hex(r.raw.nextHop), nlri: hex(r.raw.nlri) };
        else o.mpReach.nlri = prefixes(r.nlri);
      }
      if (m.mpUnreach) {
        const u = m.mpUnreach;
        o.mpUnreach = { family: familyName(u.family) };
        if (u.raw) o.mpUnreach.raw = hex(u.raw);
        else o.mpUnreach.withdrawn = prefixes(u.withdrawn);
      }
      o.nlri = prefixes(m.nlri);
      const eor = endOfRibFamily(m);
      if (eor !== null) o.endOfRib = familyName(eor);
      return o;
    }
    case 'notification': {
      const n = errorName(m.code, m.subcode);
      const o: Json = {
        type: m.type,
        code: m.code,
        subcode: m.subcode,
        codeName: n.code,
        subcodeName: n.subcode,
        data: hex(m.data),
      };
      const text = shutdownCommunication(m);
      if (text !== undefined) o.communication = text;
      return o;
    }
    case 'keepalive':
      return { type: m.type };
    case 'route-refresh':
      return { type: m.type, family: familyName(m.family), subtype: SUBTYPES[m.subtype] ?? m.subtype };
  }
}

export const issueToJson = (i: AttrIssue): Json => ({
  action: actionName(i.action),
  ...(i.attr !== undefined && { attr: i.attr }),
  code: i.code,
  subcode: i.subcode,
  data: hex(i.data),
  reason: i.reason,
});

// ---- inverse: JSON → message (for fixtures, tests and tools) ----

function nlriFromJson(afi: number, items: Json[] | undefined): NlriList {
  const list = items ?? [];
  const addPath = list.some((p) => typeof p === 'object');
  return NlriList.from(afi, list, addPath);
}

function parseCommunity(s: string): number {
  const [a, b] = s.split(':').map(Number);
  return ((a << 16) | b) >>> 0;
}

export function attributesFromJson(o: Json): PathAttributes {
  const a: Record<string, unknown> = {};
  if (o.origin !== undefined) a.origin = ORIGINS.indexOf(o.origin) as OriginCode;
  if (o.asPath) {
    a.asPath = o.asPath.map(
      (s: Json): AsPathSegment => ({
        type: Number(Object.entries(SEGMENTS).find(([, v]) => v === s.type)![0]),
        asns: s.asns,
      }),
    );
  }
  for (const k of ['nextHop', 'med', 'localPref', 'originatorId'] as const)
    if (o[k] !== undefined) a[k] = o[k];
  if (o.atomicAggregate) a.atomicAggregate = true;
  if (o.aggregator) a.aggregator = { ...o.aggregator };
  if (o.communities) a.communities = o.communities.map(parseCommunity);
  if (o.clusterList) a.clusterList = [...o.clusterList];
  if (o.extendedCommunities) a.extendedCommunities = [...o.extendedCommunities];
  if (o.largeCommunities)
    a.largeCommunities = o.largeCommunities.map((s: string) => s.split(':').map(Number));
  if (o.unknown)
    a.unknown = o.unknown.map((u: Json) => ({ flags: u.flags, code: u.code, value: unhex(u.value) }));
  return a as PathAttributes;
}

function capabilityFromJson(c: Json): Capability {
  const fam = (x: Json) => ({ ...x, family: familyFromName(x.family) });
  switch (c.kind) {
    case 'multiprotocol':
      return { kind: c.kind, family: familyFromName(c.family) };
    case 'extended-next-hop':
      return { kind: c.kind, entries: c.entries.map(fam) };
    case 'graceful-restart':
    case 'add-path':
    case 'long-lived-graceful-restart':
      return { ...c, families: c.families.map(fam) };
    case 'unknown':
      return { kind: c.kind, code: c.code, value: unhex(c.value) };
    default:
      return { ...c };
  }
}

const afiOf = (f: Family) => f >>> 8;

export function messageFromJson(o: Json): Message {
  switch (o.type) {
    case 'open':
      return {
        type: 'open',
        version: o.version ?? 4,
        myAs: o.myAs,
        holdTime: o.holdTime,
        routerId: o.routerId,
        capabilities: (o.capabilities ?? []).map(capabilityFromJson),
      };
    case 'update': {
      const m: Record<string, unknown> = {
        type: 'update',
        withdrawn: nlriFromJson(1, o.withdrawn),
        attributes: o.attributes === null ? null : attributesFromJson(o.attributes ?? {}),
        nlri: nlriFromJson(1, o.nlri),
      };
      if (o.mpReach) {
        const f = familyFromName(o.mpReach.family);
        m.mpReach = o.mpReach.raw
          ? {
              family: f,
              nextHop: '',
              nlri: NlriList.empty(afiOf(f)),
              raw: { nextHop: unhex(o.mpReach.raw.nextHop), nlri: unhex(o.mpReach.raw.nlri) },
            }
          : {
              family: f,
              nextHop: o.mpReach.nextHop,
              ...(o.mpReach.linkLocalNextHop !== undefined && {
                linkLocalNextHop: o.mpReach.linkLocalNextHop,
              }),
              nlri: nlriFromJson(afiOf(f), o.mpReach.nlri),
            };
      }
      if (o.mpUnreach) {
        const f = familyFromName(o.mpUnreach.family);
        m.mpUnreach = o.mpUnreach.raw
          ? { family: f, withdrawn: NlriList.empty(afiOf(f)), raw: unhex(o.mpUnreach.raw) }
          : { family: f, withdrawn: nlriFromJson(afiOf(f), o.mpUnreach.withdrawn) };
      }
      return m as unknown as Message;
    }
    case 'notification':
      return { type: 'notification', code: o.code, subcode: o.subcode, data: unhex(o.data ?? '') };
    case 'keepalive':
      return { type: 'keepalive' };
    case 'route-refresh':
      return {
        type: 'route-refresh',
        family: familyFromName(o.family),
        subtype: typeof o.subtype === 'number' ? o.subtype : SUBTYPES.indexOf(o.subtype),
      };
    default:
      throw new RangeError(`unknown message type ${o.type}`);
  }
}
