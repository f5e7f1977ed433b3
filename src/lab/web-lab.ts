/**
 * The live view of a running lab (`rackbgp lab web`): the plan's devices and sessions, fed by one
 * agent per switch (rackbgp's neighbors and journal, scenario-watch.ts) and BIRD's control socket
 * on every node (`show protocols` twice a second, `show route count`), plus each device's panel and
 * the hop-by-hop lookup over the namespaces' kernel FIBs (`ip -j route`), and the outages scenario
 * runs measured (web-scenarios.ts). Reads only.
 */
import { type RibRoute, routesSection, type SummaryNeighbor, summarySection } from '../web/panels.js';
import { type ForwardingEntry, queryAddress, type Walk, walk } from '../web/path-walk.js';
import {
  ChangeHub,
  type DevicePanel,
  LookupError,
  type PanelSection,
  type ViewSource,
} from '../web/serve.js';
import { type Change, type DeviceView, type Topology, ViewModel } from '../web/view-model.js';
import { run } from './netns.js';
import {
  type KernelRoute,
  linkLocalOwners,
  parseBirdProtocols,
  parseBirdRoutes,
  parseKernelRoutes,
} from './observe.js';
import { API_PORT } from './peerings.js';
import { CALI_GATEWAY, CALI_LINK_LOCAL, type LabPlan } from './plan.js';
import { BirdControl, SwitchWatcher } from './scenario-watch.js';
import { labNodes } from './schema.js';
import { newScenarioReports, scenarioItems } from './web-scenarios.js';

const BIRD_POLL_MS = 400;
const COUNT_EVERY = 5;
const ROUTE_EVENT = /^(route-|fib-|best-change)/;

/** The plan as the page draws it: spines, leaves, nodes by rack, pods by node; sessions s0, s1, …. */
export function labTopology(p: LabPlan): Topology {
  const devices: DeviceView[] = [
    ...p.lab.spines.map((s) => ({
      name: s.name,
      role: 'spine' as const,
      tier: 0,
      asn: s.asn,
      addresses: [s.routerId],
    })),
    ...p.lab.leaves.map((l) => ({
      name: l.name,
      role: 'leaf' as const,
      tier: 1,
      asn: l.asn,
      addresses: ownedBy(p, l.name),
    })),
    ...labNodes(p.lab).map((n) => ({
      name: n.name,
      role: 'node' as const,
      tier: 2,
      group: n.rack,
      asn: p.lab.racks.find((r) => r.name === n.rack)?.asn,
      addresses: ownedBy(p, n.name),
      note: `block ${n.block}`,
    })),
    ...p.pods.map((x) => ({
      name: x.device,
      role: 'pod' as const,
      tier: 3,
      group: x.node,
      addresses: ownedBy(p, x.device),
    })),
  ];
  const sessions = p.sessions.map((s, i) => ({
    id: `s${i}`,
    kind: s.kind,
    family: s.family,
    ends: s.ends.map((e) => ({
      device: e.device,
      speaker: e.speaker,
      local: e.local,
      remote: e.remote,
      ...(e.protocol && { protocol: e.protocol }),
    })) as unknown as Topology['sessions'][number]['ends'],
  }));
  return {
    title: `lab ${p.lab.name}`,
    devices,
    sessions,
    links: p.pods.map((x) => ({ a: x.node, b: x.device })),
  };
}

const ownedBy = (p: LabPlan, device: string) => [...p.owners].filter(([, d]) => d === device).map(([a]) => a);

/** `show route count` (BIRD 1.6): "9 of 9 routes for 9 networks" → 9 networks. */
export function parseBirdRouteCount(text: string): number | undefined {
  const m = /for (\d+) networks/.exec(text);
  return m ? Number(m[1]) : undefined;
}

interface Bird {
  readonly device: string;
  readonly speaker: 'bird' | 'bird6';
  readonly control: BirdControl;
  /** BIRD's socket takes one command at a time: the poller and panels queue here. */
  queue: Promise<unknown>;
}

export class LabView implements ViewSource {
  private readonly hub = new ChangeHub();
  private readonly model: ViewModel;
  private readonly watchers = new Map<string, SwitchWatcher>();
  private readonly birds: Bird[] = [];
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly scenarios = new Set<string>();

