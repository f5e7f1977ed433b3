/**
 * The service probes of `lab verify`: from each rack, a pod on a node without an endpoint of the
 * service pings the service IP (its node sends it to the rack's leaf, services.ts serviceIpLines).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeBirdFiles } from './calico-lab.js';
import { must, nsRun, run } from './netns.js';
import type { LabPlan } from './plan.js';
import { type Lab, labNodes } from './schema.js';
import { kubeProxyRules } from './services.js';
import type { ServiceObservations, ServicePing } from './services-verify.js';

export async function observeServices(p: LabPlan): Promise<ServiceObservations | undefined> {
  if (p.lab.services.length === 0) return undefined;
  const jobs: Promise<ServicePing>[] = [];
  for (const s of p.lab.services)
    for (const rack of p.lab.racks) {
      const pod = p.pods.find((x) => x.rack === rack.name && !s.endpoints.includes(x.node));
      if (!pod) continue;
      jobs.push(
        nsRun(pod.ns, ['ping', '-4', '-c', '1', '-W', '1', '-n', '-q', s.ip], 5000).then((r) => ({
          from: pod.device,
          rack: rack.name,
          service: s.name,
          ip: s.ip,
          ok: r.code === 0,
        })),
      );
    }
  return { pings: await Promise.all(jobs) };
}

/**
 * What calico-node's confd and kube-proxy do when the cluster changes (an endpoint pod deleted, a
 * BGPPeer edited): each node's BIRD files re-rendered from `lab` and BIRD reconfigured (confd's
 * reload_cmd, `sv hup bird`), kube-proxy's rules replaced. The running lab keeps its topology.
 */
export async function reconcileNodes(p: LabPlan, lab: Lab): Promise<void> {
  for (const node of labNodes(lab)) {
    const dir = join(p.workDir, node.name);
    for (const proc of p.processes.filter((x) => x.device === node.name && x.name !== 'rackbgp')) {
      const family = proc.name === 'bird' ? 4 : 6;
      for (const [file, content] of nodeBirdFiles(lab, node, family)) writeFileSync(join(dir, file), content);
      if (!('socket' in proc.ready)) continue;
      const r = await run(proc.ready.client, ['-s', proc.ready.socket, 'configure']);
      if (r.code !== 0 || !/Reconfigur/.test(r.stdout))
        throw new Error(`${node.name}: ${proc.name} configure: ${r.stdout.trim() || r.stderr.trim()}`);
    }
    const rules = kubeProxyRules(lab, node);
    const ns = p.namespaces.find((n) => n.device === node.name)!.ns;
    if (rules) await must('ip', ['netns', 'exec', ns, 'iptables-restore'], rules);
  }
}
