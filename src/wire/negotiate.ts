/**
 * Capability negotiation as a pure function (RustyBGP's negotiate()): what both OPENs agree on,
 * seen from the local speaker. The codec takes the result explicitly.
 */
import type { Capability } from './capabilities.js';
import { AddPathMode } from './capabilities.js';
import { type Family, IPV4_UNICAST, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH } from './constants.js';
import { type OpenMessage, openAsn } from './open.js';
import type { UpdateContext } from './update.js';

export interface PeerGracefulRestart {
  readonly restartTime: number;
  readonly restarting: boolean;
  readonly notification: boolean;
  /** Families the peer preserves, with its forwarding-state bit. */
  readonly families: ReadonlyMap<Family, boolean>;
}

export interface SessionParams extends UpdateContext {
  readonly localAsn: number;
  readonly peerAsn: number;
  readonly peerRouterId: string;
  /** min(local, remote) hold time (RFC 4271 §4.2). */
  readonly holdTime: number;
  /** Families both sides announced (IPv4 unicast when a side sends no multiprotocol capability). */
  readonly families: readonly Family[];
  readonly extendedMessage: boolean;
  /** 65535 with RFC 8654 extended messages, else 4096. */
  readonly maxMessageLength: number;
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  /** RFC 8950: NLRI families that may carry a next hop of the given AFI, both sides agreeing. */
  readonly extendedNextHop: readonly { readonly family: Family; readonly nextHopAfi: number }[];
  /** The peer's graceful restart capability (RFC 4724), null when absent. */
  readonly peerGracefulRestart: PeerGracefulRestart | null;
  /** Whether we announced graceful restart ourselves. */
  readonly localGracefulRestart: boolean;
  /** Peer's long-lived GR families with stale time (RFC 9494), empty when absent. */
  readonly peerLongLivedGr: ReadonlyMap<Family, number>;
  readonly peerHostname?: string;
}

/** Parameters before any OPEN: 2-octet AS, no ADD-PATH, 4096-octet messages. */
export const INITIAL_CONTEXT: UpdateContext = Object.freeze({
  fourOctetAs: false,
  addPathRx: new Set<Family>(),
  addPathTx: new Set<Family>(),
});

function find<K extends Capability['kind']>(
  o: OpenMessage,
  kind: K,
): Extract<Capability, { kind: K }> | undefined {
  return o.capabilities.find((c) => c.kind === kind) as Extract<Capability, { kind: K }> | undefined;
}

const has = (o: OpenMessage, kind: Capability['kind']) => o.capabilities.some((c) => c.kind === kind);

function familiesOf(o: OpenMessage): Family[] {
  const mp = o.capabilities.filter((c) => c.kind === 'multiprotocol').map((c) => c.family);
  // RFC 4760 §1 / RFC 2858: a speaker without the capability does IPv4 unicast only.
  return mp.length ? mp : [IPV4_UNICAST];
}

function addPathModes(o: OpenMessage): Map<Family, number> {
  const m = new Map<Family, number>();
  for (const c of o.capabilities)
    if (c.kind === 'add-path') for (const f of c.families) m.set(f.family, f.mode);
  return m;
}

export function negotiate(local: OpenMessage, remote: OpenMessage): SessionParams {
  const remoteFamilies = new Set(familiesOf(remote));
  const families = familiesOf(local).filter((f) => remoteFamilies.has(f));
  const mine = addPathModes(local);
  const theirs = addPathModes(remote);
  const addPathRx = new Set<Family>();
  const addPathTx = new Set<Family>();
  // RFC 7911 §4: receive when we said receive and they said send; send in the mirror case.
  for (const f of families) {
    const l = mine.get(f) ?? 0;
    const r = theirs.get(f) ?? 0;
    if (l & AddPathMode.RECEIVE && r & AddPathMode.SEND) addPathRx.add(f);
    if (l & AddPathMode.SEND && r & AddPathMode.RECEIVE) addPathTx.add(f);
  }
  const extendedMessage = has(local, 'extended-message') && has(remote, 'extended-message');
  const localEnh = find(local, 'extended-next-hop')?.entries ?? [];
  const remoteEnh = find(remote, 'extended-next-hop')?.entries ?? [];
  const gr = find(remote, 'graceful-restart');
  const llgr = find(remote, 'long-lived-graceful-restart');
  const fqdn = find(remote, 'fqdn');
  const refresh = (o: OpenMessage) => has(o, 'route-refresh') || has(o, 'route-refresh-old');
  return {
    localAsn: openAsn(local),
    peerAsn: openAsn(remote),
    peerRouterId: remote.routerId,
    // RFC 6793 §4: both must advertise the capability.
    fourOctetAs: has(local, 'four-octet-as') && has(remote, 'four-octet-as'),
    holdTime: Math.min(local.holdTime, remote.holdTime),
    families,
    addPathRx,
    addPathTx,
    extendedMessage,
    maxMessageLength: extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH,
    routeRefresh: refresh(local) && refresh(remote),
    enhancedRouteRefresh: has(local, 'enhanced-route-refresh') && has(remote, 'enhanced-route-refresh'),
    extendedNextHop: localEnh.filter((l) =>
      remoteEnh.some((r) => r.family === l.family && r.nextHopAfi === l.nextHopAfi),
    ),
    peerGracefulRestart: gr
      ? {
          restartTime: gr.restartTime,
          restarting: gr.restarting,
          notification: gr.notification,
          families: new Map(gr.families.map((f) => [f.family, f.forwarding])),
        }
      : null,
    localGracefulRestart: has(local, 'graceful-restart'),
    peerLongLivedGr: new Map((llgr?.families ?? []).map((f) => [f.family, f.staleTime])),
    ...(fqdn && { peerHostname: fqdn.hostname }),
  };
}
