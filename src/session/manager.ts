/**
 * All sessions of the speaker: a listener per configured address, configured neighbors, dynamic
 * neighbors from listen ranges (with a template and a limit), and the refusal of unknown sources
 * before any OPEN is sent (logged once per source, counted).
 */
import net from 'node:net';
import type { Config, ListenRangeConfig, NeighborConfig, SessionSettings } from '../config/schema.js';
import { parseIPv4, parseIPv6, parsePrefix } from '../util/ip.js';
import { CeaseSubcode } from '../wire/index.js';
import { Icmp6Socket } from './icmp6-socket.js';
import { LinkNeighbors } from './link-neighbors.js';
import { type LocalRestartState, mergeSettings, peerConfig } from './neighbor-config.js';
import { type PeerDeps, type PeerEndpoint, PeerSession } from './peer-session.js';
import { setListenerGtsm, setListenerKey, synTtlOf } from './socket-options.js';
import { gtsmHops, keyChanges, type Md5Key, minTtlFor, wantedKeys } from './tcp-md5.js';

export interface ManagerStats {
  /** Connections closed because the source is neither a neighbor nor in a listen range (or over its limit). */
  unknownConnections: number;
  readonly unknownSources: Set<string>;
  /** Connections refused because their SYN came with a TTL below the neighbor's GTSM minimum (RFC 5082). */
  gtsmRefused: number;
}

interface DynamicRange {
  readonly config: ListenRangeConfig;
  readonly contains: (address: string) => boolean;
  readonly peers: Set<string>;
}

const normalise = (a: string | undefined) => (a ?? '').replace(/^::ffff:/, '');

function rangeMatcher(prefix: string): (address: string) => boolean {
  const p = parsePrefix(prefix)!;
  return (address) => {
    const bytes = p.family === 4 ? v4bytes(address) : parseIPv6(address);
    if (!bytes) return false;
    for (let bit = 0; bit < p.length; bit++) {
      const m = 0x80 >> (bit & 7);
      if ((bytes[bit >> 3] & m) !== (p.bytes[bit >> 3] & m)) return false;
    }
    return true;
  };
}

