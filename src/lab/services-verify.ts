/**
 * `lab verify` for Services, pure: what each leaf's FIB must hold for every service route (the
 * ECMP next-hop set: endpoint nodes with keep-original-next-hop, the rack's reflectors without it;
 * via the spine when the rack has no endpoint; absent when a BGPFilter rejects it or no rack has
 * an endpoint), the communities prefix-advertisements attach, and clients in another rack
 * reaching every service IP. The observation side is services-observe.ts.
 */
import { labDatastore } from './calico-lab.js';
import type { Observations } from './observe.js';
import type { LabPlan } from './plan.js';
import { isReflector, type Lab, type Rack } from './schema.js';
import { expectedServiceRoutes, rackRejects } from './services.js';

export interface ServicePing {
  readonly from: string;
  readonly rack: string;
  readonly service: string;
  readonly ip: string;
  readonly ok: boolean;
}

export interface ServiceObservations {
  readonly pings: readonly ServicePing[];
}

export interface ServiceCheck {
  readonly id: 'service-routes' | 'service-communities' | 'service-reach';
  readonly title: string;
  readonly total: number;
  readonly failures: string[];
  readonly notes: string[];
}

interface RibPath {
  readonly peer: string;
  readonly best: boolean;
  readonly attributes?: { communities?: string[]; largeCommunities?: string[] };
}

const established = (obs: Observations, leaf: string, ip: string) =>
  obs.switches.find((s) => s.device === leaf)?.neighbors?.find((n) => n.address === ip)?.state ===
  'Established';

/** The leaf FIB's next hops for every service route, against services.ts expectedServiceRoutes. */
export function checkServiceRoutes(p: LabPlan, obs: Observations): ServiceCheck {
  const lab = p.lab;
  const live = (rack: Rack) => rack.nodes.filter((n) => isReflector(n) && established(obs, rack.leaf, n.ip));
  const failures: string[] = [];
  const notes: string[] = [];
  const expected = expectedServiceRoutes(lab, labDatastore(lab).res, live);
  const named = (ips: readonly string[]) => ips.map((ip) => `${p.owners.get(ip) ?? '?'} ${ip}`).join(' + ');
  for (const e of expected) {
    const leaf = lab.leaves.find((l) => l.name === e.leaf)!;
    const k = obs.switches.find((s) => s.device === e.leaf)?.kernel.find((r) => r.dst === e.prefix);
    const what = `${e.leaf}: ${e.prefix}${e.service ? ` (${e.service})` : ''}`;
    const got = k?.gateways ?? [];
    if (e.kind === 'absent') {
      if (k) failures.push(`${what} is in the FIB via ${named(got) || k.dev}, want it absent: ${e.why}`);
      else notes.push(`${what} absent: ${e.why}`);
      continue;
    }
    const want = e.kind === 'spine' ? leaf.uplinks.map((u) => u.spineIp) : e.nextHops;
    const sameSet = got.length === want.length && want.every((g) => got.includes(g));
    if (!k) failures.push(`${what}: no route, want via ${named(want)} (${e.why})`);
    else if (!sameSet) {
      const reflectorIps = lab.racks
        .find((r) => r.leaf === e.leaf)!
        .nodes.filter(isReflector)
        .map((n) => n.ip);
      const selfOnly =
        e.kind === 'rack' &&
        got.every((g) => reflectorIps.includes(g)) &&
        !want.every((g) => reflectorIps.includes(g));
      failures.push(
        `${what} goes via ${named(got) || k.dev}, want ${named(want)}: ${e.why}${
          selfOnly
            ? '; the leaf sees the reflectors as next hop, as without keep-original-next-hop (Calico issue 6451)'
            : ''
        }`,
      );
    } else notes.push(`${what} via ${named(got)}: ${e.kind === 'spine' ? `the spine (${e.why})` : e.why}`);
  }
  return {
    id: 'service-routes',
    title: 'service routes at the leaves: next hops as Calico announces them',
    total: expected.length,
    failures,
    notes,
  };
}

