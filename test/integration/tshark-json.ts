/**
 * tshark as an independent oracle: runs Debian's tshark on a capture (`-T json -x`) and reduces
 * each BGP message it dissected, and each record `rackbgp decode` printed, to the same summary
 * (message type, prefixes, attribute values, capability codes) so tests can compare the two.
 */
import { execFileSync, spawnSync } from 'node:child_process';

// biome-ignore lint/suspicious/noExplicitAny: tshark's JSON tree is untyped
type Json = any;

export function tsharkVersion(): string | null {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return /TShark \(Wireshark\) (\S+)/.exec(r.stdout)?.[1] ?? r.stdout.split('\n')[0];
}

/** A BGP message as tshark dissected it, with the frame that carried it. */
export interface TsharkMessage {
  readonly frame: number;
  readonly tree: Json;
  /** The message octets tshark attributed to it (hex). */
  readonly raw: string;
}

export interface TsharkResult {
  readonly messages: TsharkMessage[];
  /** Malformed-packet markers and expert infos of warning or error severity, anywhere. */
  readonly problems: string[];
}

/** Expert info severities (epan/proto.h PI_*). */
const PI_WARN = 0x00600000;

const asArray = (v: Json): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function runTshark(file: string, extra: string[] = []): TsharkResult {
  const out = execFileSync(
    'tshark',
    ['-r', file, '-n', '-Y', 'bgp', '-T', 'json', '-x', '--no-duplicate-keys', ...extra],
    { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const packets: Json[] = JSON.parse(out || '[]');
  const messages: TsharkMessage[] = [];
  const problems: string[] = [];
  for (const p of packets) {
    const layers = p._source.layers;
    const frame = Number(layers.frame['frame.number']);
    const trees = asArray(layers.bgp);
    // One message: bgp_raw is [hex, offset, length, mask, type]; several: an array of those.
    const raw = layers.bgp_raw ?? [];
    const raws: string[] = typeof raw[0] === 'string' ? [raw[0]] : raw.map((r: Json) => String(r[0]));
    trees.forEach((tree, i) => {
      messages.push({ frame, tree, raw: raws[i] ?? '' });
    });
    walk(layers, (key, value) => {
      if (key === '_ws.malformed') problems.push(`frame ${frame}: malformed ${JSON.stringify(value)}`);
      if (key === '_ws.expert' || key.endsWith('_ws.expert')) {
        for (const e of asArray(value)) {
          const sev = Number(e['_ws.expert.severity'] ?? e._ws_expert__ws_expert_severity ?? 0);
          if (sev >= PI_WARN && !isTransportNote(e))
            problems.push(`frame ${frame}: ${e['_ws.expert.message'] ?? JSON.stringify(e)}`);
        }
      }
    });
  }
  return { messages, problems };
}

/** Expert infos about our synthetic TCP framing, not BGP (none expected, but never BGP's fault). */
const isTransportNote = (e: Json) =>
  /^tcp\.|^ip\./.test(Object.keys(e).find((k) => !k.startsWith('_ws')) ?? '');

/** Visits every key/value pair in a JSON tree, depth first, in document order. */
export function walk(node: Json, visit: (key: string, value: Json, parent: Json) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      visit(k, v, node);
      walk(v, visit);
    }
  }
}

/** Every value of `key` anywhere under `node`, in document order, flattened. */
export function values(node: Json, key: string): Json[] {
  const out: Json[] = [];
  walk(node, (k, v) => {
    if (k === key) out.push(...asArray(v));
  });
  return out;
}

const first = (node: Json, key: string): Json => values(node, key)[0];

/**
 * Hex of every `<field>_raw` entry under `node`. tshark (-x) writes one entry as
 * [hex, offset, length, bitmask, type] and several as an array of those.
 */
export function rawValues(node: Json, key: string): string[] {
  const out: string[] = [];
  walk(node, (k, v) => {
    if (k !== key || !Array.isArray(v)) return;
    if (typeof v[0] === 'string') out.push(v[0]);
    else for (const e of v) if (Array.isArray(e)) out.push(String(e[0]));
  });
  return out;
}

/** The summary both sides are reduced to. Prefixes carry "#pathId" when ADD-PATH applies. */
export interface Summary {
  type: string;
  [k: string]: unknown;
}

const TYPES = ['', 'open', 'update', 'notification', 'keepalive', 'route-refresh'];
const ORIGINS = ['igp', 'egp', 'incomplete'];
const SEGMENT_TYPES: Record<string, string> = {
  '1': 'set',
  '2': 'sequence',
  '3': 'confed-sequence',
  '4': 'confed-set',
};

/** IANA capability codes, written out here so the comparison does not borrow our codec's table. */
export const CAPABILITY_CODES: Record<string, number> = {
  multiprotocol: 1,
  'route-refresh': 2,
  'extended-next-hop': 5,
  'extended-message': 6,
  'graceful-restart': 64,
  'four-octet-as': 65,
  'add-path': 69,
  'enhanced-route-refresh': 70,
  'long-lived-graceful-restart': 71,
  fqdn: 73,
  'route-refresh-old': 128,
};

