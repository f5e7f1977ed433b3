/**
 * Prometheus metrics collected on scrape from the service snapshots (nothing is counted twice, and
 * a removed neighbor's series disappear with it). The names are rackbgp's own, in the style of the
 * OpenConfig BGP model and GoBGP's exporters (bgp_peer_*, bgp_rib_*, bgp_fib_*; `peer` = the
 * neighbor's address, `afi_safi` = ipv4-unicast / ipv6-unicast), plus prom-client's process and
 * Node.js collectors. They are not frr_exporter's names: dashboards/rules.yml records the
 * frr_exporter series whose meaning and labels match exactly (frr_bgp_peer_state, ...).
 * Per-family peer series exist only for the families the session negotiated (RFC 4760 §8).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { BgpService, NeighborView, PrefixCount, RibSummary } from '../api/service.js';
import { errorName, familyName, IPV4_UNICAST, type OpenMessage } from '../wire/index.js';
import { monitoringMetrics, type SeriesFn } from './monitoring-metrics.js';

export const FSM_STATES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;

/** The families our OPEN offers the neighbor (RFC 4760 §8; none listed: IPv4 unicast, RFC 4760 §1). */
function offeredFamilies(open: OpenMessage | undefined): string[] {
  if (!open) return [];
  const mp = open.capabilities.flatMap((c) => (c.kind === 'multiprotocol' ? [familyName(c.family)] : []));
  return mp.length ? mp : [familyName(IPV4_UNICAST)];
}

/** Families with per-family peer series: negotiated, or kept stale by the RFC 4724 helper. */
const sessionFamilies = (n: NeighborView): string[] => [
  ...new Set([...(n.negotiated?.families ?? []), ...(n.gracefulRestart?.families ?? [])]),
];

/**
 * Stopped by us over max-prefix (Cease 6/1 sent, RFC 4486 §4): the session is down, not shut down
 * by an operator (FRR shows it as "Idle (PfxCt)", not "Idle (Admin)").
 */
const stoppedByMaxPrefix = (n: NeighborView): boolean => {
  const e = n.counters.lastError;
  return !n.enabled && e?.direction === 'sent' && e.code === 6 && e.subcode === 1;
};

const sessionType = (n: NeighborView): 'ibgp' | 'ebgp' =>
  n.peerAs === 'internal' || n.peerAs === n.localAs ? 'ibgp' : 'ebgp';

interface Scrape {
  readonly neighbors: readonly NeighborView[];
  readonly rib: RibSummary;
}

export interface Metrics {
  readonly registry: Registry;
  /** The exposition text (takes fresh snapshots). */
  scrape(): Promise<string>;
}

/** Both sides of graceful restart (RFC 4724) and enhanced route refresh (RFC 7313), from the service. */
function grMetrics(service: BgpService, series: SeriesFn): void {
  const gr = () => service.gracefulRestart();
  series(
    'gauge',
    'bgp_gr_restarted',
    '1 when this run follows `rackbgp restart` (RFC 4724 §4.1)',
    [],
    (set) => set({}, gr().restarting?.restarted ? 1 : 0),
  );
  series(
    'gauge',
    'bgp_gr_deferring',
    '1 while best-path export is deferred after our restart, waiting for End-of-RIB',
    [],
    (set) => set({}, gr().restarting?.deferring ? 1 : 0),
  );
  series(
    'gauge',
    'bgp_gr_deferral_seconds',
    'How long the selection deferral after our restart lasted (0 until it ended, or without a restart)',
    [],
    (set) => {
      const e = gr().restarting?.ended;
      if (e) set({}, e.ms / 1000);
    },
  );
  series(
    'gauge',
    'bgp_gr_eor_waiting',
    '1 per neighbor whose End-of-RIB our restart still waits for',
    ['peer'],
    (set) => {
      for (const peer of Object.keys(gr().restarting?.waitingFor ?? {})) set({ peer }, 1);
    },
  );
  series(
    'gauge',
    'bgp_gr_eor_wait_seconds',
    "Seconds from our restart's deferral start to each neighbor's End-of-RIB",
    ['peer'],
    (set) => {
      for (const [peer, ms] of Object.entries(gr().restarting?.endOfRib ?? {})) set({ peer }, ms / 1000);
    },
  );
  series(
    'gauge',
    'bgp_gr_helper_stale',
    '1 per neighbor whose routes we keep stale as GR helper',
    ['peer'],
    (set) => {
      for (const peer of Object.keys(gr().helper.neighbors)) set({ peer }, 1);
    },
  );
  series(
    'counter',
    'bgp_gr_helper_total',
    'GR helper episodes: started, ended by End-of-RIB, by timer (expired), skipped, Hard Resets received or sent',
    ['outcome'],
    (set) => {
      for (const [outcome, v] of Object.entries(gr().helper.totals)) set({ outcome }, v);
    },
  );
  series(
    'counter',
    'bgp_enhanced_refresh_total',
    'Enhanced route refreshes received (RFC 7313): begun (BoRR), ended (EoRR), expired (no EoRR); purged: stale paths removed',
    ['phase'],
    (set) => {
      for (const [phase, v] of Object.entries(gr().enhancedRefresh)) set({ phase }, v);
    },
  );
}

