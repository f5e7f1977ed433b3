/**
 * Next-hop reachability and resolution over a snapshot of the kernel's addresses and non-BGP routes
 * (pure; RFC 4271 §5.1.3 and §9.1.2.1): a BGP NEXT_HOP on a connected subnet is used as is; one
 * behind a kernel (static, kernel, dhcp…) route resolves to that route's gateways. Routes of our own
 * protocol never resolve a next hop. Also lists the connected prefixes per interface.
 */
import { formatIPv6, formatPrefix, ipFamily, parseIPv6, parsePrefix } from '../util/ip.js';
import { PrefixTable } from './lpm.js';
import { RTPROT_RACKBGP, RTPROT_RACKBGP_NAME } from './protocol.js';
import type { FibNextHop } from './types.js';

export interface KernelLink {
  readonly name: string;
  /** Administratively up and carrier present (or a loopback). */
  readonly up: boolean;
}

export interface KernelAddress {
  readonly dev: string;
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
  /** "global", "link", "host", … as ip prints it. */
  readonly scope: string;
  /** Still in IPv6 duplicate address detection, or failed it: not usable yet. */
  readonly tentative: boolean;
  /** The far end of a point-to-point address (`ip addr add A peer B/len`). */
  readonly peer?: string;
  /** Added with `noprefixroute`: the kernel makes no connected route for it. */
  readonly noPrefixRoute?: boolean;
}

export interface KernelRoute {
  readonly family: 4 | 6;
  readonly prefix: string;
  /** "unicast", "unreachable", "blackhole", "prohibit", "throw", … */
  readonly type: string;
  /** As ip prints it: a name ("kernel", "static", "bgp") or a number. */
  readonly protocol: string;
  readonly metric: number;
  /** Next hops; a connected route has one with a dev and no gateway. */
  readonly nextHops: readonly { readonly via?: string; readonly dev?: string }[];
  /** Carrier is down on every next hop. */
  readonly linkdown: boolean;
}

/** An address on an interface and the subnet it makes connected. */
export interface ConnectedPrefix {
  readonly dev: string;
  readonly family: 4 | 6;
  /** The interface address, "10.0.0.1". */
  readonly address: string;
  /** The subnet, "10.0.0.0/24" (a /32 or /128 for loopback-style addresses). */
  readonly prefix: string;
}

export type NextHopResolution =
  | {
      readonly reachable: true;
      /** What to install: the next hop itself when connected, else the covering route's gateways. */
      readonly nextHops: readonly FibNextHop[];
      readonly connected: boolean;
      /** The kernel route that resolved it. */
      readonly via: string;
      /**
       * That route's metric, the interior cost of RFC 4271 §9.1.2.2 (e); 0 for a connected next
       * hop (an address's subnet or a link-local one), as FRR's next-hop tracking reports it.
       */
      readonly metric: number;
    }
  | { readonly reachable: false; readonly reason: string };

export interface NextHopTableOptions {
  /**
   * Protocols whose routes never resolve a next hop: ours ("rackbgp", "179"), the default. Another
   * daemon's routes (FRR's `bgp`) resolve like static ones.
   */
  readonly exclude?: readonly string[];
  /** Resolve through a default route (FRR's `ip nht resolve-via-default`); default false. */
  readonly resolveViaDefault?: boolean;
}

interface Entry {
  readonly route: KernelRoute;
}

export class NextHopTable {
  private readonly table = new PrefixTable<Entry>();
  private readonly locals = new Set<string>();
  private readonly links = new Map<string, KernelLink>();
  private readonly resolveViaDefault: boolean;
  /** Answers so far: the table never changes once built, and every path of a table asks again. */
  private readonly memo = new Map<string, NextHopResolution>();
  readonly connected: readonly ConnectedPrefix[];

