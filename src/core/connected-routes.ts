/**
 * Routes we originate ourselves: the config's `networks`, and `redistribute: { connected }`, the
 * interface subnets that match by device name or covering prefix (host routes never), followed as
 * they change. It does not read the kernel: the Forwarding resolver hands over what is connected.
 */
import type { Config } from '../config/schema.js';
import { keyFromText, keyLength, type PrefixKey } from '../rib/prefix-key.js';
import { parsePrefix } from '../util/ip.js';
import { Origin } from '../wire/index.js';
import { networkAttrs, networkPrefix } from './networks.js';
import type { RoutingEngine } from './routing.js';

/** True when prefix `outer` contains prefix `inner`. */
function prefixCovers(outer: string, inner: string): boolean {
  const o = parsePrefix(outer, true);
  const i = parsePrefix(inner, true);
  if (!o || !i || o.family !== i.family || i.length < o.length) return false;
  for (let bit = 0; bit < o.length; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((o.bytes[bit >> 3] & m) !== (i.bytes[bit >> 3] & m)) return false;
  }
  return true;
}

/** The config's `networks` into the Loc-RIB as our own routes. */
export function originateNetworks(routing: RoutingEngine, networks: Config['networks']): void {
  for (const n of networks) {
    const k = keyFromText(networkPrefix(n));
    if (k) routing.originate(k.family, k.key, networkAttrs(n));
  }
}

/** `redistribute: { connected }`: the connected subnets originated now, kept in step with the interfaces. */
export class ConnectedRoutes {
  private origins = new Map<string, { family: 4 | 6; key: PrefixKey }>();
  /** Where the connected subnets come from once the FIB runs (fib: true). */
  private source: { connected(): Iterable<{ prefix: string; dev: string }> } | undefined;

  constructor(
    private readonly routing: RoutingEngine,
    /** The config's `redistribute.connected` (read at each sync: a reload may change it). */
    private readonly wanted: () => readonly string[],
  ) {}

  /** Redistribution starts from `source` (the resolver's connected prefixes) and follows resync(). */
  follow(source: { connected(): Iterable<{ prefix: string; dev: string }> }): void {
    this.source = source;
    this.resync();
  }

  /** Interfaces or addresses changed: originate what now matches, withdraw what no longer does. */
  resync(): void {
    const wanted = this.wanted();
    if (!this.source || !wanted.length) return;
    this.sync(wanted, this.source.connected());
  }

  /** Originates the matching subnets of `connected` not yet originated; withdraws those gone. */
  sync(wanted: readonly string[], connected: Iterable<{ prefix: string; dev: string }>): void {
    const now = new Map<string, { family: 4 | 6; key: PrefixKey }>();
    for (const c of connected) {
      const k = keyFromText(c.prefix);
      if (!k || keyLength(k.key) === (k.family === 4 ? 32 : 128)) continue;
      if (wanted.some((w) => w === c.dev || (w.includes('/') && prefixCovers(w, c.prefix))))
        now.set(c.prefix, k);
    }
    for (const [prefix, k] of this.origins)
      if (!now.has(prefix)) this.routing.withdrawOrigin(k.family, k.key);
    for (const [prefix, k] of now) {
      if (!this.origins.has(prefix))
        this.routing.originate(k.family, k.key, { origin: Origin.INCOMPLETE, asPath: [] });
    }
    this.origins = now;
  }
}
