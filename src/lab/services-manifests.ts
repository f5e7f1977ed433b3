/**
 * `lab render` for Services: the Kubernetes and Calico manifests beside the seed's (BGPFilters,
 * the peer-password Secrets with the Role calico-node needs to read them, per service a Service
 * and one Deployment per endpoint node, pinned by nodeName), each checked against a strict
 * schema of the fields rendered (Kubernetes core/v1, apps/v1, rbac/v1 and projectcalico.org/v3
 * names and types: an unknown or misspelt field is an error, not ignored by the API server).
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import { bgpConfiguration, bgpFilters, bgpPeers, passwordSecrets } from './calico-resources.js';
import type { Lab } from './schema.js';

const meta = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
const ipv4 = z.string().regex(/^\d+\.\d+\.\d+\.\d+$/);
const port = z.strictObject({
  name: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  containerPort: z.number().int().min(1).max(65535).optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']),
  targetPort: z.number().int().optional(),
});
const filterRule = z.strictObject({
  action: z.enum(['Accept', 'Reject']),
  matchOperator: z.enum(['Equal', 'NotEqual', 'In', 'NotIn']).optional(),
  cidr: z.string().optional(),
  source: z.enum(['RemotePeers']).optional(),
  interface: z.string().optional(),
});

/** The manifests' kinds, with only the fields the API defines (strict: nothing unknown passes). */
const manifest = z.discriminatedUnion('kind', [
  z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Service'),
    metadata: meta,
    spec: z.strictObject({
      type: z.enum(['ClusterIP', 'LoadBalancer']),
      clusterIP: ipv4,
      externalTrafficPolicy: z.enum(['Local', 'Cluster']).optional(),
      internalTrafficPolicy: z.enum(['Local', 'Cluster']).optional(),
      externalIPs: z.array(ipv4).optional(),
      loadBalancerIP: ipv4.optional(),
      selector: z.record(z.string(), z.string()),
      ports: z.array(port).min(1),
    }),
  }),
  z.strictObject({
    apiVersion: z.literal('apps/v1'),
    kind: z.literal('Deployment'),
    metadata: meta,
    spec: z.strictObject({
      replicas: z.literal(1),
      selector: z.strictObject({ matchLabels: z.record(z.string(), z.string()) }),
      template: z.strictObject({
        metadata: z.strictObject({ labels: z.record(z.string(), z.string()) }),
        spec: z.strictObject({
          nodeName: z.string(),
          containers: z
            .array(
              z.strictObject({
                name: z.string(),
                image: z.string(),
                args: z.array(z.string()),
                ports: z.array(port),
              }),
            )
            .min(1),
        }),
      }),
    }),
  }),
  z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Secret'),
    metadata: meta,
    type: z.literal('Opaque'),
    stringData: z.record(z.string(), z.string()),
  }),
  z.strictObject({
    apiVersion: z.literal('rbac.authorization.k8s.io/v1'),
    kind: z.literal('Role'),
    metadata: meta,
    rules: z.array(
      z.strictObject({
        apiGroups: z.array(z.string()),
        resources: z.array(z.string()),
        resourceNames: z.array(z.string()),
        verbs: z.array(z.enum(['get', 'list', 'watch'])),
      }),
    ),
  }),
  z.strictObject({
    apiVersion: z.literal('rbac.authorization.k8s.io/v1'),
    kind: z.literal('RoleBinding'),
    metadata: meta,
    roleRef: z.strictObject({ apiGroup: z.string(), kind: z.literal('Role'), name: z.string() }),
    subjects: z.array(
      z.strictObject({ kind: z.literal('ServiceAccount'), name: z.string(), namespace: z.string() }),
    ),
  }),
  z.strictObject({
    apiVersion: z.literal('projectcalico.org/v3'),
    kind: z.literal('BGPConfiguration'),
    metadata: meta,
    spec: z.strictObject({
      logSeverityScreen: z.enum(['Debug', 'Info', 'Warning', 'Error', 'Fatal']).optional(),
      nodeToNodeMeshEnabled: z.boolean().optional(),
      asNumber: z.number().int().min(1).max(4294967295).optional(),
      serviceClusterIPs: z.array(z.strictObject({ cidr: z.string() })).optional(),
      serviceExternalIPs: z.array(z.strictObject({ cidr: z.string() })).optional(),
      serviceLoadBalancerIPs: z.array(z.strictObject({ cidr: z.string() })).optional(),
      communities: z
        .array(z.strictObject({ name: z.string(), value: z.string().regex(/^\d+:\d+(:\d+)?$/) }))
        .optional(),
      prefixAdvertisements: z
        .array(z.strictObject({ cidr: z.string(), communities: z.array(z.string()) }))
        .optional(),
    }),
  }),
  z.strictObject({
    apiVersion: z.literal('projectcalico.org/v3'),
    kind: z.literal('BGPPeer'),
    metadata: meta,
    spec: z.strictObject({
      node: z.string().optional(),
      nodeSelector: z.string().optional(),
      peerIP: z.string().optional(),
      peerSelector: z.string().optional(),
      asNumber: z.number().int().min(1).max(4294967295).optional(),
      keepOriginalNextHop: z.boolean().optional(),
      maxRestartTime: z
        .string()
        .regex(/^(\d+(\.\d+)?(h|m|s|ms))+$/)
        .optional(),
      password: z
        .strictObject({ secretKeyRef: z.strictObject({ name: z.string(), key: z.string() }) })
        .optional(),
      filters: z.array(z.string()).optional(),
      numAllowedLocalASNumbers: z.number().int().min(0).optional(),
    }),
  }),
  z.strictObject({
    apiVersion: z.literal('projectcalico.org/v3'),
    kind: z.literal('BGPFilter'),
    metadata: meta,
    spec: z.strictObject({
      importV4: z.array(filterRule).optional(),
      exportV4: z.array(filterRule).optional(),
      importV6: z.array(filterRule).optional(),
      exportV6: z.array(filterRule).optional(),
    }),
  }),
]);