  constructor(
    links: readonly KernelLink[],
    addresses: readonly KernelAddress[],
    routes: readonly KernelRoute[],
    options: NextHopTableOptions = {},
  ) {
    const exclude = new Set(options.exclude ?? [RTPROT_RACKBGP_NAME, String(RTPROT_RACKBGP)]);
    this.resolveViaDefault = options.resolveViaDefault ?? false;
    for (const l of links) this.links.set(l.name, l);
    for (const a of addresses) this.locals.add(canonicalAddress(a.address));
    // Connected routes come from the addresses (the kernel's own `proto kernel` routes mirror
    // them), so an address change needs no dump of a table that may hold 100k of our routes.
    for (const r of connectedRoutes(links, addresses)) this.table.set(r.prefix, { route: r });
    for (const route of routes) {
      if (exclude.has(route.protocol) || route.protocol === 'kernel' || route.linkdown) continue;
      // A link that went down since the routes were read takes its next hops with it.
      const hops = route.nextHops.filter((h) => !h.dev || this.links.get(h.dev)?.up !== false);
      if (hops.length === 0 && route.nextHops.length > 0) continue;
      const r = hops.length === route.nextHops.length ? route : { ...route, nextHops: hops };
      const old = this.table.get(r.prefix);
      // Of several routes to one prefix the kernel uses the lowest metric.
      if (!old || r.metric < old.route.metric) this.table.set(r.prefix, { route: r });
    }
    this.connected = connectedPrefixes(links, addresses);
  }

  /** Resolves a BGP next hop; `dev` is required for (and only used with) IPv6 link-local next hops. */
  resolve(nextHop: string, dev?: string): NextHopResolution {
    const key = dev === undefined ? nextHop : `${nextHop}%${dev}`;
    let r = this.memo.get(key);
    if (!r) {
      if (this.memo.size >= 65_536) this.memo.clear();
      r = this.lookup(nextHop, dev);
      this.memo.set(key, r);
    }
    return r;
  }

  /**
   * A BGP next hop as received (RFC 2545 §3): the global one, or the link-local one through the
   * session's interface `dev` when the global one is link-local itself, unspecified (`::`, sent by
   * peers that have only a link-local address), or does not resolve.
   */
  resolveBgp(nextHop: string, linkLocal?: string, dev?: string): NextHopResolution {
    const ll = linkLocal ?? (isLinkLocal6(nextHop) ? nextHop : undefined);
    const global = ll !== nextHop && !isUnspecified6(nextHop);
    const r = global ? this.resolve(nextHop) : undefined;
    if (r?.reachable || ll === undefined) return r ?? this.resolve(nextHop);
    if (dev === undefined)
      return r ?? { reachable: false, reason: 'link-local next hop without an interface' };
    const viaLink = this.resolve(ll, dev);
    return viaLink.reachable || !r ? viaLink : r;
  }

  private lookup(nextHop: string, dev?: string): NextHopResolution {
    const family = ipFamily(nextHop);
    if (family === 0) return { reachable: false, reason: `not an address: ${nextHop}` };
    const nh = canonicalAddress(nextHop);
    if (this.locals.has(nh)) return { reachable: false, reason: 'next hop is one of our own addresses' };
    if (family === 6 && isLinkLocal6(nh)) {
      if (!dev) return { reachable: false, reason: 'link-local next hop without an interface' };
      const link = this.links.get(dev);
      if (!link?.up) return { reachable: false, reason: `interface ${dev} is down or absent` };
      return { reachable: true, nextHops: [{ via: nh, dev }], connected: true, via: 'fe80::/64', metric: 0 };
    }
    const m = this.table.lookup(nh);
    if (!m) return { reachable: false, reason: 'no route to the next hop' };
    const r = m.value.route;
    if (m.length === 0 && !this.resolveViaDefault)
      return { reachable: false, reason: 'only the default route covers the next hop' };
    if (r.type !== 'unicast') return { reachable: false, reason: `${r.type} route ${r.prefix}` };
    const out: FibNextHop[] = [];
    let connected = true;
    for (const h of r.nextHops) {
      if (h.via) {
        // RFC 4271 §5.1.3: the immediate next hop is the gateway of the route that resolves NEXT_HOP.
        connected = false;
        out.push(h.dev ? { via: h.via, dev: h.dev } : { via: h.via });
      } else if (h.dev) {
        out.push({ via: nh, dev: h.dev });
      }
    }
    if (out.length === 0) return { reachable: false, reason: `route ${r.prefix} has no usable next hop` };
    // Connected routes come from addresses (protocol kernel): no interior cost.
    const metric = r.protocol === 'kernel' ? 0 : r.metric;
    return { reachable: true, nextHops: out, connected, via: r.prefix, metric };
  }

