/**
 * The checks a Calico route-reflector lab must pass, as a pure function of the plan and what was
 * observed: every session Established at both ends; every node holds every other node's pod block
 * (BIRD table and kernel); each leaf's FIB has its own rack's blocks toward the owning node and the
 * other racks' toward the spines (each spine toward the owning leaf); pods ping across racks along
 * leaf → spine → leaf. Each failure is one readable line.
 */
import type { KernelRoute, Observations, SwitchObservation } from './observe.js';
import { interfaceRemote, type Session, type SessionEnd, uplinkPorts } from './peerings.js';
import type { LabPlan } from './plan.js';
import { type Lab, type LabNode, labNodes, type Uplink } from './schema.js';
import {
  checkServiceCommunities,
  checkServiceReach,
  checkServiceRoutes,
  type ServiceCheck,
  type ServiceObservations,
} from './services-verify.js';

export interface CheckResult {
  readonly id: 'sessions' | 'blocks' | 'fib' | 'pings' | ServiceCheck['id'];
  readonly title: string;
  readonly ok: boolean;
  readonly passed: number;
  readonly total: number;
  readonly failures: readonly string[];
  readonly notes: readonly string[];
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly lab: string;
  readonly checks: readonly CheckResult[];
}

const fam = (f: 4 | 6) => (f === 4 ? 'IPv4' : 'IPv6');

/** The state one end of a session reports, or why it cannot tell. */
export function endState(obs: Observations, end: SessionEnd, family: 4 | 6): string {
  if (end.speaker === 'rackbgp') {
    const sw = obs.switches.find((s) => s.device === end.device);
    if (!sw?.neighbors) return sw?.error ?? 'not observed';
    // An unnumbered end names its peer by interface (`%eth1`): the learned address has that zone.
    const match = (a: string) => (end.remote.startsWith('%') ? a.endsWith(end.remote) : a === end.remote);
    return sw.neighbors.find((n) => match(n.address))?.state ?? 'not configured';
  }
  const node = obs.nodes.find((n) => n.device === end.device && n.family === family);
  if (!node?.protocols) return node?.error ?? 'not observed';
  const p = node.protocols.find((x) => x.name === end.protocol);
  if (!p) return `no protocol ${end.protocol}`;
  return p.state === 'up' && p.info.startsWith('Established') ? 'Established' : p.info || p.state;
}

function checkSessions(p: LabPlan, obs: Observations): CheckResult {
  const failures: string[] = [];
  for (const s of p.sessions) {
    const [a, b] = s.ends.map((e) => endState(obs, e, s.family));
    if (a === 'Established' && b === 'Established') continue;
    failures.push(`${describeSession(s)}: ${s.ends[0].device} says ${a}, ${s.ends[1].device} says ${b}`);
  }
  return result('sessions', 'every BGP session Established at both ends', p.sessions.length, failures);
}

export const describeSession = (s: Session) =>
  `${s.ends[0].device} ${s.ends[0].local} ↔ ${s.ends[1].device} ${s.ends[1].local} (${s.kind}, ${
    s.ends[0].asn === s.ends[1].asn ? 'iBGP' : 'eBGP'
  } ${fam(s.family)})`;

const blockOf = (n: LabNode, f: 4 | 6) => (f === 4 ? n.block : n.block6!);
const kernelRoute = (kernel: readonly KernelRoute[], dst: string) => kernel.find((r) => r.dst === dst);

function checkBlocks(p: LabPlan, obs: Observations): CheckResult {
  const failures: string[] = [];
  let total = 0;
  const nodes = labNodes(p.lab);
  for (const o of obs.nodes) {
    for (const other of nodes) {
      if (other.name === o.device) continue;
      total++;
      const block = blockOf(other, o.family);
      const inBird = o.routes?.some((r) => r.prefix === block);
      const k = kernelRoute(o.kernel, block);
      const usable = k && (k.type ?? 'unicast') === 'unicast';
      if (inBird && usable) continue;
      failures.push(
        !inBird
          ? `${o.device} (${o.family === 4 ? 'bird' : 'bird6'}) has no route to ${block} (${other.name}'s block)`
          : `${o.device} has ${block} (${other.name}'s block) in BIRD but not in its kernel FIB`,
      );
    }
  }
  return result('blocks', "every node holds every other node's pod block (BIRD and kernel)", total, failures);
}

/** Does the switch's RIB hold the prefix? (Explains a FIB miss: learned, not installed.) */
const inRib = (sw: SwitchObservation | undefined, prefix: string) =>
  sw?.rib?.some((r) => r.prefix === prefix && r.paths.length > 0) ?? false;

/**
 * The next hop a switch's kernel uses toward the far end of an uplink: its address, or on an
 * unnumbered fabric the interface (`%eth1`: observe.ts writes a link-local IPv6 gateway of an
 * IPv4 route so, RFC 8950).
 */
