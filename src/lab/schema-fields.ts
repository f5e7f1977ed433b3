/**
 * The lab file's field shapes (zod): addresses, names, Calico's durations, BGPFilter rules, the
 * reflectors → leaf BGPPeer fields and Services. The document's structure is in schema.ts.
 */
import { z } from 'zod';
import { ipFamily, parseIPv4, parsePrefix } from '../util/ip.js';

export const ipv4 = z.string().refine((s) => parseIPv4(s) >= 0, 'must be an IPv4 address');
export const ipv6 = z.string().refine((s) => ipFamily(s) === 6, 'must be an IPv6 address');
export const prefixOf = (family: 4 | 6) =>
  z
    .string()
    .refine(
      (s) => parsePrefix(s)?.family === family,
      `must be an IPv${family} prefix like ${family === 4 ? '10.1.0.0/24' : 'fd00:1::/64'} (host bits zero)`,
    );
export const asn = z.number().int().min(1).max(4294967295);
/** Device names become namespace and interface-peer names: short, lowercase. */
export const deviceName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,14}$/,
    'must be 1-15 lowercase letters, digits or dashes, starting with a letter',
  );
/** Kubernetes label values (rr-group, rr-id). */
export const labelValue = z
  .string()
  .regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'must be a Kubernetes label value');

/** A Go duration as Calico's CRDs take it: 120s, 2m, 1h30m. */
export const goDuration = z.string().regex(/^(\d+(\.\d+)?(h|m|s|ms))+$/, 'must be a Go duration like 120s');
export const community = /^\d+:\d+(:\d+)?$/;
export const anyPrefix = z
  .string()
  .refine((s) => parsePrefix(s) !== undefined, 'must be a prefix like 10.96.0.0/16 (host bits zero)');

/** BGPFilter rule (projectcalico.org/v3 BGPFilterRuleV4/V6), kebab-case. */
export const filterRule = z.strictObject({
  action: z.enum(['Accept', 'Reject']),
  'match-operator': z.enum(['Equal', 'NotEqual', 'In', 'NotIn']).optional(),
  cidr: anyPrefix.optional(),
  source: z.enum(['RemotePeers']).optional(),
  interface: z.string().optional(),
});
export const filterShape = z.strictObject({
  name: labelValue,
  'import-v4': z.array(filterRule).optional(),
  'export-v4': z.array(filterRule).optional(),
  'import-v6': z.array(filterRule).optional(),
  'export-v6': z.array(filterRule).optional(),
});

/** BGPPeer fields of the rack's reflectors → leaf BGPPeer, kebab-case of the CRD's. */
export const leafPeeringShape = z.strictObject({
  /** keepOriginalNextHop: the leaf sees the announcing node as next hop, not the reflector. */
  'keep-original-next-hop': z.boolean().optional(),
  'max-restart-time': goDuration.optional(),
  /** TCP MD5 key: a Secret (bgp-password-<rack>, key password) referenced by the BGPPeer; the leaf uses it too. */
  password: z.string().min(1).max(80).optional(),
  /** BGPFilter names (calico.filters). */
  filters: z.array(labelValue).optional(),
  /** numAllowedLocalASNumbers: BIRD's `allow local as N` (routes carrying the rack's own AS accepted). */
  'num-allowed-local-as-numbers': z.number().int().min(0).max(10).optional(),
});

/** A Kubernetes Service and its endpoint pods, one per listed node. */
export const serviceShape = z.strictObject({
  name: labelValue,
  /** ExternalIP: a ClusterIP service with spec.externalIPs [ip]. */
  type: z.enum(['LoadBalancer', 'ClusterIP', 'ExternalIP']),
  /** The announced address: the cluster IP, the external IP or the load-balancer ingress IP. */
  ip: ipv4,
  /** spec.clusterIP of a LoadBalancer or ExternalIP service (default: from service-cluster-ips or 10.96.0.0/12). */
  'cluster-ip': ipv4.optional(),
  'external-traffic-policy': z.enum(['Local', 'Cluster']).default('Cluster'),
  /** Nodes running an endpoint pod (a Deployment pinned to them). */
  endpoints: z.array(deviceName).default([]),
});
