/**
 * The configuration schema (YAML, kebab-case keys), validated with zod into a frozen typed object.
 * The core (router-id, asn, listen, fib, api, metrics, neighbors) is stable: scripts rely on it.
 */
import { z } from 'zod';
import { checkPolicyReferences } from '../policy/compile.js';
import { policiesSchema } from '../policy/schema.js';
import { hasIPv4LeadingZero, ipFamily, parseIPv4, parsePrefix } from '../util/ip.js';

/** A string checked by `valid`; a dotted quad with leading zeros gets its own message. */
const address = (valid: (s: string) => boolean, what: string) =>
  z.string().check((ctx) => {
    if (valid(ctx.value)) return;
    const [addr, len] = ctx.value.split('/');
    const message = hasIPv4LeadingZero(addr)
      ? `leading zeros are not allowed in '${addr}' (some tools read 010 as octal 8): write ${addr
          .split('.')
          .map((o) => String(Number(o)))
          .join('.')}${len === undefined ? '' : `/${len}`}`
      : `must be ${what}`;
    ctx.issues.push({ code: 'custom', message, input: ctx.value });
  });

const ipv4 = address((s) => parseIPv4(s) >= 0, 'an IPv4 address');
const ip = address((s) => ipFamily(s) !== 0, 'an IPv4 or IPv6 address');
const prefix = address((s) => parsePrefix(s) !== null, 'a prefix like 10.1.0.0/24 (host bits zero)');
const asn = z.number().int().min(1).max(4294967295);
const port = z.number().int().min(1).max(65535);
const seconds = z.number().int().min(0).max(65535);
/** A Linux interface name (dev_valid_name: 1-15 bytes, no '/', ':' or white space). */
const ifname = z
  .string()
  .regex(/^[^\s/:%#"'\\]{1,15}$/, 'must be an interface name (1-15 characters, no / : % or spaces)');
/**
 * A neighbor's address: IPv4, IPv6, or an IPv6 link-local one with its interface (`fe80::1%eth1`,
 * RFC 4007 §11 zone index), which a link-local address needs.
 */
const neighborAddress = z.string().check((ctx) => {
  const [addr, zone, ...more] = ctx.value.split('%');
  const linkLocal = /^fe[89ab]/i.test(addr) && ipFamily(addr) === 6;
  let message: string | null = null;
  if (zone === undefined) {
    if (linkLocal) message = `a link-local address needs its interface: write ${addr}%eth1 (your interface)`;
    else if (ipFamily(addr) === 0) message = ip.safeParse(addr).error?.issues[0]?.message ?? null;
  } else if (!linkLocal) message = 'only an IPv6 link-local address (fe80::/10) takes a %interface';
  else if (more.length || !ifname.safeParse(zone).success) message = `bad interface name '${zone}' after %`;
  if (message) ctx.issues.push({ code: 'custom', message, input: ctx.value });
});
const peerAsn = z.union([asn, z.enum(['internal', 'external'])]);
const endpoint = (defaultPort: number) =>
  z.strictObject({ address: ip.default('127.0.0.1'), port: port.default(defaultPort) });

export const FAMILY_NAMES = ['ipv4-unicast', 'ipv6-unicast'] as const;
export const CAPABILITY_NAMES = [
  'route-refresh',
  'four-octet-as',
  'add-path',
  'graceful-restart',
  'extended-message',
  'enhanced-route-refresh',
  'multiprotocol',
] as const;

/** Milliseconds a BFD interval may take (FRR's range). */
const bfdInterval = z.number().int().min(10).max(60000);
const bfdSchema = z.strictObject({
  /** Required Min RX Interval we announce, milliseconds. */
  'min-rx': bfdInterval.optional(),
  /** Desired Min TX Interval, milliseconds. */
  'min-tx': bfdInterval.optional(),
  /** Detect Mult: packets missed before the session is declared down. */
  multiplier: z.number().int().min(1).max(255).optional(),
  /** RFC 5883 multihop session (UDP 4784, TTL not checked) instead of single hop (3784, TTL 255). */
  multihop: z.boolean().optional(),
  /** BGP waits for BFD Up before it starts (default true); false: BFD only takes a session down. */
  'hold-bgp': z.boolean().optional(),
});

/** Session settings a neighbor and a listen-range template share. */
const sessionSettings = {
  description: z.string().optional(),
  passive: z.boolean().optional(),
  port: port.optional(),
  'source-address': ip.optional(),
  'hold-time': seconds.refine((v) => v === 0 || v >= 3, 'must be 0 or at least 3 (RFC 4271 §4.2)').optional(),
  'keepalive-time': seconds.optional(),
  'connect-retry-time': z.number().int().min(1).max(65535).optional(),
  'delay-open-time': seconds.optional(),
  /** Seconds in Idle after an error before trying again (BIRD's error wait). */
  'idle-hold-time': seconds.optional(),
  families: z.array(z.enum(FAMILY_NAMES)).min(1).optional(),
  /** Shorthand for add-paths: receive = { receive: true }, send = { send: all }, both = both. */
  'add-path': z.enum(['off', 'receive', 'send', 'both']).optional(),
  /** ADD-PATH (RFC 7911) for every family of the session: receive, and send all paths or the best N. */
  'add-paths': z
    .strictObject({
      receive: z.boolean().default(false),
      send: z.union([z.literal('all'), z.number().int().min(1).max(64)]).optional(),
    })
    .optional(),
  /** RFC 4456 route-reflector client of this speaker. */
  'route-reflector-client': z.boolean().optional(),
  /** Next hop self also towards iBGP peers. */
  'next-hop-self': z.boolean().optional(),
  /** Keep the received next hop towards eBGP peers (next-hop-unchanged). */
  'next-hop-keep': z.boolean().optional(),
  /** Keep the Adj-RIB-In before import policy: a new import policy is applied without ROUTE-REFRESH. */
  'soft-reconfiguration-inbound': z.boolean().optional(),
  /** Accept routes carrying our own AS up to this many times. */
  'allowas-in': z.number().int().min(0).max(10).optional(),
  /** Most prefixes accepted from the neighbor; over it: Cease 6/1, restart after the interval (seconds) when set. */
  'max-prefix': z
    .strictObject({ limit: z.number().int().min(1), 'restart-after': seconds.optional() })
    .optional(),
  /** MinRouteAdvertisementInterval (RFC 4271 §9.2.1.1), seconds: changes to this peer go out at most once per interval. */
  'advertisement-interval': seconds.optional(),
  /** Names of policies applied on import / export, in order. */
  import: z.array(z.string()).optional(),
  export: z.array(z.string()).optional(),
  /** RFC 4724: true (restart time 120 s), false, or the restart time and RFC 8538's N bit (default off). */
  'graceful-restart': z
    .union([
      z.boolean(),
      z.strictObject({
        'restart-time': z.number().int().min(1).max(4095).optional(),
        notification: z.boolean().optional(),
      }),
    ])
    .optional(),
  'extended-message': z.boolean().optional(),
  'required-capabilities': z.array(z.enum(CAPABILITY_NAMES)).optional(),
  /** eBGP multihop TTL (Linux sends with TTL 64 unless set otherwise). */
  'ebgp-multihop': z.number().int().min(1).max(255).optional(),
  /** TCP MD5 signature key (RFC 2385; Calico BGPPeer `password`), on both the listener and outgoing connections. */
  password: z.string().min(1).max(80, 'must be at most 80 characters (TCP_MD5SIG_MAXKEYLEN)').optional(),
  /** GTSM (RFC 5082): send with TTL 255, accept only TTL ≥ 256 − hops; true means hops 1 (FRR `ttl-security hops N`, BIRD `ttl security`). */
  'ttl-security': z
    .union([z.boolean(), z.strictObject({ hops: z.number().int().min(1).max(254) })])
    .optional(),
  /** Administratively down: configured but not started. */
  shutdown: z.boolean().optional(),
  /** BFD (RFC 5880; 5881 single hop, 5883 multihop): true for 300 ms × 3 (FRR's defaults), or the timers. */
  bfd: z.union([z.boolean(), bfdSchema]).optional(),
  /**
   * RFC 8950 Extended Next Hop: IPv4 unicast with IPv6 next hops, announced in OPEN and used when
   * both agree (default: on for interface and link-local neighbors, off otherwise).
   */
  'extended-next-hop': z.boolean().optional(),
};

/**
 * A neighbor by address, or by interface (unnumbered: the session runs between the link-local
 * addresses, the peer's learned from its Router Advertisements or its connection). `asn` may be
 * any external or our own AS instead of a number.
 */
export const neighborSchema = z
  .strictObject({
    address: neighborAddress.optional(),
    interface: ifname.optional(),
    asn: peerAsn,
    ...sessionSettings,
  })
  .superRefine((n, ctx) => {
    if ((n.address === undefined) === (n.interface === undefined))
      ctx.addIssue({
        code: 'custom',
        path: n.address === undefined ? [] : ['interface'],
        message: 'give address or interface (one of them)',
      });
    if (n.password !== undefined && (n.interface !== undefined || n.address?.includes('%')))
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'TCP MD5 is not supported on link-local (interface) neighbors',
      });
  });

