/**
 * Pictures of a lab for `lab status`: a text tree (switches, racks, nodes with their role, block,
 * sessions up and route count), the session table, and a Graphviz DOT graph (links solid, BGP
 * sessions dashed, green when Established). Pure: observations in, text out.
 */
import type { Observations } from './observe.js';
import type { Session } from './peerings.js';
import type { LabPlan } from './plan.js';
import { isReflector } from './schema.js';
import { describeSession, endState } from './verify.js';

const up = (obs: Observations | undefined, s: Session) =>
  obs !== undefined && s.ends.every((e) => endState(obs, e, s.family) === 'Established');

function nodeSummary(p: LabPlan, obs: Observations | undefined, device: string): string {
  const mine = p.sessions.filter((s) => s.ends.some((e) => e.device === device));
  const est = mine.filter((s) => up(obs, s)).length;
  const o = obs?.nodes.filter((n) => n.device === device) ?? [];
  const routes = o.reduce((sum, n) => sum + (n.routes?.length ?? 0), 0);
  return obs ? `sessions ${est}/${mine.length}, ${routes} routes` : `${mine.length} sessions`;
}

function switchSummary(p: LabPlan, obs: Observations | undefined, device: string): string {
  const mine = p.sessions.filter((s) => s.ends.some((e) => e.device === device));
  const sw = obs?.switches.find((s) => s.device === device);
  if (!obs) return `${mine.length} sessions`;
  if (sw?.error) return sw.error;
  const bgp = sw?.kernel.filter((r) => r.protocol === 'bgp').length ?? 0;
  return `sessions ${mine.filter((s) => up(obs, s)).length}/${mine.length}, RIB ${sw?.rib?.length ?? 0} prefixes, kernel ${bgp} bgp routes`;
}

/** The lab as a tree, with live counts when observations are given. */
export function textPicture(p: LabPlan, obs?: Observations): string {
  const lab = p.lab;
  const out: string[] = [];
  for (const s of lab.spines)
    out.push(`${s.name}  AS${s.asn}  router-id ${s.routerId}  [${switchSummary(p, obs, s.name)}]`);
  lab.leaves.forEach((leaf, li) => {
    const lastLeaf = li === lab.leaves.length - 1;
    const uplinks = leaf.uplinks.map((u) => `${u.leafIp}↔${u.spine} ${u.spineIp}`).join(', ');
    out.push(
      `${lastLeaf ? '└─' : '├─'} ${leaf.name}  AS${leaf.asn}  ${uplinks}  [${switchSummary(p, obs, leaf.name)}]`,
    );
    const pad = lastLeaf ? '   ' : '│  ';
    const rack = lab.racks.find((r) => r.leaf === leaf.name);
    if (!rack) return;
    out.push(
      `${pad}└─ ${rack.name}  ${rack.subnet} gw ${rack.gateway}  AS${rack.asn}  rr-group ${rack.rrGroup}`,
    );
    rack.nodes.forEach((n, ni) => {
      const last = ni === rack.nodes.length - 1;
      const role = isReflector(n) ? `reflector rr-id=${n.rrId} cluster ${n.ip}` : 'client';
      const pods = p.pods.filter((x) => x.node === n.name).map((x) => x.ip);
      out.push(
        `${pad}   ${last ? '└─' : '├─'} ${n.name}  ${n.ip}  ${role}  block ${n.block}  pods ${pods.join(' ') || '-'}  [${nodeSummary(p, obs, n.name)}]`,
      );
    });
  });
  return `${out.join('\n')}\n`;
}

/** One line per session with both ends' state. */
export function sessionTable(p: LabPlan, obs: Observations): string {
  return `${p.sessions
    .map((s) => {
      const [a, b] = s.ends.map((e) => endState(obs, e, s.family));
      const mark = a === 'Established' && b === 'Established' ? '✓' : '✗';
      return `${mark} ${describeSession(s)}  ${a === b ? a : `${a} / ${b}`}`;
    })
    .join('\n')}\n`;
}

/** Route counts per device: rackbgp RIB and kernel, BIRD table and kernel. */
export function routeTable(obs: Observations): string {
  const rows = [
    ...obs.switches.map(
      (s) =>
        `${s.device.padEnd(8)} rackbgp  RIB ${String(s.rib?.length ?? '?').padStart(3)} prefixes   kernel ${String(
          s.kernel.filter((r) => r.protocol === 'bgp').length,
        ).padStart(3)} bgp routes`,
    ),
    ...obs.nodes.map(
      (n) =>
        `${n.device.padEnd(8)} ${(n.family === 4 ? 'bird' : 'bird6').padEnd(8)} table ${String(n.routes?.length ?? '?').padStart(2)} prefixes   kernel ${String(
          n.kernel.filter((r) => r.protocol === 'bird').length,
        ).padStart(3)} bird routes`,
    ),
  ];
  return `${rows.join('\n')}\n`;
}

const q = (s: string) => `"${s.replace(/"/g, '\\"')}"`;

/** Graphviz DOT: racks as clusters, links solid, sessions dashed (green up, red down). */
export function dotGraph(p: LabPlan, obs?: Observations): string {
  const lab = p.lab;
  const out = [
    `graph ${q(`lab ${lab.name}`)} {`,
    '  rankdir=TB; ordering=out; fontname="Helvetica"; node [shape=box, style=rounded, fontname="Helvetica"];',
  ];
  for (const s of lab.spines) out.push(`  ${q(s.name)} [label=${q(`${s.name}\\nAS${s.asn}`)}, shape=box3d];`);
  for (const l of lab.leaves) out.push(`  ${q(l.name)} [label=${q(`${l.name}\\nAS${l.asn}`)}, shape=box3d];`);
  for (const r of lab.racks) {
    out.push(`  subgraph ${q(`cluster_${r.name}`)} {`, `    label=${q(`${r.name} ${r.subnet} AS${r.asn}`)};`);
    for (const n of r.nodes)
      out.push(
        `    ${q(n.name)} [label=${q(`${n.name}\\n${n.ip}\\n${n.block}${isReflector(n) ? '\\nRR' : ''}`)}${
          isReflector(n) ? ', style="rounded,bold"' : ''
        }];`,
      );
    out.push('  }');
  }
  for (const l of p.links) {
    if (p.pods.some((x) => x.device === l.b.device)) continue;
    out.push(
      `  ${q(l.a.device)} -- ${q(l.b.device)} [taillabel=${q(l.a.dev)}, headlabel=${q(l.b.dev)}, fontsize=8];`,
    );
  }
  for (const s of p.sessions) {
    const color = obs ? (up(obs, s) ? 'darkgreen' : 'red') : 'gray40';
    out.push(
      `  ${q(s.ends[0].device)} -- ${q(s.ends[1].device)} [style=dashed, constraint=false, color=${color}, tooltip=${q(describeSession(s))}];`,
    );
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
