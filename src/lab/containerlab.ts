/**
 * The lab for a real Docker host: a containerlab topology (rackbgp spine and leaves as `kind: linux`
 * with their config bound in, exec addressing and forwarding sysctls; the Kubernetes nodes as a kind
 * cluster (`k8s-kind`) whose containers are `ext-container` nodes wired to the leaves), the kind
 * cluster config (no default CNI, the pool as pod subnet, rr-group/rr-id labels), Calico's resources
 * in the guide's order and a deploy script; API and /metrics open on the management network with a
 * token for actions, and a Prometheus node scraping the switches (containerlab-monitoring.ts). Pure:
 * built from the same plan `lab up` runs, so the addresses, AS numbers and interface names are the
 * netns lab's.
 */

import { stringify } from 'yaml';
import { bgpConfiguration, bgpPeers, ipPools, nodeBgpPatch, nodeLabels } from './calico-resources.js';
import {
  containerName,
  METRICS_PORT,
  managedSwitchConfig,
  PROMETHEUS_CONFIG,
  PROMETHEUS_PORT,
  PROMETHEUS_RULES,
  prometheusConfig,
  prometheusNode,
  prometheusRules,
  switchNodeExtras,
  TOKEN_FILE,
  TOKEN_IN_IMAGE,
  tokenScript,
} from './containerlab-monitoring.js';
import { API_PORT, switchConfig } from './peerings.js';
import { plan } from './plan.js';
import { isReflector, type Lab, labNodes } from './schema.js';
import { serviceFiles } from './services-manifests.js';

export interface RenderedFile {
  readonly path: string;
  readonly content: string;
  readonly executable?: boolean;
}

/** Where the switch configs are bound inside the rackbgp image. */
export const CONFIG_IN_IMAGE = '/etc/rackbgp/rackbgp.yaml';
/** The Prometheus node's name in the topology. */
export const PROMETHEUS_NODE = 'prometheus';

/** kind names its containers <cluster>-control-plane, <cluster>-worker, <cluster>-worker2, … */
export function kindNodeNames(lab: Lab): Map<string, string> {
  return new Map(
    labNodes(lab).map((n, i) => [
      n.name,
      i === 0 ? `${lab.name}-control-plane` : `${lab.name}-worker${i === 1 ? '' : i}`,
    ]),
  );
}

const yamlDoc = (header: string, value: unknown) =>
  `${header
    .trim()
    .split('\n')
    .map((l) => `# ${l}`.trimEnd())
    .join('\n')}\n${stringify(value, { lineWidth: 0 })}`;

const docs = (header: string, values: unknown[]) =>
  `${header
    .trim()
    .split('\n')
    .map((l) => `# ${l}`.trimEnd())
    .join('\n')}\n${values.map((v) => stringify(v, { lineWidth: 0 })).join('---\n')}`;

const labels = nodeLabels;

function topology(lab: Lab, source: string): string {
  const p = plan(lab, { workDir: '/', node: 'node', cli: 'rackbgp' });
  const k8s = kindNodeNames(lab);
  const name = (device: string) => k8s.get(device) ?? device;
  const nodes: Record<string, unknown> = {};
  for (const sw of [...lab.spines, ...lab.leaves]) {
    const ns = p.namespaces.find((n) => n.device === sw.name)!;
    const extras = switchNodeExtras(); // a fresh object per node: no YAML anchors in the output
    nodes[sw.name] = {
      kind: 'linux',
      image: lab.render.rackbgpImage,
      group: lab.spines.some((x) => x.name === sw.name) ? 'spine' : 'leaf',
      // The image's ENTRYPOINT drops privileges and runs `rackbgp`; this is its default CMD, spelled out.
      cmd: `run -c ${CONFIG_IN_IMAGE}`,
      binds: [`configs/${sw.name}.yaml:${CONFIG_IN_IMAGE}:ro`, ...extras.binds],
      env: extras.env,
      sysctls: { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1 },
      // The netns lab's own ip lines (eth1+ appear only after the container starts: exec runs after).
      exec: ns.ip.filter((l) => l !== 'link set lo up').map((l) => `ip ${l}`),
    };
  }
  nodes[lab.name] = {
    kind: 'k8s-kind',
    ...(lab.render.kindImage && { image: lab.render.kindImage }),
    'startup-config': 'kind-config.yaml',
    extras: { k8s_kind: { deploy: { wait: '0s' } } },
  };
  for (const n of labNodes(lab)) {
    const ns = p.namespaces.find((x) => x.device === n.name)!;
    nodes[name(n.name)] = {
      kind: 'ext-container',
      group: n.rack,
      // Addresses only: routes, blocks and pods are calico-node's and Felix's job in the cluster.
      exec: ns.ip.filter((l) => l.startsWith('addr add ') && l.endsWith(' eth1')).map((l) => `ip ${l}`),
    };
  }
  if (nodes[PROMETHEUS_NODE])
    throw new Error(`lab ${lab.name}: a device is named ${PROMETHEUS_NODE}, the monitoring node's name`);
  nodes[PROMETHEUS_NODE] = prometheusNode(lab);
  const links = p.links
    .filter((l) => !p.pods.some((x) => x.device === l.b.device))
    .map((l) => ({ endpoints: [`${name(l.a.device)}:${l.a.dev}`, `${name(l.b.device)}:${l.b.dev}`] }));
  return yamlDoc(
    `Lab ${lab.name} for containerlab + kind, rendered by \`rackbgp lab render\` from ${source}.
Edit the lab file and render again rather than this file. Deploy with ./deploy.sh.
spine/leaves: rackbgp (image ${lab.render.rackbgpImage}); ${lab.name}: the kind cluster, its nodes wired to the leaves on eth1;
${PROMETHEUS_NODE}: scrapes every switch's /metrics on the management network (http://localhost:${PROMETHEUS_PORT} on the host).`,
    { name: lab.name, topology: { nodes, links } },
  );
}

