/**
 * From validated config to what a peer's FSM needs: timers with lab-friendly defaults, the OPEN
 * we send (capabilities from the neighbor's settings) and the OPEN acceptance policy. Pure.
 */
import type { Config, SessionSettings } from '../config/schema.js';
import { ipFamily } from '../util/ip.js';
import {
  AddPathMode,
  Afi,
  type Capability,
  type CapabilityKind,
  type Family,
  IPV4_UNICAST,
  makeOpen,
} from '../wire/index.js';
import { familyFromName } from '../wire/json.js';
import type { PeerAsSpec } from './open-check.js';
import type { PeerConfig } from './peer.js';

/** Defaults where the config is silent: a lab wants quick retries and fast recovery. */
export const SESSION_DEFAULTS = {
  holdTime: 90,
  connectRetryTime: 5,
  delayOpenTime: 0,
  /** After an error an active neighbor waits this long; a passive one takes the next connection at once. */
  idleHoldTime: 1,
  restartTime: 120,
} as const;

const ADD_PATH_MODE = {
  off: 0,
  receive: AddPathMode.RECEIVE,
  send: AddPathMode.SEND,
  both: AddPathMode.BOTH,
} as const;

/** RFC 7911 Send/Receive bits from `add-paths` (or its `add-path` shorthand). */
export function addPathMode(s: SessionSettings): number {
  const full = s['add-paths'];
  if (full)
    return (full.receive ? AddPathMode.RECEIVE : 0) | (full.send !== undefined ? AddPathMode.SEND : 0);
  return ADD_PATH_MODE[s['add-path'] ?? 'off'];
}

export interface NeighborIdentity {
  readonly address: string;
  readonly asn: PeerAsSpec;
}

/** Settings with neighbor keys over `defaults` keys. */
export function mergeSettings(config: Config, own: SessionSettings): SessionSettings {
  return { ...(config.defaults ?? {}), ...stripUndefined(own) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A zoned IPv6 link-local address (`fe80::1%eth1`): the session of an unnumbered link. */
export const isLinkLocalPeer = (address: string): boolean => /^fe[89ab][^%]*%./i.test(address);

/**
 * The families of a session: as configured, else the address's own; an unnumbered (link-local)
 * session carries both, IPv4 with IPv6 next hops (RFC 8950), as FRR's `neighbor eth1 interface`.
 */
export function familiesFor(address: string, s: SessionSettings): Family[] {
  const names =
    s.families ??
    (isLinkLocalPeer(address)
      ? (['ipv4-unicast', 'ipv6-unicast'] as const)
      : [ipFamily(address) === 6 ? 'ipv6-unicast' : 'ipv4-unicast']);
  return names.map(familyFromName);
}

/** RFC 8950 §4: IPv4 unicast may carry an IPv6 next hop (default: on for link-local sessions). */
export function extendedNextHop(
  address: string,
  s: SessionSettings,
  families: readonly Family[],
): Capability[] {
  if (!(s['extended-next-hop'] ?? isLinkLocalPeer(address)) || !families.includes(IPV4_UNICAST)) return [];
  return [{ kind: 'extended-next-hop', entries: [{ family: IPV4_UNICAST, nextHopAfi: Afi.IPV6 }] }];
}

/** What this run says of its own restart in the GR capability (RFC 4724 §3). */
export interface LocalRestartState {
  /** R bit: this run is a graceful restart still deferring its selection (RFC 4724 §4.1). */
  readonly restarting: boolean;
  /** F bit per family: forwarding (kernel routes) survived, or there is none to lose (fib: false). */
  readonly forwardingPreserved: boolean;
}

/** Forwarding survives a restart of this daemon when it owns no data plane or leaves its routes in the kernel. */
export const forwardingSurvives = (config: Config): boolean => !config.fib || config['fib-keep-on-shutdown'];

/** A first start: no R bit; F as the configuration allows. */
export const firstStart = (config: Config): LocalRestartState => ({
  restarting: false,
  forwardingPreserved: forwardingSurvives(config),
});

export function localCapabilities(
  config: Config,
  address: string,
  s: SessionSettings,
  restart: LocalRestartState = firstStart(config),
): Capability[] {
  const families = familiesFor(address, s);
  const caps: Capability[] = families.map((family) => ({ kind: 'multiprotocol', family }));
  caps.push(...extendedNextHop(address, s, families));
  caps.push({ kind: 'route-refresh' }, { kind: 'enhanced-route-refresh' });
  if (s['extended-message'] !== false) caps.push({ kind: 'extended-message' });
  const gr = s['graceful-restart'] ?? true;
  if (gr !== false) {
    // RFC 4724 §3: the session's families with the Forwarding State bit make us a restarting speaker
    // too, when forwarding survives a restart (fib: false, fib-keep-on-shutdown, or `rackbgp restart`
    // kept the kernel routes); otherwise no <AFI, SAFI>: helper only. R after a restart (§4.1); N: RFC 8538.
    caps.push({
      kind: 'graceful-restart',
      restarting: restart.restarting,
      notification: gr !== true && gr.notification === true,
      restartTime:
        gr === true ? SESSION_DEFAULTS.restartTime : (gr['restart-time'] ?? SESSION_DEFAULTS.restartTime),
      families: restart.forwardingPreserved ? families.map((family) => ({ family, forwarding: true })) : [],
    });
  }
  caps.push({ kind: 'four-octet-as', asn: config.asn });
  const mode = addPathMode(s);
  if (mode) caps.push({ kind: 'add-path', families: families.map((family) => ({ family, mode })) });
  return caps;
}

export function peerConfig(
  config: Config,
  peer: NeighborIdentity,
  s: SessionSettings,
  restart: LocalRestartState = firstStart(config),
): PeerConfig {
  const holdTime = s['hold-time'] ?? SESSION_DEFAULTS.holdTime;
  const passive = s.passive ?? false;
  return {
    localAsn: config.asn,
    routerId: config['router-id'],
    peerAs: peer.asn,
    requiredCapabilities: (s['required-capabilities'] ?? []) as CapabilityKind[],
    localOpen: makeOpen({
      asn: config.asn,
      holdTime,
      routerId: config['router-id'],
      capabilities: localCapabilities(config, peer.address, s, restart),
    }),
    passive,
    connectRetryTime: s['connect-retry-time'] ?? SESSION_DEFAULTS.connectRetryTime,
    ...(s['keepalive-time'] !== undefined && { keepaliveTime: s['keepalive-time'] }),
    delayOpenTime: s['delay-open-time'] ?? SESSION_DEFAULTS.delayOpenTime,
    idleHoldTime: s['idle-hold-time'] ?? (passive ? 0 : SESSION_DEFAULTS.idleHoldTime),
  };
}