  constructor(private readonly p: LabPlan) {
    this.model = new ViewModel(labTopology(p));
  }

  /** Starts the agents and pollers. */
  start(): void {
    const emit = (c: Change[]) => this.hub.emit(c);
    // Scenario runs (`lab scenario` leaves its report in the work directory): steps and outages.
    this.every(2000, async () => {
      for (const r of newScenarioReports(this.p.workDir, this.scenarios))
        emit(scenarioItems(r).flatMap((item) => this.model.note(item)));
    });
    for (const proc of this.p.processes) {
      if (proc.name === 'rackbgp') {
        const device = proc.device;
        const w = new SwitchWatcher(device, proc.ns, API_PORT, {
          neighbors: (t, list) => emit(this.model.neighbors(device, t, list)),
          events: (events) =>
            emit(
              events.filter((e) => !ROUTE_EVENT.test(e.type)).flatMap((e) => this.model.journal(device, e)),
            ),
        });
        this.watchers.set(device, w);
        this.every(2000, async () => {
          const r = await w.request('GET', '/api/rib/summary');
          if (r.status !== 200) return;
          const s = JSON.parse(r.body) as { families: { prefixes: number }[] };
          emit(
            this.model.count(
              device,
              s.families.reduce((a, f) => a + f.prefixes, 0),
            ),
          );
        });
      } else if ('socket' in proc.ready) {
        const control = new BirdControl(proc.ready.socket);
        const bird: Bird = {
          device: proc.device,
          speaker: proc.name as 'bird' | 'bird6',
          control,
          queue: Promise.resolve(),
        };
        this.birds.push(bird);
        void this.pollBird(bird);
      }
    }
  }

