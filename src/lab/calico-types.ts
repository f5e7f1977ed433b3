/**
 * The Calico v3 resources (projectcalico.org/v3 and the Kubernetes objects calico-node reads) as
 * the lab's confd datastore builder takes them: only the fields the lab renders.
 */
export interface NodeBGPSpec {
  readonly ipv4Address?: string;
  readonly ipv6Address?: string;
  readonly asNumber?: number;
  readonly routeReflectorClusterID?: string;
}
export interface CalicoNodeResource {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly bgp?: NodeBGPSpec;
}
export interface BGPPeerSpec {
  readonly node?: string;
  readonly nodeSelector?: string;
  readonly peerIP?: string;
  readonly peerSelector?: string;
  readonly asNumber?: number;
  readonly sourceAddress?: string;
  readonly keepOriginalNextHop?: boolean;
  /** A Go duration: "120s", "2m". */
  readonly maxRestartTime?: string;
  readonly numAllowedLocalASNumbers?: number;
  readonly ttlSecurity?: number;
  readonly reachableBy?: string;
  readonly filters?: readonly string[];
  /** Read from a Kubernetes Secret in calico-node's namespace (client.go getPassword). */
  readonly password?: { readonly secretKeyRef?: { readonly name: string; readonly key: string } };
}
export interface BGPConfigurationSpec {
  readonly asNumber?: number;
  readonly nodeToNodeMeshEnabled?: boolean;
  readonly logSeverityScreen?: string;
  readonly listenPort?: number;
  readonly bindMode?: string;
  readonly ignoredInterfaces?: readonly string[];
  readonly nodeMeshMaxRestartTime?: string;
  readonly serviceLoadBalancerIPs?: readonly { cidr: string }[];
  readonly serviceClusterIPs?: readonly { cidr: string }[];
  readonly serviceExternalIPs?: readonly { cidr: string }[];
  readonly communities?: readonly { name: string; value: string }[];
  readonly prefixAdvertisements?: readonly { cidr: string; communities?: readonly string[] }[];
}
/** A Kubernetes Service with its Endpoints' addresses, as confd's route generator watches them. */
export interface KubeService {
  readonly name: string;
  readonly type: string;
  readonly clusterIP: string;
  readonly externalTrafficPolicy?: string;
  readonly externalIPs?: readonly string[];
  readonly loadBalancerIP?: string;
  /** status.loadBalancer.ingress[].ip */
  readonly ingressIPs?: readonly string[];
  readonly endpoints: readonly { ip: string; nodeName?: string }[];
}
export interface IPPoolSpec {
  readonly cidr: string;
  readonly ipipMode?: string;
  readonly vxlanMode?: string;
  readonly natOutgoing?: boolean;
  readonly disabled?: boolean;
  readonly disableBGPExport?: boolean;
}
export interface BlockAffinity {
  readonly host: string;
  readonly cidr: string;
  /** confirmed (default), pending (confd skips it), pendingDeletion. */
  readonly state?: string;
}
export interface CalicoResources {
  readonly bgpConfigurations: readonly { name: string; spec: BGPConfigurationSpec }[];
  readonly nodes: readonly CalicoNodeResource[];
  readonly bgpPeers: readonly { name: string; spec: BGPPeerSpec }[];
  readonly ipPools: readonly { name: string; spec: IPPoolSpec }[];
  readonly bgpFilters: readonly { name: string; spec: Record<string, unknown> }[];
  readonly blockAffinities: readonly BlockAffinity[];
  /** Secrets in calico-node's namespace: name → key → value. */
  readonly secrets?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly services?: readonly KubeService[];
}