/** Communities of prefix-advertisements on the best path of every covered service route at each leaf. */
export function checkServiceCommunities(p: LabPlan, obs: Observations): ServiceCheck {
  const lab = p.lab;
  const failures: string[] = [];
  const notes: string[] = [];
  let total = 0;
  const wanted = (prefix: string) => communitiesFor(lab, prefix);
  for (const leaf of lab.leaves) {
    const sw = obs.switches.find((s) => s.device === leaf.name);
    for (const route of sw?.rib ?? []) {
      const want = wanted(route.prefix);
      if (!want.length) continue;
      total++;
      const best = (route.paths as readonly RibPath[]).find((x) => x.best);
      const a = best?.attributes;
      const have = [...(a?.communities ?? []), ...(a?.largeCommunities ?? [])];
      const missing = want.filter((c) => !have.includes(c));
      if (missing.length)
        failures.push(
          `${leaf.name}: ${route.prefix} from ${best?.peer ?? '?'} lacks ${missing.join(', ')} (has ${have.join(', ') || 'none'})`,
        );
      else notes.push(`${leaf.name}: ${route.prefix} carries ${want.join(', ')}`);
    }
  }
  return {
    id: 'service-communities',
    title: 'prefix-advertisements communities present at the leaves',
    total,
    failures,
    notes,
  };
}

/** Why a Local service's packets die: the client's leaf forwards them to nodes without an endpoint. */
function whereDropped(p: LabPlan, obs: Observations, x: ServicePing): string {
  const s = p.lab.services.find((v) => v.name === x.service)!;
  const rack = p.lab.racks.find((r) => r.name === x.rack)!;
  const k = obs.switches.find((w) => w.device === rack.leaf)?.kernel.find((r) => r.dst === `${x.ip}/32`);
  const idle = (k?.gateways ?? [])
    .map((g) => p.lab.racks.flatMap((r) => r.nodes).find((n) => n.ip === g))
    .filter((n) => n !== undefined && !s.endpoints.includes(n.name));
  if (s.externalTrafficPolicy !== 'Local' || idle.length === 0) return '';
  return `: ${rack.leaf} forwards it to ${idle.map((n) => n!.name).join(', ')}, which run no endpoint, and kube-proxy drops Local traffic there (the reflectors' next hop self without keep-original-next-hop, Calico issue 6451)`;
}

/** calico.prefix-advertisements entries covering a prefix, names resolved (client.go). */
export function communitiesFor(lab: Lab, prefix: string): string[] {
  const [ip, len] = prefix.split('/');
  if (ip.includes(':')) return [];
  const num = (s: string) => s.split('.').reduce((t, x) => t * 256 + Number(x), 0);
  const inside = (cidr: string) => {
    const [net, l] = cidr.split('/');
    if (net.includes(':') || Number(len) < Number(l)) return false;
    const shift = 2 ** (32 - Number(l));
    return Math.floor(num(ip) / shift) === Math.floor(num(net) / shift);
  };
  const out = new Set<string>();
  for (const a of lab.calico.prefixAdvertisements)
    if (inside(a.cidr))
      for (const c of a.communities) {
        const v = /^\d+:\d+(:\d+)?$/.test(c) ? c : lab.calico.communities.find((x) => x.name === c)?.value;
        if (v) out.add(v);
      }
  return [...out].sort();
}

/**
 * Which services a client behind another rack's leaf must reach: those with an endpoint, unless
 * Local and every rack with an endpoint filters its /32 (the leaves then know only the range,
 * which leads to nodes that drop it, as kube-proxy does without a local endpoint).
 */
export function expectReachable(lab: Lab, service: string): { ok: boolean; why: string } {
  const s = lab.services.find((x) => x.name === service)!;
  if (!s.endpoints.length) return { ok: false, why: 'no endpoints' };
  if (s.externalTrafficPolicy === 'Cluster') return { ok: true, why: 'Cluster: any node forwards' };
  const racks = lab.racks.filter((r) => r.nodes.some((n) => s.endpoints.includes(n.name)));
  const open = racks.filter((r) => !rackRejects(lab, r, `${s.ip}/32`));
  return open.length
    ? { ok: true, why: `its /32 from ${open.map((r) => r.name).join(', ')}` }
    : { ok: false, why: `BGPFilter rejects its /32 toward every leaf: only the range is announced` };
}

export function checkServiceReach(p: LabPlan, obs: Observations, svc: ServiceObservations): ServiceCheck {
  const failures: string[] = [];
  const notes: string[] = [];
  for (const x of svc.pings) {
    const want = expectReachable(p.lab, x.service);
    const line = `${x.from} (${x.rack}) → ${x.service} ${x.ip}`;
    if (x.ok === want.ok) notes.push(`${line}: ${x.ok ? 'replied' : 'no reply, as expected'} (${want.why})`);
    else
      failures.push(
        `${line}: ${x.ok ? 'replied, want no reply' : `no reply${whereDropped(p, obs, x)}`} (${want.why})`,
      );
  }
  return {
    id: 'service-reach',
    title: 'clients in other racks reach every service IP',
    total: svc.pings.length,
    failures,
    notes,
  };
}
