/**
 * The service routes of confd's route generator (confd/pkg/backends/calico/routes.go), per node:
 * what calico-node adds to its datastore as /calico/staticroutes{,v6}/<ip>-<len> for Services.
 */
import { type CalicoResources, dashed, family, isSingleAddress, networkOf } from './confd-keys.js';

/** IPv4 or IPv6 address inside a CIDR (net.IPNet.Contains). */
function cidrContains(cidr: string, ip: string): boolean {
  if (family(cidr) !== family(ip)) return false;
  const [net, len] = cidr.split('/');
  return networkOf(ip, Number(len)) === networkOf(net, Number(len));
}

/**
 * The service routes confd's route generator (confd/pkg/backends/calico/routes.go) programs on one
 * node as /calico/staticroutes{,v6}/<ip>-<len>: a Service's cluster IP (when serviceClusterIPs is
 * set), its allowed external and load-balancer IPs, as /32 or /128, when advertiseThisService says
 * so: a Local service with an endpoint of its family on this node, or a LoadBalancer service with
 * Cluster policy whose spec.loadBalancerIP is a single configured LB IP.
 */
export function serviceRouteKeys(res: CalicoResources, nodeName: string): Map<string, string> {
  const spec = res.bgpConfigurations.find((c) => c.name === 'default')?.spec ?? {};
  const nets = (xs: readonly { cidr: string }[] | undefined) => (xs ?? []).map((x) => x.cidr);
  const lbNets = nets(spec.serviceLoadBalancerIPs);
  const out = new Map<string, string>();
  for (const svc of res.services ?? []) {
    if (!['ClusterIP', 'NodePort', 'LoadBalancer'].includes(svc.type)) continue;
    if (!svc.clusterIP || svc.clusterIP === 'None') continue;
    const singleLB =
      svc.type === 'LoadBalancer' &&
      svc.externalTrafficPolicy === 'Cluster' &&
      svc.loadBalancerIP !== undefined &&
      lbNets.some((n) => isSingleAddress(n) && cidrContains(n, svc.loadBalancerIP!));
    const local =
      svc.externalTrafficPolicy === 'Local' &&
      svc.endpoints.some((e) => e.nodeName === nodeName && family(e.ip) === family(svc.clusterIP));
    if (!singleLB && !local) continue;
    const routes = [
      ...(nets(spec.serviceClusterIPs).length ? [svc.clusterIP] : []),
      ...(svc.externalIPs ?? []).filter((ip) =>
        nets(spec.serviceExternalIPs).some((n) => cidrContains(n, ip)),
      ),
      ...(svc.ingressIPs ?? []).filter((ip) => lbNets.some((n) => cidrContains(n, ip))),
    ];
    for (const ip of routes) {
      const cidr = `${ip}/${family(ip) === 6 ? 128 : 32}`;
      out.set(`/calico/staticroutes${family(ip) === 6 ? 'v6' : ''}/${dashed(cidr)}`, cidr);
    }
  }
  return out;
}