function prefixesOf(node: Json): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  walk(node, (_k, v) => {
    if (!v || typeof v !== 'object' || Array.isArray(v) || v['bgp.prefix_length'] === undefined) return;
    const key = Object.keys(v).find((k) => /_prefix$/.test(k) && !k.endsWith('_raw'));
    if (!key) return;
    const id = v['bgp.nlri_path_id'];
    const text = `${canonicalAddress(v[key])}/${v['bgp.prefix_length']}${id !== undefined ? `#${id}` : ''}`;
    const kind = key.replace(/^bgp\./, '').replace(/_ipv[46]_prefix$|_prefix$/, '');
    out[kind] ??= [];
    out[kind].push(text);
  });
  return out;
}

/** Addresses in one canonical text form (tshark and we may differ in IPv6 zero compression). */
export function canonicalAddress(a: string): string {
  if (!a.includes(':')) return a;
  const [head, tail = ''] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = a.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return words.map((w) => Number.parseInt(w, 16).toString(16)).join(':');
}

function asPathOf(attr: Json): { type: string; asns: number[] }[] {
  return asArray(attr['bgp.update.path_attribute.as_path_segment']).map((s: Json) => ({
    type: SEGMENT_TYPES[s['bgp.update.path_attribute.as_path_segment.type']],
    asns: asArray(
      s['bgp.update.path_attribute.as_path_segment.as4'] ??
        s['bgp.update.path_attribute.as_path_segment.as2'],
    ).map(Number),
  }));
}

/** RFC 6793 §4.2.3 done on tshark's two paths: keep AS_PATH's leading ASNs, then AS4_PATH. */
function mergeAs4(asPath: { type: string; asns: number[] }[], as4: { type: string; asns: number[] }[]) {
  const count = (p: typeof asPath) => p.reduce((n, s) => n + (s.type === 'set' ? 1 : s.asns.length), 0);
  let keep = count(asPath) - count(as4);
  if (keep < 0) return asPath;
  const out: typeof asPath = [];
  for (const s of asPath) {
    if (keep <= 0) break;
    const n = s.type === 'set' ? 1 : Math.min(keep, s.asns.length);
    out.push({ type: s.type, asns: s.type === 'set' ? s.asns : s.asns.slice(0, n) });
    keep -= n;
  }
  const merged = [...out, ...as4];
  // Adjacent sequences are one sequence.
  return merged.reduce<typeof asPath>((acc, s) => {
    const last = acc[acc.length - 1];
    if (last && last.type === 'sequence' && s.type === 'sequence') last.asns = [...last.asns, ...s.asns];
    else acc.push({ ...s, asns: [...s.asns] });
    return acc;
  }, []);
}

