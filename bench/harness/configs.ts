/**
 * One DUT description rendered as each daemon's configuration: BIRD 2, BIRD 1.6, FRR 8.4 bgpd, GoBGP
 * 3.10 and rackbgp. Every neighbor is passive on the DUT (the generator, the sink and the reflector
 * clients connect), imports and exports everything, and is an RFC 4456 client when `rrClient`.
 * `fib` installs best paths in the kernel (BIRD kernel protocol, FRR and GoBGP through zebra).
 */

export interface DutNeighbor {
  readonly address: string;
  readonly asn: number;
  readonly rrClient?: boolean;
}

export interface DutSpec {
  readonly routerId: string;
  readonly asn: number;
  readonly neighbors: readonly DutNeighbor[];
  /** RFC 4456 cluster id when some neighbor is a reflector client. */
  readonly clusterId?: string;
  /** Offer ADD-PATH (RFC 7911) receive and send-all (the Calico template's `add paths on`). */
  readonly addPath?: boolean;
  readonly fib?: boolean;
  /** rackbgp's event journal size (absent: its default). */
  readonly journal?: number;
}

const name = (a: string) => `n_${a.replace(/[.:]/g, '_')}`;

export function bird2Config(s: DutSpec): string {
  const peers = s.neighbors.map(
    (n) => `protocol bgp ${name(n.address)} from peers {
  neighbor ${n.address} as ${n.asn};${n.rrClient ? `\n  rr client;\n  rr cluster id ${s.clusterId ?? s.routerId};` : ''}
}`,
  );
  return `log stderr { warning, error, fatal, bug };
router id ${s.routerId};
protocol device { scan time 10; }
${s.fib ? 'protocol kernel { ipv4 { export all; }; }\n' : ''}
template bgp peers {
  local as ${s.asn};
  passive on;
  ipv4 { import all; export all;${s.addPath ? ' add paths on;' : ''} };
}

${peers.join('\n')}
`;
}

export function bird1Config(s: DutSpec): string {
  const peers = s.neighbors.map(
    (n) => `protocol bgp ${name(n.address)} from peers {
  neighbor ${n.address} as ${n.asn};${n.rrClient ? `\n  rr client;\n  rr cluster id ${s.clusterId ?? s.routerId};` : ''}
}`,
  );
  return `log stderr { warning, error, fatal, bug };
router id ${s.routerId};
protocol device { scan time 10; }
${s.fib ? 'protocol kernel { export all; }\n' : ''}
template bgp peers {
  local as ${s.asn};
  passive on;
  import all;
  export all;${s.addPath ? '\n  add paths on;' : ''}
}

${peers.join('\n')}
`;
}

export function frrConfig(s: DutSpec): string {
  const lines = [
    'frr defaults traditional',
    'hostname dut',
    'log stdout warnings',
    '!',
    `router bgp ${s.asn}`,
    ` bgp router-id ${s.routerId}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
  ];
  if (s.clusterId) lines.push(` bgp cluster-id ${s.clusterId}`);
  // A peer group per AS keeps one update group per role, as an operator would configure it.
  const groups = new Map<string, DutNeighbor[]>();
  for (const n of s.neighbors) {
    const g = `g${n.asn}${n.rrClient ? 'rr' : ''}`;
    groups.set(g, [...(groups.get(g) ?? []), n]);
  }
  for (const [g, ns] of groups) {
    lines.push(
      ` neighbor ${g} peer-group`,
      ` neighbor ${g} remote-as ${ns[0].asn}`,
      ` neighbor ${g} passive`,
    );
    for (const n of ns) lines.push(` neighbor ${n.address} peer-group ${g}`);
  }
  lines.push(' address-family ipv4 unicast');
  for (const [g, ns] of groups) {
    if (ns[0].rrClient) lines.push(`  neighbor ${g} route-reflector-client`);
    if (s.addPath) lines.push(`  neighbor ${g} addpath-tx-all-paths`);
  }
  lines.push(' exit-address-family', '!', '');
  return lines.join('\n');
}

export function gobgpConfig(s: DutSpec, zebraSocket?: string): string {
  const out = ['[global.config]', `  as = ${s.asn}`, `  router-id = "${s.routerId}"`, ''];
  if (s.fib && zebraSocket) {
    // GoBGP installs routes only through zebra's ZAPI (FRR 8.x speaks ZAPI version 6).
    out.push(
      '[zebra.config]',
      '  enabled = true',
      `  url = "unix:${zebraSocket}"`,
      '  version = 6',
      '  software-name = "frr8.1"',
      '',
    );
  }
  for (const n of s.neighbors) {
    out.push(
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${n.address}"`,
      `    peer-as = ${n.asn}`,
      '  [neighbors.transport.config]',
      '    passive-mode = true',
    );
    if (n.rrClient)
      out.push(
        '  [neighbors.route-reflector.config]',
        '    route-reflector-client = true',
        `    route-reflector-cluster-id = "${s.clusterId ?? s.routerId}"`,
      );
    if (s.addPath) out.push('  [neighbors.add-paths.config]', '    receive = true', '    send-max = 255');
    out.push(
      '  [[neighbors.afi-safis]]',
      '    [neighbors.afi-safis.config]',
      '      afi-safi-name = "ipv4-unicast"',
      '',
    );
  }
  return out.join('\n');
}

/**
 * OpenBGPD 7.7 bgpd.conf: every neighbor passive, `allow from/to any` (its default is to deny),
 * the kernel untouched unless `fib` (`fib-update no`); RFC 4456 clients with the cluster id,
 * ADD-PATH receive and send all.
 */
export function openbgpdConfig(s: DutSpec, socket: string): string {
  const out = [
    `AS ${s.asn}`,
    `router-id ${s.routerId}`,
    `socket "${socket}"`,
    `fib-update ${s.fib ? 'yes' : 'no'}`,
    '',
  ];
  for (const n of s.neighbors) {
    out.push(`neighbor ${n.address} {`, `  remote-as ${n.asn}`, '  passive');
    if (n.rrClient) out.push(`  route-reflector ${s.clusterId ?? s.routerId}`);
    if (s.addPath) out.push('  announce add-path recv yes', '  announce add-path send all');
    out.push('}');
  }
  out.push('', 'allow from any', 'allow to any', '');
  return out.join('\n');
}

/** rackbgp YAML; `api` and `metrics` are left to their defaults (loopback of the DUT namespace). */
export function rackbgpConfig(s: DutSpec): string {
  const addPaths = s.addPath ? ', add-paths: { receive: true, send: all }' : '';
  return `router-id: ${s.routerId}
asn: ${s.asn}
${s.clusterId ? `cluster-id: ${s.clusterId}\n` : ''}fib: ${s.fib ? 'true' : 'false'}
${s.journal !== undefined ? `journal: { size: ${s.journal} }\n` : ''}defaults: { passive: true${addPaths} }
neighbors:
${s.neighbors.map((n) => `  - { address: ${n.address}, asn: ${n.asn}${n.rrClient ? ', route-reflector-client: true' : ''} }`).join('\n')}
`;
}