export const BFD_STATES = ['AdminDown', 'Down', 'Init', 'Up'] as const;

/** BFD sessions (RFC 5880 §4.1 states), from the service's snapshot on each scrape. */
function bfdMetrics(service: BgpService, series: SeriesFn): void {
  const bfd = () => service.bfd();
  series(
    'gauge',
    'bfd_peer_state',
    'BFD session state (RFC 5880 §4.1): 1 for the current state',
    ['peer', 'state'],
    (set) => {
      for (const s of bfd().sessions)
        for (const state of BFD_STATES) set({ peer: s.peer, state }, s.state === state ? 1 : 0);
    },
  );
  series('counter', 'bfd_peer_transitions_total', 'BFD session state changes', ['peer'], (set) => {
    for (const s of bfd().sessions) set({ peer: s.peer }, s.counters.transitions);
  });
  series(
    'gauge',
    'bfd_peer_detection_time_seconds',
    'Negotiated detection time of the BFD session (RFC 5880 §6.8.4)',
    ['peer'],
    (set) => {
      for (const s of bfd().sessions) set({ peer: s.peer }, s.detectionTimeMs / 1000);
    },
  );
  series(
    'counter',
    'bfd_discarded_total',
    'Received BFD packets dropped: ttl (not 255, RFC 5881 §5), malformed, no-session, wrong-source',
    ['reason'],
    (set) => {
      for (const [reason, n] of Object.entries(bfd().discarded)) set({ reason }, n);
    },
  );
}