/** Reduces one tshark BGP message tree to a Summary. */
export function summarizeTshark(m: Json): Summary {
  const type = TYPES[Number(m['bgp.type'])] ?? `type-${m['bgp.type']}`;
  const s: Summary = { type };
  switch (type) {
    case 'open':
      s.myAs = Number(m['bgp.open.myas']);
      s.holdTime = Number(m['bgp.open.holdtime']);
      s.routerId = m['bgp.open.identifier'];
      s.capabilities = values(m, 'bgp.cap.type').map(Number);
      break;
    case 'update': {
      const p = prefixesOf(m);
      s.withdrawn = p.withdrawn ?? [];
      s.nlri = p.nlri ?? [];
      const attrs: Json = {};
      let as4: { type: string; asns: number[] }[] | undefined;
      for (const a of values(m, 'bgp.update.path_attribute')) {
        const code = Number(a['bgp.update.path_attribute.type_code']);
        const f = (name: string) => a[`bgp.update.path_attribute.${name}`];
        switch (code) {
          case 1:
            attrs.origin = ORIGINS[Number(f('origin'))];
            break;
          case 2:
            attrs.asPath = asPathOf(a);
            break;
          case 3:
            attrs.nextHop = f('next_hop');
            break;
          case 4:
            attrs.med = Number(f('multi_exit_disc'));
            break;
          case 5:
            attrs.localPref = Number(f('local_pref'));
            break;
          case 6:
            attrs.atomicAggregate = true;
            break;
          case 7:
            attrs.aggregator = { asn: Number(f('aggregator_as')), address: f('aggregator_origin') };
            break;
          case 8:
            // tshark lists well-known communities under another key, so only the set is comparable.
            attrs.communities = [
              ...rawValues(a, 'bgp.update.path_attribute.community_raw'),
              ...rawValues(a, 'bgp.update.path_attribute.community_wellknown_raw'),
            ]
              .map((h: string) => `${Number.parseInt(h.slice(0, 4), 16)}:${Number.parseInt(h.slice(4), 16)}`)
              .sort();
            break;
          case 9:
            attrs.originatorId = f('originator_id');
            break;
          case 10:
            attrs.clusterList = values(a, 'bgp.path_attribute.cluster_id');
            break;
          case 14: {
            const afi = Number(f('mp_reach_nlri.afi'));
            const nh = a['bgp.update.path_attribute.mp_reach_nlri.next_hop_tree'] ?? {};
            const g =
              nh['bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6'] ??
              nh['bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv4'];
            const ll = nh['bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6.link_local'];
            s.mpReach = {
              family: `${afi}/${f('mp_reach_nlri.safi')}`,
              nextHop: g === undefined ? undefined : canonicalAddress(g),
              ...(ll !== undefined && { linkLocalNextHop: canonicalAddress(ll) }),
              nlri: prefixesOf(a).mp_reach_nlri ?? [],
            };
            break;
          }
          case 15:
            s.mpUnreach = {
              family: `${f('mp_unreach_nlri.afi')}/${f('mp_unreach_nlri.safi')}`,
              withdrawn: prefixesOf(a).mp_unreach_nlri ?? [],
            };
            break;
          case 16:
            attrs.extendedCommunities = rawValues(a, 'bgp.ext_community_raw');
            break;
          case 17:
            as4 = asPathOf(a);
            break;
          case 18:
            attrs.aggregator = {
              asn: Number(first(a, 'bgp.update.path_attribute.aggregator_as')),
              address: first(a, 'bgp.update.path_attribute.aggregator_origin'),
            };
            break;
          case 32:
            attrs.largeCommunities = asArray(a['bgp.large_communities_tree']).map(
              (l: Json) =>
                `${l['bgp.large_communities.ga']}:${l['bgp.large_communities.ldp1']}:${l['bgp.large_communities.ldp2']}`,
            );
            break;
          default:
            attrs.unknown ??= [];
            attrs.unknown.push(code);
        }
      }
      if (as4 && attrs.asPath) attrs.asPath = mergeAs4(attrs.asPath, as4);
      s.attributes = attrs;
      break;
    }
    case 'notification': {
      s.code = Number(m['bgp.notify.major_error']);
      const minor = Object.keys(m).find((k) => k.startsWith('bgp.notify.minor_error') && !k.endsWith('_raw'));
      s.subcode = minor ? Number(m[minor]) : undefined;
      if (m['bgp.notify.communication'] !== undefined) s.communication = m['bgp.notify.communication'];
      break;
    }
    case 'route-refresh':
      s.family = `${first(m, 'bgp.route_refresh.afi')}/${first(m, 'bgp.route_refresh.safi')}`;
      s.subtype = Number(first(m, 'bgp.route_refresh.subtype'));
      break;
  }
  return s;
}

const FAMILIES: Record<string, string> = { 'ipv4-unicast': '1/1', 'ipv6-unicast': '2/1' };
const SUBTYPES: Record<string, number> = { normal: 0, borr: 1, eorr: 2 };
const withId = (p: Json) => (typeof p === 'string' ? p : `${p.prefix}#${p.pathId}`);
const canonicalPrefix = (p: string) => {
  const [addr, rest] = p.split('/');
  return `${canonicalAddress(addr)}/${rest}`;
};

/** Reduces one of our message JSON objects (the `message` of a record) to a Summary. */
export function summarizeOurs(m: Json): Summary {
  const s: Summary = { type: m.type };
  switch (m.type) {
    case 'open':
      s.myAs = m.myAs;
      s.holdTime = m.holdTime;
      s.routerId = m.routerId;
      s.capabilities = m.capabilities.map((c: Json) =>
        c.kind === 'unknown' ? c.code : CAPABILITY_CODES[c.kind],
      );
      break;
    case 'update': {
      s.withdrawn = m.withdrawn.map(withId).map(canonicalPrefix);
      s.nlri = m.nlri.map(withId).map(canonicalPrefix);
      const a = { ...(m.attributes ?? {}) };
      if (a.unknown) a.unknown = a.unknown.map((u: Json) => u.code);
      if (a.communities) a.communities = [...a.communities].sort();
      s.attributes = a;
      if (m.mpReach) {
        s.mpReach = {
          family: FAMILIES[m.mpReach.family] ?? m.mpReach.family,
          nextHop: canonicalAddress(m.mpReach.nextHop),
          ...(m.mpReach.linkLocalNextHop !== undefined && {
            linkLocalNextHop: canonicalAddress(m.mpReach.linkLocalNextHop),
          }),
          nlri: m.mpReach.nlri.map(withId).map(canonicalPrefix),
        };
      }
      if (m.mpUnreach) {
        s.mpUnreach = {
          family: FAMILIES[m.mpUnreach.family] ?? m.mpUnreach.family,
          withdrawn: m.mpUnreach.withdrawn.map(withId).map(canonicalPrefix),
        };
      }
      break;
    }
    case 'notification':
      s.code = m.code;
      s.subcode = m.subcode;
      if (m.communication !== undefined) s.communication = m.communication;
      break;
    case 'route-refresh':
      s.family = FAMILIES[m.family] ?? m.family;
      s.subtype = SUBTYPES[m.subtype] ?? m.subtype;
      break;
  }
  return s;
}