function kindConfig(lab: Lab, source: string): string {
  const nodes = labNodes(lab).map((n, i) => ({
    role: i === 0 ? 'control-plane' : 'worker',
    labels: labels(lab, n),
  }));
  return yamlDoc(
    `kind cluster of lab ${lab.name} (rendered from ${source}): no default CNI (Calico is installed by
deploy.sh), Calico's pool as the pod subnet. Node i of the lab file is the i-th node here:
${[...kindNodeNames(lab)].map(([a, b]) => `${a} = ${b}`).join(', ')}.`,
    {
      kind: 'Cluster',
      apiVersion: 'kind.x-k8s.io/v1alpha4',
      networking: { disableDefaultCNI: true, podSubnet: lab.calico.pool },
      nodes,
    },
  );
}

function calicoFiles(lab: Lab, source: string): RenderedFile[] {
  const head = (what: string) =>
    `${what}.\nLab ${lab.name}, rendered from ${source}; deploy.sh applies it with calicoctl apply -f.`;
  return [
    {
      path: 'calico/01-bgpconfiguration.yaml',
      content: yamlDoc(head('1. BGPConfiguration: the node-to-node mesh off'), bgpConfiguration(lab)),
    },
    {
      path: 'calico/03-bgppeers.yaml',
      content: docs(
        `${head('3. BGPPeers')}
Per rack: clients → the rack's reflectors, reflectors ↔ reflectors, reflectors → the leaf (eBGP).
(2. is the node patches and labels in deploy.sh.)`,
        bgpPeers(lab),
      ),
    },
    {
      path: 'calico/04-ippool.yaml',
      content: docs(head('4. IPPool without encapsulation: the fabric routes the pod blocks'), ipPools(lab)),
    },
  ];
}

/** `calicoctl patch node` per node: asNumber per rack, routeReflectorClusterID on reflectors. */
export function nodePatches(lab: Lab): { node: string; patch: { spec: { bgp: Record<string, unknown> } } }[] {
  const k8s = kindNodeNames(lab);
  return labNodes(lab).map((n) => ({
    node: k8s.get(n.name)!,
    patch: { spec: { bgp: nodeBgpPatch(lab, n) } },
  }));
}