/** Throws with every problem (path: message) when a manifest has a field its kind does not define. */
export function checkManifests(docs: readonly unknown[]): void {
  const problems = docs.flatMap((d, i) => {
    const r = manifest.safeParse(d);
    if (r.success) return [];
    const name = (d as { kind?: string; metadata?: { name?: string } }) ?? {};
    return r.error.issues.map(
      (x) =>
        `${name.kind ?? '?'} ${name.metadata?.name ?? `#${i}`}: ${x.path.join('.') || '(top)'}: ${x.message}${
          x.code === 'unrecognized_keys' ? ` (${x.keys.join(', ')})` : ''
        }`,
    );
  });
  if (problems.length) throw new Error(`rendered manifests are invalid:\n${problems.join('\n')}`);
}

/** A UDP (and HTTP) echo server: kube-proxy's DNAT lands on it. */
export const ECHO_IMAGE = 'registry.k8s.io/e2e-test-images/agnhost:2.47';

/** Services, one Deployment per endpoint node (pinned by nodeName), as applied with kubectl. */
export function serviceManifests(lab: Lab, kindNames: ReadonlyMap<string, string>): unknown[] {
  return lab.services.flatMap((s) => [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: s.name,
        namespace: 'default',
        // Calico's LoadBalancer IPAM (kube-controllers) assigns the ingress IP from this annotation.
        ...(s.type === 'LoadBalancer' && {
          annotations: { 'projectcalico.org/loadBalancerIPs': `["${s.ip}"]` },
        }),
      },
      spec: {
        type: s.type === 'ExternalIP' ? 'ClusterIP' : s.type,
        clusterIP: s.clusterIP,
        ...(s.type === 'LoadBalancer' && { externalTrafficPolicy: s.externalTrafficPolicy }),
        ...(s.type !== 'LoadBalancer' && { internalTrafficPolicy: s.externalTrafficPolicy }),
        ...(s.type === 'ExternalIP' && { externalIPs: [s.ip] }),
        ...(s.type === 'LoadBalancer' && { loadBalancerIP: s.ip }),
        selector: { app: s.name },
        ports: [{ name: 'udp', port: 80, protocol: 'UDP', targetPort: 8080 }],
      },
    },
    ...s.endpoints.map((node) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${s.name}-${node}`, namespace: 'default', labels: { app: s.name } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: s.name, node } },
        template: {
          metadata: { labels: { app: s.name, node } },
          spec: {
            nodeName: kindNames.get(node) ?? node,
            containers: [
              {
                name: 'echo',
                image: ECHO_IMAGE,
                args: ['netexec', '--http-port=8080', '--udp-port=8080'],
                ports: [{ containerPort: 8080, protocol: 'UDP' }],
              },
            ],
          },
        },
      },
    })),
  ]);
}