function uplinkHop(
  lab: Lab,
  ports: ReturnType<typeof uplinkPorts>,
  u: Uplink,
  toward: 'spine' | 'leaf',
  f: 4 | 6,
): string {
  if (lab.fabric === 'unnumbered') {
    const { spineDev, leafDev } = ports.get(u)!;
    return interfaceRemote(toward === 'spine' ? leafDev : spineDev);
  }
  if (toward === 'spine') return f === 4 ? u.spineIp : u.spineIp6!;
  return f === 4 ? u.leafIp : u.leafIp6!;
}

function checkFib(p: LabPlan, obs: Observations): CheckResult {
  const failures: string[] = [];
  const notes: string[] = [];
  let total = 0;
  let learnedNotInstalled = 0;
  const families: (4 | 6)[] = p.lab.calico.pool6 ? [4, 6] : [4];
  const ports = uplinkPorts(p.lab);
  /** The route must exist, use only `allowed` next hops and all of `required` (the ECMP set). */
  const expect = (
    device: string,
    prefix: string,
    allowed: readonly string[],
    required: readonly string[],
    toward: string,
  ) => {
    total++;
    const sw = obs.switches.find((s) => s.device === device);
    const k = kernelRoute(sw?.kernel ?? [], prefix);
    if (!k || (k.type ?? 'unicast') !== 'unicast') {
      if (inRib(sw, prefix)) learnedNotInstalled++;
      failures.push(
        `${device}: no kernel route to ${prefix} (want via ${toward})${
          inRib(sw, prefix) ? '; rackbgp has it in its RIB but did not install it' : ''
        }`,
      );
      return;
    }
    const wrong = k.gateways.filter((g) => !allowed.includes(g));
    const missing = required.filter((g) => !k.gateways.includes(g));
    if (!k.gateways.length || wrong.length || missing.length)
      failures.push(`${device}: ${prefix} goes via ${k.gateways.join(', ') || k.dev}, want ${toward}`);
  };
  const up = (device: string, remote: string) =>
    p.sessions.some((x) =>
      x.ends.some(
        (e) => e.device === device && e.remote === remote && endState(obs, e, x.family) === 'Established',
      ),
    );
  const named = (ips: readonly string[]) =>
    ips.map((ip) => `${p.owners.get(ip) ?? 'link'} ${ip}`).join(' + ');
  for (const f of families) {
    const ip = (n: LabNode) => (f === 4 ? n.ip : n.ip6!);
    for (const leaf of p.lab.leaves) {
      const spineIps = leaf.uplinks.map((u) => uplinkHop(p.lab, ports, u, 'spine', f));
      const liveSpines = spineIps.filter((s) => up(leaf.name, s));
      for (const rack of p.lab.racks) {
        // calico-node's BIRD sessions are multihop: toward the leaf each reflector sets next hop
        // self, so the leaf reaches every block of its rack by ECMP over the reflectors it hears.
        const reflectors = rack.nodes.filter((n) => n.rrId !== undefined).map(ip);
        const live = reflectors.filter((r) => up(leaf.name, r));
        // keepOriginalNextHop on the reflectors → leaf BGPPeer: the leaf sees the owning node.
        const keep = rack.leafPeering.keepOriginalNextHop === true;
        for (const n of rack.nodes) {
          if (rack.leaf === leaf.name && keep)
            expect(leaf.name, blockOf(n, f), [ip(n)], [ip(n)], `${named([ip(n)])} (keep-original-next-hop)`);
          else if (rack.leaf === leaf.name)
            expect(
              leaf.name,
              blockOf(n, f),
              [...reflectors, ip(n)],
              live,
              `${named(live.length ? live : reflectors)} (ECMP over the reflectors)`,
            );
          else
            expect(
              leaf.name,
              blockOf(n, f),
              spineIps,
              liveSpines,
              named(liveSpines.length ? liveSpines : spineIps),
            );
        }
        if (rack.leaf === leaf.name && live.length > 1 && !keep)
          notes.push(`${leaf.name}: ${rack.name}'s blocks by ECMP over ${named(live)}`);
      }
    }
    for (const spine of p.lab.spines)
      for (const rack of p.lab.racks) {
        const leaf = p.lab.leaves.find((l) => l.name === rack.leaf)!;
        const u = leaf.uplinks.find((x) => x.spine === spine.name);
        if (!u) continue;
        const via = [uplinkHop(p.lab, ports, u, 'leaf', f)];
        for (const n of rack.nodes) expect(spine.name, blockOf(n, f), via, via, named(via));
      }
  }
  if (learnedNotInstalled > 0)
    notes.unshift(
      `${learnedNotInstalled} of the missing routes are in rackbgp's RIB but not in the kernel: ` +
        'route installation (fib: true) is not working in this build',
    );
  return result(
    'fib',
    "leaf and spine FIBs: own rack's blocks via the nodes, others' via the spine",
    total,
    failures,
    notes,
  );
}