  /** Connected prefixes grouped by interface name. */
  byInterface(): Map<string, ConnectedPrefix[]> {
    const out = new Map<string, ConnectedPrefix[]>();
    for (const c of this.connected) {
      const list = out.get(c.dev);
      if (list) list.push(c);
      else out.set(c.dev, [c]);
    }
    return out;
  }
}

/** The kernel's prefix routes for the addresses on up links, as KernelRoutes. */
export function connectedRoutes(
  links: readonly KernelLink[],
  addresses: readonly KernelAddress[],
): KernelRoute[] {
  const up = new Set(links.filter((l) => l.up).map((l) => l.name));
  const out: KernelRoute[] = [];
  for (const a of addresses) {
    const max = a.family === 4 ? 32 : 128;
    if (!up.has(a.dev) || a.noPrefixRoute || a.scope === 'host' || a.scope === 'link') continue;
    if (!a.peer && a.prefixLength === max) continue;
    const p = parsePrefix(`${a.peer ?? a.address}/${a.prefixLength}`, true);
    if (!p) continue;
    out.push({
      family: a.family,
      prefix: formatPrefix(p.family, p.bytes, p.length),
      type: 'unicast',
      protocol: 'kernel',
      metric: a.family === 4 ? 0 : 256,
      nextHops: [{ dev: a.dev }],
      linkdown: false,
    });
  }
  return out;
}

/** Usable addresses on up links, without host-scope (127.0.0.1, ::1) and link-local ones. */
export function connectedPrefixes(
  links: readonly KernelLink[],
  addresses: readonly KernelAddress[],
): ConnectedPrefix[] {
  const up = new Set(links.filter((l) => l.up).map((l) => l.name));
  const out: ConnectedPrefix[] = [];
  for (const a of addresses) {
    if (!up.has(a.dev) || a.tentative || a.scope === 'host' || a.scope === 'link') continue;
    const p = parsePrefix(`${a.address}/${a.prefixLength}`, true);
    if (!p) continue;
    out.push({
      dev: a.dev,
      family: a.family,
      address: canonicalAddress(a.address),
      prefix: formatPrefix(p.family, p.bytes, p.length),
    });
  }
  return out;
}

export function connectedKey(c: ConnectedPrefix): string {
  return `${c.dev} ${c.address} ${c.prefix}`;
}

/** What appeared and what went away between two connected lists. */
export function diffConnected(
  before: readonly ConnectedPrefix[],
  after: readonly ConnectedPrefix[],
): { added: ConnectedPrefix[]; removed: ConnectedPrefix[] } {
  const a = new Map(before.map((c) => [connectedKey(c), c]));
  const b = new Map(after.map((c) => [connectedKey(c), c]));
  return {
    added: [...b].filter(([k]) => !a.has(k)).map(([, c]) => c),
    removed: [...a].filter(([k]) => !b.has(k)).map(([, c]) => c),
  };
}

/** RFC 5952 form for IPv6 (so fd00:0::1 and fd00::1 compare equal); IPv4 as given. */
export function canonicalAddress(a: string): string {
  if (!a.includes(':')) return a;
  const b = parseIPv6(a);
  return b ? formatIPv6(b) : a.toLowerCase();
}

function isLinkLocal6(a: string): boolean {
  const b = a.includes(':') ? parseIPv6(a) : null;
  return !!b && b[0] === 0xfe && (b[1] & 0xc0) === 0x80;
}

