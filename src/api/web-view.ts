/**
 * The live view of one daemon (served at `/` of its API port): this switch and one device per
 * neighbor, each session's state from the neighbor list (polled while a page watches) and the
 * journal, route counts, and a panel and lookup over its own RIB and FIB. Service queries only.
 */
import { ecmpSet, routesSection, summarySection } from '../web/panels.js';
import type { ForwardingEntry } from '../web/path-walk.js';
import { walk } from '../web/path-walk.js';
import { ChangeHub, type DevicePanel, LookupError, type ViewSource } from '../web/serve.js';
import { type Change, type Topology, ViewModel } from '../web/view-model.js';
import type { BgpService } from './service.js';

const POLL_MS = 500;

export class DaemonView implements ViewSource {
  private readonly hub = new ChangeHub();
  private model: ViewModel;
  private cursor = 0;
  private timer?: NodeJS.Timeout;
  private unjournal?: () => void;

  constructor(private readonly service: BgpService) {
    this.model = new ViewModel(this.buildTopology());
    this.cursor = this.service.journal?.journal.oldest ?? 0;
    this.refresh();
  }

  private get self(): string {
    return this.service.status().routerId;
  }

  private buildTopology(): Topology {
    const st = this.service.status();
    const neighbors = this.service.neighbors();
    return {
      title: `rackbgp AS${st.asn} ${st.routerId}`,
      devices: [
        { name: st.routerId, role: 'switch', tier: 0, asn: st.asn, addresses: [] },
        ...neighbors.map((n) => ({
          name: n.address,
          role: 'peer' as const,
          tier: 1,
          asn: Number(n.peerAs) || undefined,
          addresses: [n.address],
          ...(n.description && { note: n.description }),
        })),
      ],
      sessions: neighbors.map((n, i) => ({
        id: `s${i}`,
        kind: Number(n.peerAs) === st.asn ? 'ibgp' : 'ebgp',
        family: n.address.includes(':') ? (6 as const) : (4 as const),
        ends: [
          {
            device: st.routerId,
            speaker: 'rackbgp' as const,
            local: n.localAddress ?? '',
            remote: n.address,
          },
          { device: n.address, speaker: 'peer' as const, local: n.address, remote: n.localAddress ?? '' },
        ] as const,
      })),
      links: [],
    };
  }

  topology(): Topology {
    return this.model.topology;
  }

  snapshot() {
    return this.model.snapshot();
  }

  /** Neighbors and counts now, plus the journal since the last look; a changed neighbor set rebuilds. */
  private refresh(): Change[] {
    const neighbors = this.service.neighbors();
    const known = this.model.topology.sessions.map((s) => s.ends[0].remote).join(',');
    const out: Change[] = [];
    if (neighbors.map((n) => n.address).join(',') !== known) {
      this.model = new ViewModel(this.buildTopology());
      out.push({ type: 'reset' });
    }
    const t = Date.now();
    out.push(
      ...this.model.neighbors(
        this.self,
        t,
        neighbors.map((n) => [n.address, n.state] as const),
      ),
    );
    const j = this.service.journal;
    if (j) {
      for (const e of j.journal.query({ since: this.cursor, limit: 10_000 })) {
        if (!e.type.startsWith('route-') && !e.type.startsWith('fib-') && e.type !== 'best-change')
          out.push(...this.model.journal(this.self, e));
        this.cursor = e.seq + 1;
      }
    }
    const summary = this.service.ribSummary();
    out.push(
      ...this.model.count(
        this.self,
        summary.families.reduce((a, f) => a + f.prefixes, 0),
      ),
    );
    for (const n of neighbors) out.push(...this.model.count(n.address, n.prefixesReceived));
    return out;
  }

  subscribe(listener: (changes: readonly Change[]) => void): () => void {
    if (!this.hub.size) {
      this.timer = setInterval(() => this.hub.emit(this.refresh()), POLL_MS);
      this.timer.unref();
      this.unjournal = this.service.journal?.journal.subscribe(() => this.hub.emit(this.refresh()));
    }
    return this.hub.add(listener, () => {
      clearInterval(this.timer);
      this.unjournal?.();
    });
  }

  /** A neighbor's address is its device on this page. */
  private readonly peerDevice = (address: string) =>
    this.service.neighbors().some((n) => n.address === address) ? address : undefined;

  async device(name: string): Promise<DevicePanel | undefined> {
    if (name === this.self) {
      const fib = this.service.fibRoutes();
      return {
        device: name,
        sections: [
          summarySection(this.service.neighbors(), this.peerDevice),
          routesSection('routes', this.service.routes(), this.peerDevice),
          fib
            ? {
                title: 'FIB',
                columns: ['prefix', 'next hops', 'state'],
                rows: fib.map((r) => ({
                  cells: [r.prefix, r.nextHops.map((h) => h.via).join(' + '), r.state],
                  ecmp: r.nextHops.flatMap((h) => this.peerDevice(h.via) ?? []),
                })),
              }
            : { title: 'FIB', text: 'no FIB in this daemon (fib: false)' },
        ],
      };
    }
    const n = this.service.neighbor(name);
    if (!n) return undefined;
    return {
      device: name,
      sections: [
        {
          title: 'neighbor',
          columns: ['', ''],
          rows: [
            ['state', n.state],
            ['AS', String(n.peerAs)],
            ['router id', n.remoteRouterId ?? ''],
            ['prefixes received', String(n.prefixesReceived)],
            ['prefixes sent', String(n.prefixesSent)],
            ['hold time', String(n.effective?.holdTime ?? n.configured.holdTime)],
          ].map((cells) => ({ cells })),
        },
        routesSection('routes from it', this.service.routes({ neighbor: name }), this.peerDevice),
      ],
    };
  }

  /** One hop: this switch's FIB (or best paths without a FIB) and the neighbor each next hop is. */
  async lookup(query: string): Promise<ReturnType<typeof walk>> {
    const fib = this.service.fibRoutes();
    const entries: ForwardingEntry[] = fib
      ? fib.map((r) => ({ prefix: r.prefix, gateways: r.nextHops.map((h) => h.via) }))
      : this.service.routes({ bestOnly: false }).flatMap((r) => {
          const set = ecmpSet(r.paths);
          return set.length ? [{ prefix: r.prefix, gateways: set.map((p) => p.nextHop ?? p.peer) }] : [];
        });
    const owners = new Map<string, string>();
    for (const n of this.service.neighbors()) owners.set(n.address, n.address);
    try {
      return walk({ tables: new Map([[this.self, entries]]), owners }, this.self, query);
    } catch (e) {
      throw new LookupError((e as Error).message);
    }
  }
}