function deployScript(lab: Lab, source: string): string {
  const k8s = kindNodeNames(lab);
  const ctx = `kind-${lab.name}`;
  const patches = nodePatches(lab).map(
    (x) => `calicoctl patch node ${x.node} --patch '${JSON.stringify(x.patch)}'`,
  );
  const labelLines = labNodes(lab).map(
    (n) =>
      `kubectl label node ${k8s.get(n.name)} ${Object.entries(labels(lab, n))
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')} --overwrite`,
  );
  const env = [
    'IP_AUTODETECTION_METHOD=interface=eth1',
    `CALICO_IPV4POOL_CIDR=${lab.calico.pool}`,
    `CALICO_IPV4POOL_BLOCK_SIZE=${lab.calico.blockSize}`,
    'CALICO_IPV4POOL_IPIP=Never',
    'CALICO_IPV4POOL_VXLAN=Never',
    ...(lab.calico.pool6
      ? [
          'IP6=autodetect',
          'IP6_AUTODETECTION_METHOD=interface=eth1',
          `CALICO_IPV6POOL_CIDR=${lab.calico.pool6}`,
        ]
      : []),
  ];
  const reflectors = labNodes(lab).filter(isReflector);
  return `#!/usr/bin/env bash
# Deploys lab ${lab.name} on a Docker host (rendered by \`rackbgp lab render\` from ${source}):
# containerlab builds the fabric (rackbgp spine and leaves) and the kind cluster, then Calico is
# installed in route-reflector mode the way the guide does it.
# Needs docker, containerlab, kind, kubectl, calicoctl and the image ${lab.render.rackbgpImage}
# (docker build -t ${lab.render.rackbgpImage} . in the rackbgp repository).
set -euo pipefail
cd "$(dirname "$0")"
CALICO_VERSION=\${CALICO_VERSION:-${lab.render.calicoVersion}}
export DATASTORE_TYPE=kubernetes

${tokenScript()}

# The fabric and the cluster (kind without a CNI; nodes stay NotReady until Calico runs).
sudo containerlab deploy -t ${lab.name}.clab.yml --reconfigure
kubectl config use-context ${ctx}

# Calico, BGP only: autodetect the node address on eth1 (the fabric), pools without encapsulation.
kubectl apply -f "https://raw.githubusercontent.com/projectcalico/calico/\${CALICO_VERSION}/manifests/calico.yaml"
kubectl -n kube-system set env daemonset/calico-node ${env.join(' ')}
kubectl -n kube-system rollout status daemonset/calico-node --timeout=300s

# 1. BGPConfiguration: mesh off, default AS.
calicoctl apply -f calico/01-bgpconfiguration.yaml
# 2. Nodes: AS per rack, routeReflectorClusterID = own IP on reflectors; labels rr-group / rr-id.
${patches.join('\n')}
${labelLines.join('\n')}
${serviceFiles(lab, k8s, source)
  .deploy.map((l) => `${l}\n`)
  .join('')}# 3. BGPPeers: clients → reflectors, reflector mesh, reflectors → leaf.
calicoctl apply -f calico/03-bgppeers.yaml
# 4. IPPool without encapsulation.
calicoctl apply -f calico/04-ippool.yaml

echo "Check: calicoctl node status on a reflector, the leaves' kernel routes:"
echo "  kubectl -n kube-system exec \\$(kubectl -n kube-system get pod -l k8s-app=calico-node --field-selector spec.nodeName=${k8s.get(reflectors[0]?.name ?? '')} -o name) -c calico-node -- birdcl -s /var/run/calico/bird.ctl show protocols"
echo "  docker exec clab-${lab.name}-${lab.leaves[0].name} ip route"
echo "  docker exec clab-${lab.name}-${lab.leaves[0].name} rackbgp show summary"
echo "Metrics: Prometheus at http://localhost:${PROMETHEUS_PORT} scrapes ${[...lab.spines, ...lab.leaves].map((s) => `${containerName(lab, s.name)}:${METRICS_PORT}`).join(', ')}"
echo "Actions over the API need the token in ${TOKEN_FILE}, e.g.:"
echo "  curl -X POST -H \\"Authorization: Bearer \\$(cat ${TOKEN_FILE})\\" http://${containerName(lab, lab.leaves[0].name)}:${API_PORT}/api/reload"
echo "Remove: sudo containerlab destroy -t ${lab.name}.clab.yml --cleanup"
`;
}