function isUnspecified6(a: string): boolean {
  const b = a.includes(':') ? parseIPv6(a) : null;
  return !!b && b.every((x) => x === 0);
}

// ---- parsers for `ip -j` output (iproute2 ≥ 5) ----

interface IpAddrJson {
  ifname: string;
  flags?: string[];
  operstate?: string;
  link_type?: string;
  addr_info?: {
    family: string;
    local?: string;
    address?: string;
    prefixlen: number;
    noprefixroute?: boolean;
    scope?: string;
    tentative?: boolean;
    dadfailed?: boolean;
  }[];
}

/** Parses `ip -j addr show` into links and addresses. */
export function parseAddrJson(text: string): { links: KernelLink[]; addresses: KernelAddress[] } {
  const links: KernelLink[] = [];
  const addresses: KernelAddress[] = [];
  for (const l of JSON.parse(text || '[]') as IpAddrJson[]) {
    const flags = l.flags ?? [];
    const up = flags.includes('UP') && (flags.includes('LOWER_UP') || l.link_type === 'loopback');
    links.push({ name: l.ifname, up });
    for (const a of l.addr_info ?? []) {
      if (!a.local || (a.family !== 'inet' && a.family !== 'inet6')) continue;
      addresses.push({
        dev: l.ifname,
        family: a.family === 'inet' ? 4 : 6,
        address: a.local,
        prefixLength: a.prefixlen,
        scope: a.scope ?? 'global',
        tentative: !!(a.tentative || a.dadfailed),
        ...(a.address && a.address !== a.local ? { peer: a.address } : {}),
        ...(a.noprefixroute ? { noPrefixRoute: true } : {}),
      });
    }
  }
  return { links, addresses };
}

/** A gateway of another family than the route's (`via inet6 X`, RTA_VIA) as `ip -j` shows it. */
export interface IpVia {
  readonly family?: string;
  readonly host?: string;
}

interface IpRouteJson {
  dst: string;
  type?: string;
  protocol?: string | number;
  metric?: number;
  gateway?: string;
  via?: IpVia;
  dev?: string;
  flags?: string[];
  nexthops?: { gateway?: string; via?: IpVia; dev?: string; flags?: string[] }[];
}

/**
 * Parses `ip -j -4|-6 route show …` into kernel routes, skipping the protocols in `exclude` early
 * (the main table may hold 100k of our own routes).
 */
export function parseRouteJson(text: string, family: 4 | 6, exclude: readonly string[] = []): KernelRoute[] {
  const out: KernelRoute[] = [];
  for (const r of JSON.parse(text || '[]') as IpRouteJson[]) {
    if (r.protocol !== undefined && exclude.includes(String(r.protocol))) continue;
    const prefix = normalizeDst(r.dst, family);
    if (!prefix) continue;
    const hops = r.nexthops ?? [{ gateway: r.gateway, via: r.via, dev: r.dev, flags: r.flags }];
    const live = hops.filter((h) => !h.flags?.includes('linkdown') && !h.flags?.includes('dead'));
    out.push({
      family,
      prefix,
      type: r.type ?? 'unicast',
      protocol: r.protocol === undefined ? 'boot' : String(r.protocol),
      metric: r.metric ?? 0,
      nextHops: live.map((h) => ({
        ...((h.gateway ?? h.via?.host) ? { via: canonicalAddress(h.gateway ?? h.via?.host ?? '') } : {}),
        ...(h.dev ? { dev: h.dev } : {}),
      })),
      linkdown: hops.length > 0 && live.length === 0,
    });
  }
  return out;
}

/** ip prints "default" and host routes without the length; returns the canonical prefix or null. */
export function normalizeDst(dst: string, family: 4 | 6): string | null {
  if (dst === 'default') return family === 4 ? '0.0.0.0/0' : '::/0';
  const text = dst.includes('/') ? dst : `${dst}/${family === 4 ? 32 : 128}`;
  const p = parsePrefix(text, true);
  if (!p || p.family !== family) return null;
  return formatPrefix(p.family, p.bytes, p.length);
}
