/**
 * Applies a config diff to a running speaker (SIGHUP, POST /api/reload): new neighbors start, removed
 * ones get Cease/Peer De-configured (RFC 4486 §4, 6/3), changed ones reset with Cease/Other
 * Configuration Change (6/6) only when a session parameter changed; policy changes are applied by
 * soft refresh (re-export; ROUTE-REFRESH, RFC 2918) and the session stays up.
 */
import { type ConfigDiff, diffConfig, type NeighborChange } from '../config/diff.js';
import { type Config, neighborKey } from '../config/schema.js';
import type { SessionManager } from '../session/manager.js';
import type { Logger } from '../session/peer-session.js';
import { CeaseSubcode } from '../wire/index.js';

export type ReloadAction =
  | 'start'
  | 'deconfigure'
  | 'reset'
  | 'refresh-in'
  | 'refresh-out'
  | 'update'
  | 'shutdown'
  | 'enable';

export interface ReloadReport {
  /** False when nothing was applied (invalid file, or a change that needs a restart first). */
  readonly ok: boolean;
  readonly errors: readonly string[];
  /** What happened to each neighbor (or listen range), with the reason. */
  readonly actions: readonly {
    readonly neighbor: string;
    readonly action: ReloadAction;
    readonly reason: string;
  }[];
  readonly networks: ConfigDiff['networks'];
  /** Changed keys that take effect only after a restart of the daemon. */
  readonly restartRequired: readonly string[];
}

/** What reload needs of the speaker (the composition root implements it). */
export interface ReloadHost {
  readonly config: Readonly<Config>;
  readonly sessions: SessionManager;
  readonly log: Logger;
  /** Swaps in the new config and compiles its policies. */
  commit(next: Readonly<Config>): void;
  /** Re-applies the neighbor's (new) policies to its routing session; false when not Established. */
  applyPolicies(address: string): boolean;
  /** Asks the neighbor to send its routes again; false when route refresh was not negotiated. */
  requestRefresh(address: string): boolean;
  originate(network: Config['networks'][number]): void;
  withdrawNetwork(prefix: string): void;
}

export function rejected(errors: readonly string[]): ReloadReport {
  return {
    ok: false,
    errors,
    actions: [],
    networks: { added: [], removed: [], changed: [] },
    restartRequired: [],
  };
}

export function applyReload(host: ReloadHost, next: Readonly<Config>): ReloadReport {
  const diff = diffConfig(host.config, next);
  if (diff.blocking.length)
    return rejected(diff.blocking.map((k) => `${k}: changing it needs a restart (the running config stays)`));
  const actions: ReloadReport['actions'][number][] = [];
  const act = (neighbor: string, action: ReloadAction, reason: string) => {
    actions.push({ neighbor, action, reason });
    host.log.info({ peer: neighbor, action, reason }, 'reload');
  };
  const sessions = host.sessions;
  host.commit(next);
  const orphans = sessions.reconfigure(next);
  const deconfigure = (address: string, why: string) => {
    sessions.removePeer(address, why, CeaseSubcode.PEER_DE_CONFIGURED);
    act(address, 'deconfigure', why);
  };
  for (const address of diff.removed) deconfigure(address, 'neighbor removed from the configuration');
  for (const address of orphans) deconfigure(address, 'no listen range covers the neighbor any more');

  const byAddress = new Map(next.neighbors.map((n) => [neighborKey(n), n]));
  for (const c of diff.changed) {
    const n = byAddress.get(c.address);
    if (!n) continue;
    // An unnumbered neighbor (keyed by interface) changes its session at the learned address.
    applyChange(host, { ...c, address: sessions.sessionAddress(c.address) }, act, () => {
      sessions.removePeer(c.address, changeMessage(c), CeaseSubcode.OTHER_CONFIGURATION_CHANGE);
      sessions.addNeighbor(n);
    });
  }
  for (const r of diff.ranges.changed) {
    for (const address of sessions.dynamicPeersOf(r.address)) {
      // A dynamic neighbor is passive: removing it lets it reconnect under the new template.
      applyChange(host, { ...r, address }, act, () =>
        sessions.removePeer(address, changeMessage(r), CeaseSubcode.OTHER_CONFIGURATION_CHANGE),
      );
    }
  }
  for (const address of diff.added) {
    const n = byAddress.get(address)!;
    if (sessions.isDynamic(address))
      sessions.removePeer(address, 'configured explicitly now', CeaseSubcode.OTHER_CONFIGURATION_CHANGE);
    sessions.addNeighbor(n);
    act(address, 'start', n.shutdown ? 'added (administratively down)' : 'added to the configuration');
  }

  for (const prefix of diff.networks.removed) host.withdrawNetwork(prefix);
  const changedNets = new Set([...diff.networks.added, ...diff.networks.changed]);
  for (const n of next.networks) if (changedNets.has(typeof n === 'string' ? n : n.prefix)) host.originate(n);
  if (diff.restartRequired.length)
    host.log.warn({ keys: diff.restartRequired }, 'reload: these changes take effect after a restart');
  return { ok: true, errors: [], actions, networks: diff.networks, restartRequired: diff.restartRequired };
}

const ENDPOINT_KEYS = new Set(['port', 'source-address', 'ebgp-multihop', 'password', 'ttl-security']);

const changeMessage = (c: NeighborChange) => `configuration change: ${c.reset.join(', ')}`;

/** One changed neighbor: reset, shut down, soft refresh or just take the new settings. */
function applyChange(
  host: ReloadHost,
  c: NeighborChange,
  act: (neighbor: string, action: ReloadAction, reason: string) => void,
  replace: () => void,
): void {
  const peer = host.sessions.peers.get(c.address);
  if (!peer) return;
  if (c.shutdown === true) {
    peer.stop('shut down by configuration');
    act(c.address, 'shutdown', 'shutdown: true');
    return;
  }
  if (host.sessions.settingsOf(c.address).shutdown) {
    act(c.address, 'update', 'administratively down: new settings apply when enabled');
    return;
  }
  let reset = [...c.reset];
  if (!reset.length && (c.softIn || c.softOut)) {
    const established = host.applyPolicies(c.address);
    if (established && c.softOut) act(c.address, 'refresh-out', 'export policy changed');
    if (established && c.softIn) {
      if (host.requestRefresh(c.address)) act(c.address, 'refresh-in', 'import policy changed');
      else reset = ['import policy (the peer has no route refresh)'];
    }
  }
  if (reset.length) {
    const why = `configuration change: ${reset.join(', ')}`;
    // Transport settings live in the peer's endpoint: a new peer takes them.
    if (reset.some((k) => ENDPOINT_KEYS.has(k))) replace();
    else {
      peer.stop(why, CeaseSubcode.OTHER_CONFIGURATION_CHANGE);
      peer.start();
    }
    act(c.address, 'reset', why);
  } else if (c.shutdown === false) {
    peer.start();
    act(c.address, 'enable', 'shutdown: false');
  } else if (c.other.length) act(c.address, 'update', c.other.join(', '));
}