/** The key a neighbor is known by: its address, or its interface for an unnumbered one. */
export const neighborKey = (n: { address?: string | undefined; interface?: string | undefined }): string =>
  n.address ?? n.interface ?? '';

export const listenRangeSchema = z.strictObject({
  prefix,
  /** A number, or any internal / external AS. */
  asn: peerAsn,
  /** Most dynamic neighbors accepted at once from this range. */
  limit: z.number().int().min(1).max(100000).default(100),
  ...sessionSettings,
});

const configShape = z.strictObject({
  'router-id': ipv4,
  asn,
  listen: z
    .strictObject({
      address: z.union([ip, z.array(ip).min(1)]).default('0.0.0.0'),
      port: port.default(179),
    })
    .default({ address: '0.0.0.0', port: 179 }),
  fib: z.boolean().default(true),
  /** Leave the installed routes in the kernel when the daemon stops (default: remove them). */
  'fib-keep-on-shutdown': z.boolean().default(false),
  /** Metric of the routes rackbgp installs (`proto rackbgp`, 179). */
  'fib-metric': z.number().int().min(0).max(4294967295).default(20),
  /** How routes reach the kernel: rtnetlink directly, `ip -batch`, or netlink with ip as fallback. */
  'fib-method': z.enum(['auto', 'netlink', 'ip-batch']).default('auto'),
  /** Originate the subnets of connected interfaces, chosen by interface name or by prefix. */
  redistribute: z
    .strictObject({
      connected: z
        .array(
          z.union([prefix, z.string().regex(/^[\w.@:+-]{1,15}$/, 'must be an interface name or a prefix')]),
        )
        .default([]),
    })
    .default({ connected: [] }),
  /** RFC 4456 cluster id (default: router-id). */
  'cluster-id': ipv4.optional(),
  /** Milliseconds a new session waits before its initial table, so sessions and routes arriving together go out as one (FRR's coalesce-time). */
  'coalesce-time': z.number().int().min(0).max(10000).default(50),
  /**
   * Graceful restart of this daemon (`rackbgp restart`, RFC 4724 §4.1) and as helper (§4.2); what each
   * session announces is its own `graceful-restart`.
   */
  'graceful-restart': z
    .strictObject({
      /** After a restart: longest wait for End-of-RIB from every GR neighbor before selecting and sending (FRR: 360). */
      'selection-deferral-time': z.number().int().min(1).max(3600).default(360),
      /** Helper: after a restarted neighbor is back, longest wait for its End-of-RIB (BIRD, FRR: 360). */
      'stale-path-time': z.number().int().min(1).max(3600).default(360),
      /** Where `rackbgp restart` leaves the marker the next run reads (one file per router-id). */
      'state-dir': z.string().min(1).default('/run/rackbgp'),
    })
    .default({ 'selection-deferral-time': 360, 'stale-path-time': 360, 'state-dir': '/run/rackbgp' }),
  /** RFC 7313 §4: seconds after a neighbor's BoRR until its paths not re-sent go when no EoRR comes. */
  'refresh-stale-time': z.number().int().min(1).max(65535).default(360),
  /** The event journal (issue 15): events kept in memory (0: no journal, no per-prefix history). */
  journal: z
    .strictObject({ size: z.number().int().min(0).max(10_000_000).default(100_000) })
    .default({ size: 100_000 }),
  /** ECMP width for best paths installed and used (1: no multipath). */
  'maximum-paths': z.number().int().min(1).max(64).default(1),
  /** Multipath across different neighbor ASes, as lab fabrics use. */
  'multipath-relax': z.boolean().default(false),
  /** Compare MED between paths from different neighbor ASes. */
  'always-compare-med': z.boolean().default(false),
  /** RFC 8212: eBGP sessions without import/export policy accept and send nothing. */
  'ebgp-requires-policy': z.boolean().default(false),
  /** Prefixes to originate, with optional attributes. */
  networks: z
    .array(
      z.union([
        prefix,
        z.strictObject({
          prefix,
          communities: z.array(z.string().regex(/^\d+:\d+$/, 'must be ASN:VALUE')).optional(),
          med: z.number().int().min(0).max(4294967295).optional(),
          'local-pref': z.number().int().min(0).max(4294967295).optional(),
        }),
      ]),
    )
    .default([]),
  /** The JSON API (CLI, scripts): loopback by default; `false` turns it off. */
  api: z
    .union([
      z.literal(false),
      endpoint(50179)
        .extend({
          /** Bearer token required for actions (POST); without one, actions are allowed on loopback only. */
          token: z.string().min(8, 'must be at least 8 characters').optional(),
          /** A file holding the token (read at start, trimmed), so the config can be shared without it. */
          'token-file': z.string().min(1, 'must be a file path').optional(),
        })
        .refine((a) => a.token === undefined || a['token-file'] === undefined, {
          message: 'give token or token-file, not both',
          path: ['token-file'],
        }),
    ])
    .default({ address: '127.0.0.1', port: 50179 }),
  /** MRT recording (RFC 6396, README "MRT"): RIB snapshots and BGP messages of chosen neighbors to a file. */
  mrt: z
    .strictObject({
      /** Path; %Y %m %d %H %M %S are replaced by the UTC time the file is started (needed with rotate). */
      file: z.string().min(1, 'must be a file path'),
      /** Seconds between TABLE_DUMP_V2 snapshots of the RIB (0: none, only `rackbgp mrt dump`). */
      interval: z.number().int().min(0).max(86400).default(0),
      /** Seconds after which a new file is started (0: one file). */
      rotate: z
        .number()
        .int()
        .min(0)
        .max(86400 * 7)
        .default(0),
      /** Neighbors whose messages are recorded (BGP4MP), or `all`. */
      messages: z.union([z.literal('all'), z.array(ip)]).default([]),
    })
    .refine((m) => m.rotate === 0 || /%[YmdHMS]/.test(m.file), {
      message:
        'rotate needs a time in the file name (%Y %m %d %H %M %S), or every rotation would overwrite one file',
      path: ['rotate'],
    })
    .optional(),
  /** BMP monitoring stations (RFC 7854) this speaker connects to, README "BMP". */
  bmp: z
    .array(
      z.strictObject({
        address: ip,
        port: port,
        /** Seconds between statistics reports (RFC 7854 §4.8; 0: none). */
        'statistics-interval': z.number().int().min(0).max(3600).default(60),
        /** Octets queued for a slow station before messages are dropped (then it is resynchronised). */
        'buffer-size': z
          .number()
          .int()
          .min(65536)
          .max(1 << 30)
          .default(16 << 20),
      }),
    )
    .default([]),
  /** Prometheus /metrics: loopback by default; `false` turns it off. */
  metrics: z.union([z.literal(false), endpoint(9179)]).default({ address: '127.0.0.1', port: 9179 }),
  /** Named import/export policies (see README "Policies"). */
  policies: policiesSchema.default({}),
  /** Defaults for every neighbor and range (same keys as a neighbor). */
  defaults: z.strictObject(sessionSettings).optional(),
  neighbors: z.array(neighborSchema).default([]),
  'listen-ranges': z.array(listenRangeSchema).default([]),
});