  /** One BIRD, one command at a time: protocols each round, the route count every few. */
  private async pollBird(b: Bird): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      const text = await this.birdCommand(b, 'show protocols');
      const protocols = text === undefined ? undefined : parseBirdProtocols(text);
      this.hub.emit(this.model.birdProtocols(b.device, b.speaker, Date.now(), protocols));
      if (protocols && i % COUNT_EVERY === 0) {
        const n = parseBirdRouteCount((await this.birdCommand(b, 'show route count')) ?? '');
        if (n !== undefined) this.hub.emit(this.model.count(b.device, n));
      }
      await this.sleep(BIRD_POLL_MS);
    }
  }

  private birdCommand(b: Bird, cmd: string): Promise<string | undefined> {
    const next = b.queue.then(() => b.control.command(cmd));
    b.queue = next.catch(() => undefined);
    return next;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private every(ms: number, f: () => Promise<void>): void {
    void (async () => {
      while (!this.stopped) {
        await f().catch(() => undefined);
        await this.sleep(ms);
      }
    })();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    for (const w of this.watchers.values()) w.stop();
    for (const b of this.birds) b.control.close();
  }

  topology(): Topology {
    return this.model.topology;
  }

  snapshot() {
    return this.model.snapshot();
  }

  subscribe(listener: (changes: readonly Change[]) => void): () => void {
    return this.hub.add(listener);
  }

  private ns(device: string): string | undefined {
    return this.p.namespaces.find((n) => n.device === device)?.ns;
  }

  private async kernel(device: string): Promise<KernelRoute[]> {
    const ns = this.ns(device);
    if (!ns) return [];
    const families: (4 | 6)[] = this.p.lab.calico.pool6 ? [4, 6] : [4];
    const all = await Promise.all(
      families.map(async (f) => {
        const r = await run('ip', ['-n', ns, '-j', `-${f}`, 'route', 'show']);
        return r.code === 0 ? parseKernelRoutes(r.stdout, f) : [];
      }),
    );
    return all.flat();
  }

  private owner = (a: string) => this.p.owners.get(a);

  private fibSection(routes: readonly KernelRoute[]): PanelSection {
    return {
      title: 'FIB (kernel)',
      columns: ['prefix', 'next hops', 'dev', 'proto'],
      rows: routes.map((r) => ({
        cells: [
          `${r.type && r.type !== 'unicast' ? `${r.type} ` : ''}${r.dst}`,
          r.gateways.join(' + '),
          r.dev ?? '',
          r.protocol ?? '',
        ],
        ecmp: r.gateways.flatMap((g) => this.owner(g) ?? []),
      })),
    };
  }

  async device(name: string): Promise<DevicePanel | undefined> {
    const w = this.watchers.get(name);
    if (w)
      return {
        device: name,
        sections: [...(await this.switchSections(w)), this.fibSection(await this.kernel(name))],
      };
    const birds = this.birds.filter((b) => b.device === name);
    if (birds.length) {
      const sections: PanelSection[] = [];
      for (const b of birds) {
        const protocols = await this.birdCommand(b, 'show protocols');
        const routes = await this.birdCommand(b, 'show route');
        sections.push({
          title: `${b.speaker}: show protocols`,
          text: protocols ?? `${b.speaker} does not answer`,
        });
        sections.push({
          title: `${b.speaker}: routes`,
          columns: ['prefix', 'via (* primary)', 'protocol'],
          rows: parseBirdRoutes(routes ?? '').map((r) => ({
            cells: [
              r.prefix,
              r.entries.map((e) => `${e.via ?? 'direct'}${e.primary ? '*' : ''}`).join(' + '),
              [...new Set(r.entries.map((e) => e.protocol))].join(' '),
            ],
            ecmp: r.entries.flatMap((e) => (e.via ? (this.owner(e.via) ?? []) : [])),
          })),
        });
      }
      return { device: name, sections: [...sections, this.fibSection(await this.kernel(name))] };
    }
    const pod = this.p.pods.find((x) => x.device === name);
    if (!pod) return undefined;
    return {
      device: name,
      sections: [
        {
          title: 'pod',
          text: `on ${pod.node} (${pod.rack}), ${[pod.ip, pod.ip6].filter(Boolean).join(', ')}`,
        },
        this.fibSection(await this.kernel(name)),
      ],
    };
  }

  private async switchSections(w: SwitchWatcher): Promise<PanelSection[]> {
    const get = async <T>(path: string): Promise<T | undefined> => {
      const r = await w.request('GET', path);
      return r.status === 200 ? (JSON.parse(r.body) as T) : undefined;
    };
    const [neighbors, routes] = await Promise.all([
      get<SummaryNeighbor[]>('/api/neighbors'),
      get<RibRoute[]>('/api/routes'),
    ]);
    if (!neighbors) return [{ title: 'show summary', text: `rackbgp's API on ${w.device} does not answer` }];
    return [
      summarySection(neighbors, this.owner),
      routesSection('routes (Loc-RIB)', routes ?? [], this.owner),
    ];
  }

  /** Every namespace's kernel FIB, then the walk; pods reach their node through Calico's gateway. */
  async lookup(query: string, from?: string): Promise<Walk> {
    if (!queryAddress(query)) throw new LookupError(`${query} is neither an address nor a prefix`);
    const start = from || this.p.lab.spines[0].name;
    if (!this.ns(start)) throw new LookupError(`no device ${start} in lab ${this.p.lab.name}`);
    const devices = this.p.namespaces.map((n) => n.device);
    const tables = new Map<string, ForwardingEntry[]>(
      await Promise.all(
        devices.map(
          async (d) =>
            [d, (await this.kernel(d)).map((r) => ({ ...r, prefix: r.dst }))] as [string, ForwardingEntry[]],
        ),
      ),
    );
    const podNode = new Map(this.p.pods.map((x) => [x.device, x.node]));
    // IPv6 next hops are often link-local (RFC 2545 §3): the lab did not plan those addresses.
    const v6 = this.p.lab.calico.pool6 !== undefined || query.includes(':');
    const owners = v6 ? new Map([...this.p.owners, ...(await linkLocalOwners(this.p))]) : this.p.owners;
    return walk(
      {
        tables,
        owners,
        gatewayOwner: (device, gw) =>
          gw === CALI_GATEWAY || gw === CALI_LINK_LOCAL ? podNode.get(device) : undefined,
      },
      start,
      query,
    );
  }
}