function readme(lab: Lab, source: string): string {
  const k8s = kindNodeNames(lab);
  return `# Lab ${lab.name} for containerlab + kind

Rendered by \`rackbgp lab render --containerlab <dir> ${source}\` from the same lab object
\`rackbgp lab up\` runs in network namespaces: same addresses, AS numbers and interface names.
Edit the lab file and render again instead of editing these files. This target is rendered and
validated against containerlab's schema in rackbgp's tests, not run there (no Docker engine).

| file | what |
| --- | --- |
| \`${lab.name}.clab.yml\` | containerlab topology: rackbgp switches (\`kind: linux\`, image \`${lab.render.rackbgpImage}\`), the kind cluster (\`k8s-kind\`) and its nodes (\`ext-container\`) |
| \`kind-config.yaml\` | kind cluster: default CNI off, pod subnet ${lab.calico.pool}, labels rr-group / rr-id |
| \`configs/*.yaml\` | rackbgp config of every switch (bound to ${CONFIG_IN_IMAGE}): API (port ${API_PORT}) and /metrics (${METRICS_PORT}) on all addresses, actions need the token |
| \`${PROMETHEUS_CONFIG}\`, \`${PROMETHEUS_RULES}\` | the \`${PROMETHEUS_NODE}\` node (official image \`${lab.render.prometheusImage}\`, UI on the host's port ${PROMETHEUS_PORT}): scrapes every switch on the management network, loads rackbgp's rules (a copy of dashboards/rules.yml) |
| \`${TOKEN_FILE}\` | not rendered: deploy.sh makes it (random, kept across deploys, git-ignored) and binds it to ${TOKEN_IN_IMAGE} in every switch |
| \`calico/*.yaml\` | BGPConfiguration, BGPPeers, IPPool (the guide's order; node patches are in deploy.sh) |
| \`deploy.sh\` | containerlab deploy, Calico install, the resources in order |

Kubernetes node names: ${[...k8s].map(([a, b]) => `${a} = \`${b}\``).join(', ')}.
Calico IPAM hands out the blocks in the cluster, so pod blocks need not match the netns lab's.

Monitoring: reads (\`GET /api/...\`) and \`/metrics\` are open on the management network, so a
Prometheus on the host can scrape \`${containerName(lab, lab.leaves[0].name)}:${METRICS_PORT}\` and the others too
(containerlab writes the names into the host's /etc/hosts). Actions (\`POST\`) need
\`Authorization: Bearer $(cat ${TOKEN_FILE})\`; inside a switch the CLI finds the token by itself
(\`RACKBGP_API_TOKEN_FILE\`), e.g. \`docker exec ${containerName(lab, lab.leaves[0].name)} rackbgp neighbor reset --all\`.
`;
}

/** Every file of the containerlab + kind rendering, paths relative to the output directory. */
export function renderContainerlab(lab: Lab, opts: { source?: string; rules: string }): RenderedFile[] {
  const source = opts.source ?? 'the lab file';
  return [
    { path: 'README.md', content: readme(lab, source) },
    { path: '.gitignore', content: `# Made by deploy.sh: the lab's API token.\n/${TOKEN_FILE}\n` },
    { path: `${lab.name}.clab.yml`, content: topology(lab, source) },
    { path: 'kind-config.yaml', content: kindConfig(lab, source) },
    ...[...lab.spines, ...lab.leaves].map((s) => ({
      path: `configs/${s.name}.yaml`,
      content: managedSwitchConfig(switchConfig(lab, s.name, source), s.name),
    })),
    { path: PROMETHEUS_CONFIG, content: prometheusConfig(lab, source) },
    { path: PROMETHEUS_RULES, content: prometheusRules(opts.rules) },
    ...calicoFiles(lab, source),
    // Services, BGPFilters, peer passwords (services-manifests.ts; none for the seed).
    ...serviceFiles(lab, kindNodeNames(lab), source).files,
    { path: 'deploy.sh', content: deployScript(lab, source), executable: true },
  ];
}
