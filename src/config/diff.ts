/**
 * Reload as data: diff(old, new) says which neighbors start, which stop (Cease 6/3, RFC 4486 §4),
 * which reset (Cease 6/6) because a session parameter changed, which only need a soft refresh
 * (policies, RFC 2918 / RFC 7313) and which changes wait for a restart. Pure: no sessions touched.
 */
import { type Config, neighborKey, type SessionSettings } from './schema.js';

/** Settings that are part of the session (OPEN, timers, transport): a change resets it. */
const RESET_KEYS = [
  'port',
  'source-address',
  'passive',
  'hold-time',
  'keepalive-time',
  'families',
  'add-path',
  'add-paths',
  'graceful-restart',
  'extended-message',
  'required-capabilities',
  'ebgp-multihop',
  'password',
  'ttl-security',
  'route-reflector-client',
  'next-hop-self',
  'next-hop-keep',
  'allowas-in',
  'max-prefix',
  'advertisement-interval',
  'soft-reconfiguration-inbound',
] as const satisfies readonly (keyof SessionSettings)[];

/** Settings that only matter while connecting: taken on the next connection, no reset. */
const NEXT_CONNECTION_KEYS = [
  'connect-retry-time',
  'delay-open-time',
  'idle-hold-time',
] as const satisfies readonly (keyof SessionSettings)[];

/** Global keys a running speaker cannot change: the reload is refused. */
const BLOCKING_KEYS = ['asn', 'router-id'] as const satisfies readonly (keyof Config)[];
/** Global keys applied only after a restart of the daemon (reported, not refused). */
const RESTART_KEYS = [
  'listen',
  'fib',
  'fib-metric',
  'fib-method',
  'redistribute',
  'api',
  'metrics',
  'cluster-id',
  'maximum-paths',
  'multipath-relax',
  'always-compare-med',
  'coalesce-time',
  'journal',
  'mrt',
  'bmp',
] as const satisfies readonly (keyof Config)[];

export interface NeighborChange {
  /** The neighbor's address, or the listen range's prefix. */
  readonly address: string;
  /** Keys whose change resets the session (Cease 6/6); empty: the session stays up. */
  readonly reset: readonly string[];
  /** The import chain (or a policy in it) changed: ask the peer to send its routes again. */
  readonly softIn: boolean;
  /** The export chain (or a policy in it) changed: re-export to the peer. */
  readonly softOut: boolean;
  /** `shutdown` switched: true stops the neighbor (Cease 6/2), false starts it. */
  readonly shutdown?: boolean;
  /** Keys applied without touching the session (description, connect timers). */
  readonly other: readonly string[];
}

export interface NetworkChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Same prefix, other attributes: originated again. */
  readonly changed: readonly string[];
}

export interface ConfigDiff {
  /** Global keys whose change makes the reload impossible (the running config stays). */
  readonly blocking: readonly string[];
  /** Global keys that changed but take effect only after a restart. */
  readonly restartRequired: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly NeighborChange[];
  readonly networks: NetworkChanges;
  /** Listen ranges by prefix; a change applies to the dynamic neighbors of the range. */
  readonly ranges: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
    readonly changed: readonly NeighborChange[];
  };
  /** Nothing at all differs. */
  readonly empty: boolean;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A neighbor's effective settings: its own keys over `defaults` (as the session manager merges them). */
export function effectiveSettings(config: Config, own: SessionSettings): SessionSettings {
  const set = Object.entries(own).filter(([, v]) => v !== undefined);
  return { ...(config.defaults ?? {}), ...Object.fromEntries(set) };
}

/** True when a policy named in `chain` differs between the two configs (or the chain itself). */
function chainChanged(
  oldChain: readonly string[] | undefined,
  newChain: readonly string[] | undefined,
  oldPolicies: Config['policies'],
  newPolicies: Config['policies'],
): boolean {
  if (!same(oldChain ?? [], newChain ?? [])) return true;
  return (newChain ?? []).some((name) => !same(oldPolicies[name], newPolicies[name]));
}

type Peerish = SessionSettings & { readonly asn: unknown; readonly limit?: number };

function neighborChange(
  old: Config,
  next: Config,
  key: string,
  a: Peerish,
  b: Peerish,
): NeighborChange | null {
  const sa = effectiveSettings(old, a);
  const sb = effectiveSettings(next, b);
  const reset: string[] = !same(a.asn, b.asn) ? ['asn'] : [];
  for (const k of RESET_KEYS) if (!same(sa[k], sb[k])) reset.push(k);
  const other: string[] = [];
  for (const k of [...NEXT_CONNECTION_KEYS, 'description'] as const) if (!same(sa[k], sb[k])) other.push(k);
  if (a.limit !== b.limit) other.push('limit');
  const requiresPolicy = old['ebgp-requires-policy'] !== next['ebgp-requires-policy'];
  const softIn = requiresPolicy || chainChanged(sa.import, sb.import, old.policies, next.policies);
  const softOut = requiresPolicy || chainChanged(sa.export, sb.export, old.policies, next.policies);
  const shutdown = (sa.shutdown ?? false) !== (sb.shutdown ?? false) ? (sb.shutdown ?? false) : undefined;
  if (!reset.length && !other.length && !softIn && !softOut && shutdown === undefined) return null;
  return {
    address: key,
    reset,
    softIn,
    softOut,
    ...(shutdown !== undefined && { shutdown }),
    other,
  };
}

type Network = Config['networks'][number];
const networkPrefix = (n: Network) => (typeof n === 'string' ? n : n.prefix);

function networkChanges(old: Config, next: Config): NetworkChanges {
  const before = new Map(old.networks.map((n) => [networkPrefix(n), n]));
  const after = new Map(next.networks.map((n) => [networkPrefix(n), n]));
  return {
    added: [...after.keys()].filter((p) => !before.has(p)),
    removed: [...before.keys()].filter((p) => !after.has(p)),
    changed: [...after.keys()].filter((p) => before.has(p) && !same(before.get(p), after.get(p))),
  };
}

/** Entries keyed by `key` in both lists, compared with neighborChange. */
function keyed<T extends Peerish>(
  old: Config,
  next: Config,
  a: readonly T[],
  b: readonly T[],
  key: (x: T) => string,
) {
  const before = new Map(a.map((n) => [key(n), n]));
  const after = new Map(b.map((n) => [key(n), n]));
  const changed: NeighborChange[] = [];
  for (const [k, nb] of after) {
    const na = before.get(k);
    const c = na && neighborChange(old, next, k, na, nb);
    if (c) changed.push(c);
  }
  return {
    added: [...after.keys()].filter((k) => !before.has(k)),
    removed: [...before.keys()].filter((k) => !after.has(k)),
    changed,
  };
}

export function diffConfig(old: Config, next: Config): ConfigDiff {
  const neighbors = keyed(old, next, old.neighbors, next.neighbors, neighborKey);
  return {
    blocking: BLOCKING_KEYS.filter((k) => !same(old[k], next[k])),
    restartRequired: RESTART_KEYS.filter((k) => !same(old[k], next[k])),
    ...neighbors,
    networks: networkChanges(old, next),
    ranges: keyed(old, next, old['listen-ranges'], next['listen-ranges'], (r) => r.prefix),
    empty: same(old, next),
  };
}