export function createMetrics(service: BgpService, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  let current: Scrape = { neighbors: [], rib: service.ribSummary() };

  /** A gauge or counter whose every series is rebuilt from the current snapshot at each scrape. */
  const series = <L extends string>(
    kind: 'gauge' | 'counter',
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (set: (labels: Record<L, string>, value: number) => void) => void,
  ) => {
    const config = {
      name,
      help,
      labelNames,
      registers: [registry],
      collect(this: Gauge<L> | Counter<L>) {
        this.reset();
        fill((labels, v) => {
          if (this instanceof Gauge) this.set(labels, v);
          else this.inc(labels, v);
        });
      },
    };
    return kind === 'gauge' ? new Gauge<L>(config) : new Counter<L>(config);
  };
  const perPeer = <L extends string>(
    kind: 'gauge' | 'counter',
    name: string,
    help: string,
    extra: readonly L[],
    each: (n: NeighborView, set: (labels: Record<L, string>, value: number) => void) => void,
  ) =>
    series<'peer' | L>(kind, name, help, ['peer', ...extra], (set) => {
      for (const n of current.neighbors) each(n, (labels, v) => set({ peer: n.address, ...labels }, v));
    });

  perPeer(
    'gauge',
    'bgp_peer_state',
    'FSM state (RFC 4271 §8): 1 for the current state',
    ['state'],
    (n, set) => {
      for (const s of FSM_STATES) set({ state: s }, n.state === s ? 1 : 0);
    },
  );
  perPeer('gauge', 'bgp_peer_up', '1 when the session is Established', [], (n, set) =>
    set({}, n.state === 'Established' ? 1 : 0),
  );
  perPeer(
    'gauge',
    'bgp_peer_admin_enabled',
    '0 when administratively shut down (a stop over max-prefix is down, not shut down)',
    [],
    (n, set) => set({}, n.enabled || stoppedByMaxPrefix(n) ? 1 : 0),
  );
  perPeer(
    'gauge',
    'bgp_peer_info',
    'Always 1: labels of the neighbor to join on peer (remote_router_id, local_address, families: while Established)',
    ['peer_as', 'local_as', 'type', 'description', 'remote_router_id', 'local_address', 'families'],
    (n, set) =>
      set(
        {
          peer_as: String(n.peerAs),
          local_as: String(n.localAs),
          type: sessionType(n),
          description: n.description ?? '',
          remote_router_id: n.remoteRouterId ?? '',
          local_address: n.localAddress ?? '',
          families: (n.negotiated?.families ?? []).join(','),
        },
        1,
      ),
  );
  perPeer(
    'gauge',
    'bgp_peer_family_negotiated',
    'Per family our OPEN offers: 1 when the session negotiated it (RFC 4760 §8), 0 when down or the neighbor did not offer it',
    ['afi_safi'],
    (n, set) => {
      const negotiated = new Set(n.negotiated?.families ?? []);
      const open = service.localOpen(n.address);
      for (const f of offeredFamilies(open)) set({ afi_safi: f }, negotiated.has(f) ? 1 : 0);
    },
  );
  perPeer(
    'gauge',
    'bgp_peer_max_prefix_limit',
    'max-prefix: most paths accepted per family before Cease 6/1 (absent without the setting)',
    [],
    (n, set) => {
      const limit = service.settings(n.address)?.['max-prefix']?.limit;
      if (limit !== undefined) set({}, limit);
    },
  );
  perPeer('gauge', 'bgp_peer_remote_as', 'AS of the neighbor', [], (n, set) =>
    typeof n.peerAs === 'number' ? set({}, n.peerAs) : undefined,
  );
  perPeer('counter', 'bgp_peer_established_transitions_total', 'Transitions into Established', [], (n, set) =>
    set({}, n.counters.establishedTransitions),
  );
  for (const [dir, key] of [
    ['sent', 'messagesOut'],
    ['received', 'messagesIn'],
  ] as const) {
    perPeer(
      'counter',
      `bgp_peer_messages_${dir}_total`,
      `BGP messages ${dir}, by type`,
      ['type'],
      (n, set) => {
        for (const [type, v] of Object.entries(n.counters[key])) set({ type }, v);
      },
    );
  }
  for (const [dir, key] of [
    ['sent', 'notificationsOut'],
    ['received', 'notificationsIn'],
  ] as const) {
    perPeer(
      'counter',
      `bgp_peer_notifications_${dir}_total`,
      `NOTIFICATIONs ${dir}, by code and subcode (RFC 4271 §4.5)`,
      ['code', 'subcode', 'code_name', 'subcode_name'],
      (n, set) => {
        for (const [k, v] of Object.entries(n.counters[key])) {
          const [code, subcode] = k.split('/');
          const names = errorName(Number(code), Number(subcode));
          set({ code, subcode, code_name: names.code, subcode_name: names.subcode }, v);
        }
      },
    );
  }
  const prefixes = (suffix: string, help: string, pick: (count: PrefixCount) => number) =>
    perPeer('gauge', `bgp_peer_prefixes_${suffix}`, help, ['afi_safi'], (n, set) => {
      const counts: Partial<Record<string, PrefixCount>> = n.prefixesByFamily;
      for (const f of sessionFamilies(n)) {
        const c = counts[f];
        if (c) set({ afi_safi: f }, pick(c));
      }
    });
  prefixes(
    'received',
    'Paths received from the neighbor (before import policy with soft-reconfiguration-inbound, else after)',
    (c) => c.received,
  );
  prefixes('accepted', 'Paths from the neighbor accepted by import policy (in the RIB)', (c) => c.accepted);
  prefixes('advertised', 'Prefixes advertised to the neighbor (Adj-RIB-Out)', (c) => c.advertised);
  perPeer(
    'gauge',
    'bgp_peer_uptime_seconds',
    'Seconds since the session became Established (0 when down)',
    [],
    (n, set) => set({}, n.state === 'Established' ? (n.upDownSeconds ?? 0) : 0),
  );
  perPeer(
    'gauge',
    'bgp_peer_last_transition_timestamp_seconds',
    'Unix time of the last change into or out of Established',
    [],
    (n, set) => {
      if (n.counters.lastTransitionAt !== null) set({}, n.counters.lastTransitionAt / 1000);
    },
  );
  perPeer('gauge', 'bgp_peer_in_queue', 'Octets received and not yet decoded', [], (n, set) =>
    set({}, n.inQueue),
  );
  perPeer('gauge', 'bgp_peer_out_queue', 'UPDATEs queued for sending', [], (n, set) => set({}, n.outQueue));
  perPeer(
    'gauge',
    'bgp_peer_graceful_restart_stale_until_timestamp_seconds',
    'RFC 4724 helper: stale routes of the family are kept until this Unix time',
    ['afi_safi'],
    (n, set) => {
      for (const f of n.gracefulRestart?.families ?? [])
        set({ afi_safi: f }, n.gracefulRestart!.until / 1000);
    },
  );
  perPeer(
    'gauge',
    'bgp_peer_end_of_rib_received_timestamp_seconds',
    'Unix time End-of-RIB (RFC 4724 §2) was received in the current session',
    ['afi_safi'],
    (n, set) => {
      if (n.state !== 'Established') return; // (the detail view is per neighbor: skip it when empty)
      for (const [f, at] of Object.entries(service.neighbor(n.address)?.endOfRib.received ?? {}))
        set({ afi_safi: f }, at / 1000);
    },
  );
  const perFamily = (name: string, help: string, pick: (f: RibSummary['families'][number]) => number) =>
    series('gauge', name, help, ['afi_safi'], (set) => {
      for (const f of current.rib.families) set({ afi_safi: f.family }, pick(f));
    });
  perFamily('bgp_rib_destinations', 'Prefixes in the Loc-RIB', (f) => f.prefixes);
  perFamily('bgp_rib_paths', 'Paths in the Loc-RIB (every neighbor)', (f) => f.paths);
  perFamily('bgp_rib_best_paths', 'Prefixes with a best path', (f) => f.best);
  series('gauge', 'bgp_rib_attribute_sets', 'Interned attribute sets', ['rib'], (set) => {
    set({ rib: 'loc' }, current.rib.attributeSets);
    set({ rib: 'out' }, current.rib.exportedAttributeSets);
  });
  series('gauge', 'bgp_update_groups', 'Update groups (peers sharing one Adj-RIB-Out)', [], (set) => {
    set({}, current.rib.updateGroups.length);
  });
  series(
    'counter',
    'bgp_updates_shared_total',
    'UPDATEs sent to a peer as packed for its update group, not packed again',
    [],
    (set) => {
      set({}, current.rib.sharedUpdates);
    },
  );
  series(
    'gauge',
    'bgp_fib_routes',
    "Kernel FIB routes by state as `show fib` lists them: installed, waiting, refused (by the kernel), leftover (an earlier run's); absent with fib: false",
    ['state'],
    (set) => {
      const counts = service.fibRouteStates();
      if (!counts) return;
      for (const [state, v] of Object.entries(counts)) set({ state }, v);
    },
  );
  series(
    'counter',
    'bgp_fib_operations_total',
    'Kernel route changes sent, by operation and result (absent with fib: false)',
    ['op', 'result'],
    (set) => {
      const ops = service.fib().state?.operations;
      if (!ops) return;
      for (const [op, n] of Object.entries(ops)) {
        set({ op, result: 'ok' }, n.ok);
        set({ op, result: 'refused' }, n.refused);
      }
    },
  );
  series(
    'counter',
    'bgp_unknown_connections_total',
    'Connections closed before OPEN: source neither a neighbor nor in a listen range, or the range full (RFC 4271 §8.2.1.1)',
    [],
    (set) => set({}, service.unknownConnections()),
  );
  // The event journal (issue 15): only series of bounded cardinality (per neighbor, per kind).
  const journal = service.journal;
  if (journal) {
    const stat = (name: string, kind: 'gauge' | 'counter', help: string, value: () => number) =>
      series(kind, name, help, [], (set) => set({}, value()));
    stat(
      'rackbgp_journal_events_total',
      'counter',
      'Events recorded in the journal since start',
      () => journal.journal.stats().recorded,
    );
    stat(
      'rackbgp_journal_dropped_total',
      'counter',
      'Journal events overwritten by newer ones (journal.size reached)',
      () => journal.journal.stats().dropped,
    );
    stat(
      'rackbgp_journal_events',
      'gauge',
      'Events held in the journal (at most journal.size)',
      () => journal.journal.stats().length,
    );
    stat(
      'rackbgp_journal_prefix_records',
      'gauge',
      'Prefixes with a history record (changed after their first announcement)',
      () => journal.history.totals().records,
    );
    stat(
      'bgp_prefix_flaps_total',
      'counter',
      'Times a prefix lost its best path, summed over all prefixes',
      () => journal.history.totals().flaps,
    );
    series(
      'counter',
      'bgp_prefix_outage_seconds_total',
      'Ended outages summed over all prefixes: no-best (no best path), no-fib (no kernel route)',
      ['kind'],
      (set) => {
        for (const [kind, v] of Object.entries(journal.history.totals().outageSeconds)) set({ kind }, v);
      },
    );
    perPeer(
      'counter',
      'bgp_peer_down_seconds_total',
      'Seconds the session was not Established since it first came up',
      [],
      (n, set) => {
        const t = journal.sessionTotals().get(n.address);
        if (t) set({}, t.downSeconds);
      },
    );
    perPeer(
      'counter',
      'bgp_peer_session_losses_total',
      'Established sessions lost, by cause (hold-timer, tcp-reset, admin, notification-sent, notification-received, error)',
      ['cause'],
      (n, set) => {
        const t = journal.sessionTotals().get(n.address);
        for (const [cause, v] of Object.entries(t?.downs ?? {})) set({ cause }, v);
      },
    );
  }
  grMetrics(service, series);
  bfdMetrics(service, series);
  monitoringMetrics(service, series);
  // Observed as it happens (not on scrape): the time of each decision + export run.
  const processing = new Histogram({
    name: 'bgp_update_processing_seconds',
    help: 'Duration of each run of the decision process and export (UPDATEs received this loop turn)',
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  service.onFlush((seconds) => processing.observe(seconds));

  return {
    registry,
    scrape: () => {
      current = { neighbors: service.neighbors(), rib: service.ribSummary() };
      return registry.metrics();
    },
  };
}