function v4bytes(a: string): Uint8Array | null {
  const v = parseIPv4(a);
  return v < 0 ? null : Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

/**
 * Transport of a session: eBGP sends with TTL 1 unless `ebgp-multihop` says otherwise (RFC 4271 §8
 * single-hop default), iBGP keeps the system TTL; GTSM (RFC 5082) sends with 255 and accepts
 * 256 − hops and up; `password` is the TCP MD5 key (RFC 2385).
 */
function transportFor(
  localAsn: number,
  peerAs: number | 'internal' | 'external',
  s: SessionSettings,
): Pick<PeerEndpoint, 'ttl' | 'minTtl' | 'password'> {
  const password = s.password !== undefined ? { password: s.password } : {};
  const hops = gtsmHops(s['ttl-security']);
  if (hops !== undefined) return { ttl: 255, minTtl: minTtlFor(hops), ...password };
  const ebgp = peerAs === 'external' || (typeof peerAs === 'number' && peerAs !== localAsn);
  return { ...(ebgp && { ttl: s['ebgp-multihop'] ?? 1 }), ...password };
}

export class SessionManager {
  readonly peers = new Map<string, PeerSession>();
  readonly stats: ManagerStats = { unknownConnections: 0, unknownSources: new Set(), gtsmRefused: 0 };
  private readonly servers: net.Server[] = [];
  /**
   * Connections accepted before start(): the listeners are bound first (so a start that fails has
   * changed nothing), and a neighbor dialing in meanwhile is answered once the neighbors exist.
   */
  private early: net.Socket[] | null = [];
  /** TCP MD5 keys installed on each listener, by slot (address or prefix). */
  private readonly listenerKeys = new Map<net.Server, Map<string, Md5Key>>();
  /** Listeners with GTSM on (TTL 255 SYN-ACKs, saved SYNs). */
  private readonly gtsmListeners = new Set<net.Server>();
  private ranges: DynamicRange[] = [];
  private readonly dynamic = new Set<string>();
  /** R and F bits of our GR capability (setRestartState). */
  private restartState: LocalRestartState | undefined;
  /** Effective settings (defaults merged) per neighbor address. */
  private readonly settings = new Map<string, SessionSettings>();
  /** Unnumbered neighbors, by interface: their sessions are in `peers` under the learned address. */
  private readonly links: LinkNeighbors;

  constructor(
    private config: Readonly<Config>,
    private readonly deps: PeerDeps,
  ) {
    this.setRanges(config);
    this.links = new LinkNeighbors({
      clock: deps.clock,
      openSocket: (ifname) => Icmp6Socket.open(ifname),
      create: (n, address) => this.addNeighbor({ ...n, address }),
      remove: (address, why) => this.removePeer(address, why, CeaseSubcode.OTHER_CONFIGURATION_CHANGE),
      established: (address) => this.peers.get(address)?.sessionState === 'Established',
      warn: (o, message) => deps.log.warn(o, message),
      info: (o, message) => deps.log.info(o, message),
    });
  }

  /** Opens a listener per configured address; resolves once all are bound. */
  async listen(): Promise<void> {
    const addresses = ([] as string[]).concat(this.config.listen.address);
    for (const address of addresses) {
      const server = net.createServer((socket) => {
        if (this.early) this.early.push(socket.on('error', () => {}));
        else this.incoming(socket);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: address, port: this.config.listen.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.deps.log.warn({ err: err.message, address }, 'listener error'));
      this.servers.push(server);
    }
    this.syncListeners();
  }

  /**
   * Brings every listener's TCP MD5 keys (one per neighbor with a password, one per listen range
   * with one, as a prefix key) and GTSM options in line with the config; a removed or changed key is
   * deleted or replaced. Connections already accepted keep the keys they were accepted with.
   */
  private syncListeners(): void {
    const c = this.config;
    const neighbors = c.neighbors.flatMap((n) =>
      n.address === undefined ? [] : [{ address: n.address, ...mergeSettings(c, n) }],
    );
    const ranges = c['listen-ranges'].map((r) => ({ ...mergeSettings(c, r), prefix: r.prefix }));
    const wanted = wantedKeys(neighbors, ranges);
    const gtsm = [...neighbors, ...ranges].some((s) => gtsmHops(s['ttl-security']) !== undefined);
    for (const server of this.servers) {
      const installed = this.listenerKeys.get(server) ?? new Map<string, Md5Key>();
      const { set, remove } = keyChanges(installed, wanted);
      for (const k of remove) {
        const err = setListenerKey(server, { ...k, password: null });
        if (err) this.deps.log.warn({ peer: k.address, err }, 'cannot remove TCP MD5 key from listener');
      }
      const now = new Map(wanted);
      for (const k of set) {
        const err = setListenerKey(server, k);
        if (!err) continue;
        now.delete(k.prefixLength === undefined ? k.address : `${k.address}/${k.prefixLength}`);
        this.deps.log.warn({ peer: k.address, err }, 'cannot install TCP MD5 key on listener');
      }
      this.listenerKeys.set(server, now);
      if (gtsm !== this.gtsmListeners.has(server)) {
        const err = setListenerGtsm(server, gtsm);
        if (err) this.deps.log.warn({ err }, 'cannot set GTSM options on listener');
        if (gtsm) this.gtsmListeners.add(server);
        else this.gtsmListeners.delete(server);
      }
    }
  }

  /** The ports actually bound (useful with port 0 in tests). */
  get listeningPorts(): number[] {
    return this.servers.map((s) => (s.address() as net.AddressInfo).port);
  }

  /** Creates and starts the configured neighbors, then takes the connections that came before. */
  start(): void {
    for (const n of this.config.neighbors) this.addNeighbor(n);
    const early = this.early ?? [];
    this.early = null;
    for (const socket of early) if (!socket.destroyed) this.incoming(socket);
  }

  /** A neighbor by address starts at once; one by interface once its peer's address is learned. */
  addNeighbor(n: NeighborConfig): PeerSession | undefined {
    if (n.address === undefined) {
      if (n.interface !== undefined) this.links.add({ ...n, interface: n.interface });
      return undefined;
    }
    const settings = mergeSettings(this.config, n);
    this.settings.set(n.address, settings);
    const peer = new PeerSession(
      {
        address: n.address,
        port: settings.port ?? 179,
        ...(settings['source-address'] && { localAddress: settings['source-address'] }),
        ...transportFor(this.config.asn, n.asn, settings),
      },
      peerConfig(this.config, { address: n.address, asn: n.asn }, settings, this.restartState),
      this.deps,
    );
    this.peers.set(n.address, peer);
    if (!settings.shutdown) peer.start();
    return peer;
  }

  /** The session address of a configured neighbor's key: the learned one for an unnumbered neighbor. */
  sessionAddress(key: string): string {
    return this.links.addressOf(key) ?? key;
  }

  /** Ends a neighbor's session: by address, or by interface for an unnumbered one. */
  removePeer(address: string, message: string, subcode?: number): void {
    if (this.links.remove(address, message)) return;
    const peer = this.peers.get(address);
    if (!peer) return;
    peer.stop(message, subcode);
    peer.destroy();
    this.peers.delete(address);
    this.dynamic.delete(address);
    for (const r of this.ranges) r.peers.delete(address);
  }

  private setRanges(config: Readonly<Config>): void {
    this.ranges = config['listen-ranges'].map((r) => ({
      config: r,
      contains: rangeMatcher(r.prefix),
      peers: new Set(),
    }));
  }

  private incoming(socket: net.Socket): void {
    const address = normalise(socket.remoteAddress);
    // A connection on an unnumbered neighbor's link tells us its address (RFC 4861 aside).
    if (!this.peers.has(address)) this.links.connectionFrom(address);
    const peer = this.peers.get(address);
    const range = peer ? undefined : this.ranges.find((r) => r.contains(address));
    const settings = peer ? this.settings.get(address) : range && mergeSettings(this.config, range.config);
    if (!this.gtsmAllows(socket, address, settings)) return;
    if (peer) {
      peer.accept(socket);
      return;
    }
    if (range && range.peers.size < range.config.limit) {
      this.addDynamic(address, range).accept(socket);
      return;
    }
    // RFC 4271 §8.2.1.1: a connection from an unconfigured address is refused before any OPEN.
    socket.destroy();
    this.stats.unknownConnections++;
    if (!this.stats.unknownSources.has(address)) {
      this.stats.unknownSources.add(address);
      this.deps.log.warn(
        { source: address, range: range?.config.prefix },
        range ? 'listen range full; connection refused' : 'connection from unknown source refused',
      );
    }
  }

  /**
   * RFC 5082 §3 on an accepted connection: its SYN (saved by the listener) must have come with
   * TTL ≥ 256 − hops, or the connection is closed before any OPEN. Later segments below the
   * minimum are dropped by the kernel (IP_MINTTL, set when the peer takes the socket).
   */
  private gtsmAllows(socket: net.Socket, address: string, settings: SessionSettings | undefined): boolean {
    const hops = gtsmHops(settings?.['ttl-security']);
    if (hops === undefined) return true;
    const ttl = synTtlOf(socket);
    if (ttl !== null && ttl >= minTtlFor(hops)) return true;
    socket.destroy();
    this.stats.gtsmRefused++;
    this.deps.log.warn(
      { source: address, ttl, minimum: minTtlFor(hops) },
      'GTSM: connection refused, SYN TTL below the minimum',
    );
    return false;
  }

  private addDynamic(address: string, range: DynamicRange): PeerSession {
    const settings = { ...mergeSettings(this.config, range.config), passive: true };
    this.settings.set(address, settings);
    const peer = new PeerSession(
      { address, port: settings.port ?? 179, ...transportFor(this.config.asn, range.config.asn, settings) },
      peerConfig(this.config, { address, asn: range.config.asn }, settings, this.restartState),
      this.deps,
    );
    this.peers.set(address, peer);
    this.dynamic.add(address);
    range.peers.add(address);
    peer.start();
    this.deps.log.info({ peer: address, range: range.config.prefix }, 'dynamic neighbor');
    return peer;
  }

  /**
   * Takes a new configuration (reload): later connections, new neighbors and dynamic neighbors use
   * it, and every existing peer's FSM config is replaced (effective on its next connection). Returns
   * the dynamic neighbors no listen range covers any more, for the caller to remove.
   */
  reconfigure(config: Readonly<Config>): string[] {
    this.config = config;
    this.setRanges(config);
    this.syncListeners();
    const orphans: string[] = [];
    for (const address of this.dynamic) {
      const range = this.ranges.find((r) => r.contains(address));
      if (!range) {
        orphans.push(address);
        continue;
      }
      range.peers.add(address);
      this.settings.set(address, { ...mergeSettings(config, range.config), passive: true });
      this.peers
        .get(address)
        ?.reconfigure(
          peerConfig(
            config,
            { address, asn: range.config.asn },
            this.settings.get(address)!,
            this.restartState,
          ),
        );
    }
    for (const c of config.neighbors) {
      if (c.interface !== undefined) this.links.reconfigure({ ...c, interface: c.interface });
      const address =
        c.address ?? (c.interface === undefined ? undefined : this.links.addressOf(c.interface));
      const peer = address === undefined ? undefined : this.peers.get(address);
      if (!peer || address === undefined || this.dynamic.has(address)) continue;
      const n = { ...c, address };
      const settings = mergeSettings(config, n);
      this.settings.set(address, settings);
      peer.reconfigure(peerConfig(config, { address, asn: n.asn }, settings, this.restartState));
    }
    return orphans;
  }

  /**
   * What the GR capability of later OPENs says of our own restart (R and F bits, RFC 4724 §3);
   * undefined: as the configuration allows on a first start.
   */
  setRestartState(state: LocalRestartState | undefined): void {
    this.restartState = state;
    this.reconfigure(this.config);
  }

  /**
   * `rackbgp restart` (RFC 4724 §4.1): every connection and listener closed without a NOTIFICATION,
   * so the neighbors keep our routes as helpers.
   */
  async abandon(): Promise<void> {
    this.links.close();
    for (const socket of this.early ?? []) socket.destroy();
    this.early = [];
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const p of this.peers.values()) p.destroy();
    await closed;
    this.servers.length = 0;
  }

  /** Dynamic neighbors accepted through the listen range `prefix`. */
  dynamicPeersOf(prefix: string): string[] {
    return [...(this.ranges.find((r) => r.config.prefix === prefix)?.peers ?? [])];
  }

  settingsOf(address: string): SessionSettings {
    return this.settings.get(address) ?? {};
  }

  /** Dynamic neighbors Established with the peer's graceful-restart capability (RFC 4724): a restart of ours waits for them. */
  gracefulDynamicPeers(): string[] {
    return [...this.dynamic].filter((a) => {
      const p = this.peers.get(a);
      return p?.sessionState === 'Established' && p.params?.peerGracefulRestart !== undefined;
    });
  }

  /** True when a listen range of the configuration covers the address. */
  inListenRange(address: string): boolean {
    return this.ranges.some((r) => r.contains(address));
  }

  /** True for a neighbor created from a listen range. */
  isDynamic(address: string): boolean {
    return this.dynamic.has(address);
  }

  /** A dynamic neighbor whose session ended is forgotten, freeing its place in the range. */
  forgetIfDynamic(address: string): void {
    if (this.dynamic.has(address)) {
      const peer = this.peers.get(address);
      peer?.destroy();
      this.peers.delete(address);
      this.dynamic.delete(address);
      for (const r of this.ranges) r.peers.delete(address);
    }
  }

  /** Cease to every peer (RFC 8203 message), then close listeners and sockets. */
  async stop(message = 'rackbgp shutting down'): Promise<void> {
    this.links.close();
    for (const socket of this.early ?? []) socket.destroy();
    this.early = [];
    for (const p of this.peers.values()) p.stop(message);
    // A listener's close callback waits for its accepted sockets: destroy them first (after a
    // moment for the NOTIFICATIONs to leave), or stop() would wait for the peers to hang up.
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    await new Promise((r) => setTimeout(r, 50));
    for (const p of this.peers.values()) p.destroy();
    await closed;
    this.servers.length = 0;
  }
}