/** Policy names used by neighbors, ranges and defaults must be defined (path points at the use). */
export const configSchema = configShape.superRefine((c, ctx) => {
  const refs: { name: string; path: (string | number)[] }[] = [];
  const collect = (s: { import?: string[]; export?: string[] } | undefined, path: (string | number)[]) => {
    for (const dir of ['import', 'export'] as const) {
      for (const [i, name] of (s?.[dir] ?? []).entries()) refs.push({ name, path: [...path, dir, i] });
    }
  };
  collect(c.defaults, ['defaults']);
  for (const [i, n] of c.neighbors.entries()) collect(n, ['neighbors', i]);
  for (const [i, r] of c['listen-ranges'].entries()) collect(r, ['listen-ranges', i]);
  for (const p of checkPolicyReferences(refs, c.policies))
    ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
  checkTtlSecurity(c, ctx);
});

/** RFC 5082 GTSM fixes the TTL at 255: with ebgp-multihop (own or from defaults) it is an error, as in FRR. */
function checkTtlSecurity(c: z.output<typeof configShape>, ctx: z.RefinementCtx): void {
  type S = { 'ebgp-multihop'?: number; 'ttl-security'?: boolean | { hops: number } };
  const check = (own: S | undefined, path: (string | number)[], inherited: S = {}) => {
    const gtsm = own?.['ttl-security'] ?? inherited['ttl-security'];
    const multihop = own?.['ebgp-multihop'] ?? inherited['ebgp-multihop'];
    if (!gtsm || multihop === undefined) return;
    const key = own?.['ttl-security'] !== undefined ? 'ttl-security' : 'ebgp-multihop';
    ctx.addIssue({
      code: 'custom',
      path: own?.[key] !== undefined ? [...path, key] : ['defaults', key],
      message: 'ttl-security and ebgp-multihop exclude each other (use ttl-security: { hops: N })',
    });
  };
  check(c.defaults, ['defaults']);
  if (c.defaults?.['ttl-security'] && c.defaults['ebgp-multihop'] !== undefined) return;
  for (const [i, n] of c.neighbors.entries()) check(n, ['neighbors', i], c.defaults);
  for (const [i, r] of c['listen-ranges'].entries()) check(r, ['listen-ranges', i], c.defaults);
}

export type Config = z.output<typeof configSchema>;
/** What a config file or object may say (defaults not yet filled in): the input of Speaker.fromConfig. */
export type ConfigInput = z.input<typeof configSchema>;
export type NeighborConfig = z.output<typeof neighborSchema>;
export type ListenRangeConfig = z.output<typeof listenRangeSchema>;
export type SessionSettings = z.output<z.ZodObject<typeof sessionSettings>>;