function checkPings(p: LabPlan, obs: Observations): CheckResult {
  const failures: string[] = [];
  const notes: string[] = [];
  for (const x of obs.pings) {
    const pathText = x.path.join(' → ') + (x.pathEnd ? ` ✗ ${x.pathEnd}` : '');
    const problem = !x.pathEnd && pathProblem(p, x.from, x.to, x.path);
    if (!x.ok) failures.push(`${x.from} → ${x.to} (${x.dst}): no reply; FIB path ${pathText}`);
    else if (x.pathEnd || problem)
      failures.push(
        `${x.from} → ${x.to}: replied, but the FIB path is ${pathText}${problem ? ` (${problem})` : ''}`,
      );
    else notes.push(`${x.from} → ${x.to} ${x.dst}: ${x.rttMs ?? '?'} ms via ${x.path.join(' → ')}`);
  }
  return result(
    'pings',
    'pods ping each other across racks, through leaf → spine → leaf',
    obs.pings.length,
    failures,
    notes,
  );
}

/**
 * What is wrong with a path, if anything. Wanted: pod → its node → its leaf → a spine → the other
 * leaf → [one node of that rack: the leaf's ECMP may pick a reflector, which forwards] → node → pod.
 */
export function pathProblem(
  p: LabPlan,
  from: string,
  to: string,
  path: readonly string[],
): string | undefined {
  const a = p.pods.find((x) => x.device === from)!;
  const b = p.pods.find((x) => x.device === to)!;
  const leafOf = (rack: string) => p.lab.racks.find((r) => r.name === rack)!.leaf;
  const head = [a.device, a.node, leafOf(a.rack)];
  const tail = [b.node, b.device];
  if (path.slice(0, 3).join(' ') !== head.join(' ')) return `want it to start ${head.join(' → ')}`;
  if (path.slice(-2).join(' ') !== tail.join(' ')) return `want it to end ${tail.join(' → ')}`;
  const spine = path[3];
  if (!p.lab.spines.some((s) => s.name === spine)) return `want a spine after ${head[2]}`;
  if (path[4] !== leafOf(b.rack)) return `want ${leafOf(b.rack)} after ${spine}`;
  const middle = path.slice(5, -2);
  const rack = p.lab.racks.find((r) => r.name === b.rack)!;
  if (middle.length > 1 || (middle.length === 1 && !rack.nodes.some((n) => n.name === middle[0])))
    return `want ${leafOf(b.rack)} → ${b.node}, or through one node of ${rack.name}`;
  return undefined;
}

function result(
  id: CheckResult['id'],
  title: string,
  total: number,
  failures: string[],
  notes: string[] = [],
): CheckResult {
  return { id, title, ok: failures.length === 0, passed: total - failures.length, total, failures, notes };
}

export function verify(p: LabPlan, obs: Observations, svc?: ServiceObservations): VerifyReport {
  const checks = [checkSessions(p, obs), checkBlocks(p, obs), checkFib(p, obs), checkPings(p, obs)];
  if (p.lab.services.length) {
    const s = [checkServiceRoutes(p, obs), checkServiceCommunities(p, obs)];
    if (svc) s.push(checkServiceReach(p, obs, svc));
    for (const c of s) checks.push(result(c.id, c.title, c.total, c.failures, c.notes));
  }
  return { ok: checks.every((c) => c.ok), lab: p.lab.name, checks };
}

/** The report for people: one line per check, then each failure; notes with `verbose`. */
export function formatReport(r: VerifyReport, opts: { verbose?: boolean; elapsedMs?: number } = {}): string {
  const out: string[] = [];
  for (const c of r.checks) {
    out.push(`${c.ok ? 'PASS' : 'FAIL'}  ${c.title}: ${c.passed}/${c.total}`);
    for (const f of c.failures.slice(0, 40)) out.push(`        ✗ ${f}`);
    if (c.failures.length > 40) out.push(`        … and ${c.failures.length - 40} more`);
    const notes = c.id === 'pings' && !opts.verbose ? c.notes.slice(0, 3) : c.notes;
    for (const n of notes) out.push(`        · ${n}`);
    if (c.id === 'pings' && !opts.verbose && c.notes.length > 3)
      out.push(`        · … ${c.notes.length - 3} more pairs`);
  }
  const took = opts.elapsedMs !== undefined ? ` (${(opts.elapsedMs / 1000).toFixed(1)} s)` : '';
  out.push(
    r.ok
      ? `lab ${r.lab}: all checks passed${took}`
      : `lab ${r.lab}: ${r.checks.filter((c) => !c.ok).length} check(s) failed${took}`,
  );
  return `${out.join('\n')}\n`;
}
