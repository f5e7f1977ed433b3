/**
 * The netns lab's calico-nodes, configured from the very resources `lab render` gives the kind
 * cluster (calico-resources.ts) plus what calico-node and Calico IPAM contribute there (the Node's
 * autodetected address, each node's confirmed block affinity): confd's datastore is built from
 * them and the vendored templates of render.calico-version are executed per node (calico-bird.ts).
 */
import { birdFiles } from './calico-bird.js';
import {
  bgpConfiguration,
  bgpFilters,
  bgpPeers,
  calicoNodes,
  ipPools,
  passwordSecrets,
} from './calico-resources.js';
import { type CalicoResources, confdCache, resourcesFromManifests } from './confd-keys.js';
import { serviceRouteKeys } from './confd-routes.js';
import { type Lab, type LabNode, labNodes } from './schema.js';
import { serviceObjects } from './services.js';

export function labCalicoResources(lab: Lab): CalicoResources {
  const blocks = labNodes(lab).flatMap((n) => [
    { host: n.name, cidr: n.block, state: 'confirmed' },
    ...(n.block6 ? [{ host: n.name, cidr: n.block6, state: 'confirmed' }] : []),
  ]);
  return resourcesFromManifests(
    [
      bgpConfiguration(lab),
      ...calicoNodes(lab),
      ...bgpPeers(lab),
      ...ipPools(lab),
      ...bgpFilters(lab),
      // What calico-node reads from Kubernetes: peer password Secrets, Services and Endpoints.
      ...passwordSecrets(lab),
      ...serviceObjects(lab),
    ],
    blocks,
  );
}

const caches = new WeakMap<Lab, { res: CalicoResources; cache: Map<string, string> }>();

/** The lab's resources and confd's global datastore, built once per lab. */
export function labDatastore(lab: Lab): { res: CalicoResources; cache: Map<string, string> } {
  let d = caches.get(lab);
  if (!d) {
    const res = labCalicoResources(lab);
    d = { res, cache: confdCache(res) };
    caches.set(lab, d);
  }
  return d;
}

/** calico-node's BIRD files for a lab node and family: bird.cfg + bird_aggr.cfg + bird_ipam.cfg (bird6*). */
export function nodeBirdFiles(lab: Lab, node: LabNode, family: 4 | 6): Map<string, string> {
  const { res, cache } = labDatastore(lab);
  // The route generator's static routes are this node's own (Local services with an endpoint here).
  const own = serviceRouteKeys(res, node.name);
  return birdFiles(
    own.size ? new Map([...cache, ...own]) : cache,
    node.name,
    family,
    lab.render.calicoVersion,
  );
}
