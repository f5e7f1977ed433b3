/**
 * Where does a packet go (pure): the longest match for an address in every device's forwarding
 * table, and the walk from one device hop by hop, following every next hop of an ECMP set
 * (breadth first, each device once). Tables are plain data (kernel routes, a FIB, a RIB's best paths);
 * next hops become devices through the owners of addresses. A prefix is looked up by its first address.
 */
import { PrefixTable } from '../fib/lpm.js';
import { ipFamily, parsePrefix } from '../util/ip.js';

export interface ForwardingEntry {
  readonly prefix: string;
  /** unicast (default), blackhole, unreachable, prohibit, local … */
  readonly type?: string;
  /** Next-hop addresses; none for a connected route. */
  readonly gateways: readonly string[];
  readonly dev?: string;
}

export interface Hop {
  readonly device: string;
  /** Hops from the start (0: the start). */
  readonly depth: number;
  readonly match?: ForwardingEntry;
  /** The devices the packet goes to next (more than one: ECMP). */
  readonly next: readonly string[];
  /** Why the walk stops here: delivered, no route, blackhole, a next hop no device owns. */
  readonly end?: string;
}

export interface Walk {
  readonly query: string;
  readonly address: string;
  readonly from: string;
  readonly hops: readonly Hop[];
  readonly delivered: boolean;
  /** Longest match per device, across all of them. */
  readonly matches: readonly { readonly device: string; readonly match?: ForwardingEntry }[];
}

export interface WalkInput {
  readonly tables: ReadonlyMap<string, readonly ForwardingEntry[]>;
  /** Address → the device that owns it. */
  readonly owners: ReadonlyMap<string, string>;
  /** Next hops only some devices can resolve (Calico's 169.254.1.1 on a pod means its node). */
  readonly gatewayOwner?: (device: string, gateway: string) => string | undefined;
}

/** The address a query means: an address, or a prefix's first address; undefined when neither. */
export function queryAddress(query: string): string | undefined {
  const q = query.trim();
  if (ipFamily(q)) return q;
  const p = parsePrefix(q, true);
  if (!p) return undefined;
  if (p.family === 4) return [...p.bytes].join('.');
  const words = Array.from({ length: 8 }, (_, i) =>
    ((p.bytes[2 * i] << 8) | p.bytes[2 * i + 1]).toString(16),
  );
  return words.join(':');
}

function tableOf(entries: readonly ForwardingEntry[]): PrefixTable<ForwardingEntry> {
  const t = new PrefixTable<ForwardingEntry>();
  for (const e of entries) if (!t.get(e.prefix)) t.set(e.prefix, e);
  return t;
}

const DROPS = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);

/** Walks from `from` toward `query`; throws when the query is neither an address nor a prefix. */
export function walk(input: WalkInput, from: string, query: string, maxDepth = 16): Walk {
  const address = queryAddress(query);
  if (!address) throw new Error(`${query} is neither an address nor a prefix`);
  const tables = new Map([...input.tables].map(([d, entries]) => [d, tableOf(entries)]));
  const matches = [...tables].map(([device, t]) => {
    const m = t.lookup(address);
    return { device, ...(m && { match: m.value }) };
  });
  const target = input.owners.get(address);
  const hops: Hop[] = [];
  const seen = new Set([from]);
  let layer = [from];
  let delivered = false;
  for (let depth = 0; layer.length && depth <= maxDepth; depth++) {
    const nextLayer: string[] = [];
    for (const device of layer) {
      const hop = step(input, tables.get(device), device, address, target, depth);
      hops.push(hop);
      if (hop.end === 'delivered') delivered = true;
      for (const n of hop.next)
        if (!seen.has(n)) {
          seen.add(n);
          nextLayer.push(n);
        }
    }
    layer = nextLayer;
  }
  return { query, address, from, hops, delivered, matches };
}

function step(
  input: WalkInput,
  table: PrefixTable<ForwardingEntry> | undefined,
  device: string,
  address: string,
  target: string | undefined,
  depth: number,
): Hop {
  if (target === device) return { device, depth, next: [], end: 'delivered' };
  if (!table) return { device, depth, next: [], end: 'no forwarding table known' };
  const m = table.lookup(address)?.value;
  if (!m) return { device, depth, next: [], end: 'no route' };
  const type = m.type ?? 'unicast';
  if (DROPS.has(type)) return { device, depth, match: m, next: [], end: `dropped (${type})` };
  if (type === 'local') return { device, depth, match: m, next: [], end: 'delivered' };
  if (!m.gateways.length) {
    // Connected: the destination itself is on the link.
    return target
      ? { device, depth, match: m, next: [target] }
      : {
          device,
          depth,
          match: m,
          next: [],
          end: `on link ${m.dev ?? ''}, no device owns ${address}`.trim(),
        };
  }
  const next: string[] = [];
  const unknown: string[] = [];
  for (const gw of m.gateways) {
    const owner = input.gatewayOwner?.(device, gw) ?? input.owners.get(gw);
    if (owner) {
      if (!next.includes(owner)) next.push(owner);
    } else unknown.push(gw);
  }
  return {
    device,
    depth,
    match: m,
    next,
    ...(unknown.length && !next.length && { end: `next hop ${unknown.join(', ')} is no known device` }),
  };
}
