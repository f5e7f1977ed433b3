/**
 * The service probes of `lab verify`: from each rack, a pod on a node without an endpoint of the
 * service pings the service IP (its node sends it to the rack's leaf, services.ts serviceIpLines).
 */
import { nsRun } from './netns.js';
import type { LabPlan } from './plan.js';
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
