/**
 * The netns lab's calico-nodes, configured from the very resources `lab render` gives the kind
 * cluster (calico-resources.ts) plus what calico-node and Calico IPAM contribute there (the Node's
 * autodetected address, each node's confirmed block affinity): confd's datastore is built from
 * them and the vendored templates of render.calico-version are executed per node (calico-bird.ts).
 */
import { birdFiles } from './calico-bird.js';
import { bgpConfiguration, bgpPeers, calicoNodes, ipPools } from './calico-resources.js';
import { type CalicoResources, confdCache, resourcesFromManifests } from './confd-keys.js';
import { type Lab, type LabNode, labNodes } from './schema.js';

export function labCalicoResources(lab: Lab): CalicoResources {
  const blocks = labNodes(lab).flatMap((n) => [
    { host: n.name, cidr: n.block, state: 'confirmed' },
    ...(n.block6 ? [{ host: n.name, cidr: n.block6, state: 'confirmed' }] : []),
  ]);
  return resourcesFromManifests(
    [bgpConfiguration(lab), ...calicoNodes(lab), ...bgpPeers(lab), ...ipPools(lab)],
    blocks,
  );
}

const caches = new WeakMap<Lab, Map<string, string>>();

/** calico-node's BIRD files for a lab node and family: bird.cfg + bird_aggr.cfg + bird_ipam.cfg (bird6*). */
export function nodeBirdFiles(lab: Lab, node: LabNode, family: 4 | 6): Map<string, string> {
  let cache = caches.get(lab);
  if (!cache) {
    cache = confdCache(labCalicoResources(lab));
    caches.set(lab, cache);
  }
  return birdFiles(cache, node.name, family, lab.render.calicoVersion);
}