/** calico-node reads BGPPeer passwords from Secrets in its namespace: it needs a Role for them. */
export function passwordRbac(lab: Lab): unknown[] {
  const secrets = passwordSecrets(lab) as { metadata: { name: string } }[];
  if (!secrets.length) return [];
  const m = { name: 'calico-bgp-passwords', namespace: 'kube-system' };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: m,
      rules: [
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: secrets.map((s) => s.metadata.name),
          verbs: ['get', 'list', 'watch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: m,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: m.name },
      subjects: [{ kind: 'ServiceAccount', name: 'calico-node', namespace: 'kube-system' }],
    },
  ];
}

const docs = (header: string, values: unknown[]) =>
  `${header
    .split('\n')
    .map((l) => `# ${l}`.trimEnd())
    .join('\n')}\n${values.map((v) => stringify(v, { lineWidth: 0 })).join('---\n')}`;

/** The files (empty for a lab without filters, passwords or services) and deploy.sh's lines for them. */
export function serviceFiles(
  lab: Lab,
  kindNames: ReadonlyMap<string, string>,
  source: string,
): { files: { path: string; content: string }[]; deploy: string[] } {
  const files: { path: string; content: string }[] = [];
  const deploy: string[] = [];
  const filters = bgpFilters(lab);
  const secrets = [...passwordSecrets(lab), ...passwordRbac(lab)];
  const services = serviceManifests(lab, kindNames);
  // The BGPConfiguration and BGPPeers (calico/01, 03) carry the service and peering fields: checked too.
  checkManifests([bgpConfiguration(lab), ...bgpPeers(lab), ...filters, ...secrets, ...services]);
  const head = (what: string, how: string) =>
    `${what}.\nLab ${lab.name}, rendered from ${source}; deploy.sh applies it with ${how}.`;
  if (filters.length) {
    files.push({
      path: 'calico/02-bgpfilters.yaml',
      content: docs(head('BGPFilters the BGPPeers name', 'calicoctl apply -f'), filters),
    });
    deploy.push(
      '# BGPFilters (before the BGPPeers that name them).',
      'calicoctl apply -f calico/02-bgpfilters.yaml',
    );
  }
  if (secrets.length) {
    files.push({
      path: 'kubernetes/01-bgp-passwords.yaml',
      content: docs(
        head(
          'BGPPeer passwords: Secrets in kube-system and the Role calico-node reads them with',
          'kubectl apply -f',
        ),
        secrets,
      ),
    });
    deploy.push(
      '# BGPPeer passwords (Secrets calico-node reads).',
      'kubectl apply -f kubernetes/01-bgp-passwords.yaml',
    );
  }
  if (services.length) {
    files.push({
      path: 'kubernetes/02-services.yaml',
      content: docs(
        head(
          'Services and their endpoint pods, one Deployment pinned to each endpoint node',
          'kubectl apply -f',
        ),
        services,
      ),
    });
    deploy.push('# Services and endpoint pods.', 'kubectl apply -f kubernetes/02-services.yaml');
  }
  return { files, deploy };
}
