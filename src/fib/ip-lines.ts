/**
 * The text side of the Linux FIB (pure): FibChanges as `ip -batch` lines, validation that keeps a
 * line from making iproute2 exit (a bad address or unknown `nexthop … dev` ends the whole batch
 * process), `ip -j route show` parsing back into FibRoutes, and the "Command failed -:N" stderr.
 */
import { ipFamily, parsePrefix } from '../util/ip.js';
import { canonicalAddress, type IpVia, normalizeDst } from './next-hop.js';
import type { FibChange, FibNextHop, FibRoute } from './types.js';

/** FRR's and BIRD's usual BGP metric. */
export const DEFAULT_METRIC = 20;
/**
 * ip splits a batch line into at most 100 words; a route line takes 7 plus 5 per next hop
 * (`nexthop via X dev D`), so 16 next hops fit with room to spare.
 */
export const MAX_NEXT_HOPS = 16;

export interface RouteLineOptions {
  readonly protocol: number;
  readonly metric: number;
}

/**
 * Linux dev_valid_name() forbids '/', ':' and whitespace, up to 15 bytes; '#', quotes and '\' would
 * be taken by ip's batch line splitter, so they are refused too.
 */
const DEV_NAME = /^[^\s/:#"'\\]{1,15}$/;

export function isValidDevName(dev: string): boolean {
  return DEV_NAME.test(dev) && dev !== '.' && dev !== '..';
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** IPv4 text to its 32-bit value, or -1: one regex instead of split + four (this runs per route). */
function v4(s: string): number {
  const m = V4.exec(s);
  if (!m) return -1;
  const a = +m[1];
  const b = +m[2];
  const c = +m[3];
  const d = +m[4];
  if (a > 255 || b > 255 || c > 255 || d > 255) return -1;
  return a * 16777216 + ((b << 16) | (c << 8) | d);
}

function prefixFamily(prefix: string): 0 | 4 | 6 {
  const slash = prefix.indexOf('/');
  if (slash > 0) {
    const addr = v4(prefix.slice(0, slash));
    if (addr >= 0) {
      const lenText = prefix.slice(slash + 1);
      const len = +lenText;
      if (!/^\d{1,2}$/.test(lenText) || len > 32) return 0;
      // Host bits must be zero, as ip (and the kernel) insist.
      return len === 32 || addr % 2 ** (32 - len) === 0 ? 4 : 0;
    }
  }
  return parsePrefix(prefix)?.family === 6 ? 6 : 0;
}

/** Why ip would refuse (or die on) this prefix, or null when it is well formed. */
export function validatePrefix(prefix: string, family: 4 | 6): string | null {
  const fam = prefixFamily(prefix);
  if (fam === 0) return `malformed prefix ${prefix}`;
  return fam === family ? null : `prefix ${prefix} is not IPv${family}`;
}

/** Why ip would refuse (or die on) this route, or null when it is well formed. */
export function validateRoute(route: FibRoute): string | null {
  const bad = validatePrefix(route.prefix, route.family);
  if (bad) return bad;
  const fam = route.family;
  const n = route.nextHops.length;
  if (n === 0) return 'no next hop';
  if (n > MAX_NEXT_HOPS) return `${n} next hops (at most ${MAX_NEXT_HOPS})`;
  for (const h of route.nextHops) {
    // RFC 8950: an IPv4 route may have an IPv6 gateway (RTA_VIA, Linux >= 5.2).
    const ok = fam === 4 ? v4(h.via) >= 0 || ipFamily(h.via) === 6 : ipFamily(h.via) === 6;
    if (!ok) return `next hop ${h.via} is not IPv${route.family}`;
    if (h.dev !== undefined && !isValidDevName(h.dev)) return `bad interface name ${JSON.stringify(h.dev)}`;
    if (!h.dev && /^fe[89ab]/i.test(h.via)) return `link-local next hop ${h.via} needs an interface`;
  }
  return null;
}

export function validateChange(c: FibChange): string | null {
  return c.op === 'delete' ? validatePrefix(c.prefix, c.family) : validateRoute(c.route);
}

function hop(h: FibNextHop, family: 4 | 6): string {
  // `via inet6 X` names the gateway's family when it differs from the route's (RFC 8950 routes).
  const via = family === 4 && h.via.includes(':') ? `via inet6 ${h.via}` : `via ${h.via}`;
  return h.dev === undefined ? via : `${via} dev ${h.dev}`;
}

/**
 * The `ip -batch` lines of a change (it must have passed validateChange). A delete names our
 * protocol, so the kernel removes only our route (fib_table_delete and ip6_route_del skip another
 * protocol's). `add` is NLM_F_EXCL: it fails rather than take the place of another protocol's
 * route of equal prefix and metric. There is no `ip route replace`: the kernel replaces whichever
 * route holds the prefix and metric, whatever its protocol, so a route of ours that someone
 * removed meanwhile would make it overwrite theirs. A replace is our delete, then an add (the
 * delete's failure, "No such process" when ours is gone, does not count; the add's does).
 */
export function routeLines(c: FibChange, o: RouteLineOptions): string[] {
  const del = (prefix: string) => `route delete ${prefix} proto ${o.protocol} metric ${o.metric}`;
  if (c.op === 'delete') return [del(c.prefix)];
  const r = c.route;
  const head = `route add ${r.prefix} proto ${o.protocol} metric ${o.metric}`;
  let add = head;
  if (r.nextHops.length === 1) add = `${head} ${hop(r.nextHops[0], r.family)}`;
  else for (const h of r.nextHops) add += ` nexthop ${hop(h, r.family)}`;
  return c.op === 'replace' ? [del(r.prefix), add] : [add];
}

/** Interfaces a change names inside `nexthop` groups (where an unknown one makes ip exit). */
export function multipathDevs(c: FibChange): string[] {
  if (c.op === 'delete' || c.route.nextHops.length < 2) return [];
  const out: string[] = [];
  for (const h of c.route.nextHops) if (h.dev !== undefined) out.push(h.dev);
  return out;
}

interface IpRouteJson {
  dst: string;
  type?: string;
  metric?: number;
  gateway?: string;
  via?: IpVia;
  dev?: string;
  nexthops?: { gateway?: string; via?: IpVia; dev?: string }[];
}

/**
 * Parses `ip -j -4|-6 route show proto P` into our routes: unicast ones with our metric. Entries for
 * one prefix are merged, for kernels that list IPv6 multipath siblings one by one.
 */
export function parseFibDump(text: string, family: 4 | 6, metric: number): FibRoute[] {
  const byPrefix = new Map<string, FibNextHop[]>();
  for (const r of JSON.parse(text || '[]') as IpRouteJson[]) {
    if ((r.type ?? 'unicast') !== 'unicast' || (r.metric ?? 0) !== metric) continue;
    const prefix = normalizeDst(r.dst, family);
    if (!prefix) continue;
    const hops = r.nexthops ?? [{ gateway: r.gateway, via: r.via, dev: r.dev }];
    let list = byPrefix.get(prefix);
    if (!list) {
      list = [];
      byPrefix.set(prefix, list);
    }
    for (const h of hops) {
      const gateway = h.gateway ?? h.via?.host;
      if (!gateway) continue;
      list.push(h.dev ? { via: canonicalAddress(gateway), dev: h.dev } : { via: canonicalAddress(gateway) });
    }
  }
  const out: FibRoute[] = [];
  for (const [prefix, nextHops] of byPrefix) out.push({ family, prefix, nextHops });
  return out;
}

/**
 * Splits ip's stderr into failed lines: every "Command failed NAME:N" closes one failure whose
 * message is the text printed since the previous one. Keeps the unfinished tail in `rest`.
 */
export class BatchErrorParser {
  private rest = '';
  private message: string[] = [];

  /** Feeds a chunk; calls `failed(line, message)` for each complete failure. */
  push(chunk: string, failed: (line: number, message: string) => void): void {
    const text = this.rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl);
      start = nl + 1;
      const m = /^Command failed .*:(\d+)$/.exec(line);
      if (m) {
        failed(Number(m[1]), this.message.join('; '));
        this.message = [];
      } else if (line.trim() !== '') {
        this.message.push(line.trim());
      }
    }
    this.rest = text.slice(start);
  }

  /** Text printed since the last failure (for reporting an unexpected exit). */
  pending(): string {
    return [...this.message, this.rest.trim()].filter(Boolean).join('; ');
  }
}
