/**
 * fast-check arbitraries for valid messages in canonical form, i.e. the form decode produces:
 * AS_PATH segments of 1-255 ASNs, no empty community lists, unknown attributes sorted by code, and on
 * a 2-octet AS session confederation segments only in front with 2-octet ASNs (RFC 6793 §4.2.3).
 */
import fc from 'fast-check';
import { formatIPv4, formatIPv6, formatPrefix, maskBytes } from '../../../src/util/ip.js';
import {
  Afi,
  type AsPathSegment,
  AsPathSegmentType,
  type Capability,
  family,
  IPV4_UNICAST,
  IPV6_UNICAST,
  type KeepaliveMessage,
  type MpReach,
  type MpUnreach,
  NlriList,
  type NotificationMessage,
  type OpenMessage,
  type PathAttributes,
  type RouteRefreshMessage,
  type UpdateContext,
  type UpdateMessage,
} from '../../../src/wire/index.js';

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** 4-octet ASNs, weighted towards the interesting ones. */
const asn = fc.oneof(u16, u32, fc.constantFrom(23456, 65535, 65536, 4200000000));
const ipv4 = u32.map(formatIPv4);
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIPv6(b));

const prefix = (afi: number) => {
  const size = afi === Afi.IPV4 ? 4 : 16;
  return fc
    .tuple(fc.integer({ min: 0, max: size * 8 }), fc.uint8Array({ minLength: size, maxLength: size }))
    .map(([len, bytes]) => formatPrefix(size === 4 ? 4 : 6, maskBytes(bytes, len), len));
};

export const nlriList = (afi: number, addPath: boolean, maxLength = 8) =>
  fc
    .array(fc.record({ prefix: prefix(afi), pathId: u32 }), { maxLength })
    .map((entries) => NlriList.from(afi, entries, addPath));

export interface SessionShape {
  fourOctetAs: boolean;
  addPathV4: boolean;
  addPathV6: boolean;
}

export const sessionShape: fc.Arbitrary<SessionShape> = fc.record({
  fourOctetAs: fc.boolean(),
  addPathV4: fc.boolean(),
  addPathV6: fc.boolean(),
});

export function contextOf(s: SessionShape): UpdateContext {
  const fams = new Set([...(s.addPathV4 ? [IPV4_UNICAST] : []), ...(s.addPathV6 ? [IPV6_UNICAST] : [])]);
  return { fourOctetAs: s.fourOctetAs, addPathRx: fams, addPathTx: fams };
}

const segment = (types: number[], asns: fc.Arbitrary<number>) =>
  fc.record({
    type: fc.constantFrom(...types),
    asns: fc.array(asns, { minLength: 1, maxLength: 12 }),
  });

const asPath = (fourOctetAs: boolean): fc.Arbitrary<AsPathSegment[]> => {
  const { AS_SET, AS_SEQUENCE, AS_CONFED_SEQUENCE, AS_CONFED_SET } = AsPathSegmentType;
  const confed = [AS_CONFED_SEQUENCE, AS_CONFED_SET];
  if (fourOctetAs) return fc.array(segment([AS_SET, AS_SEQUENCE, ...confed], asn), { maxLength: 4 });
  return fc
    .tuple(
      fc.array(segment(confed, u16), { maxLength: 2 }),
      fc.array(segment([AS_SET, AS_SEQUENCE], asn), { maxLength: 4 }),
    )
    .map(([front, rest]) => [...front, ...rest]);
};

/** Attribute type codes the codec interprets (MP_REACH/MP_UNREACH included). */
const KNOWN = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32]);
const unknownAttrs = fc
  .uniqueArray(
    fc.record({
      flags: fc.constantFrom(0xc0, 0xe0), // optional transitive, with or without Partial
      code: u8.filter((c) => !KNOWN.has(c)),
      // Some over 255 octets, to be sent with the Extended Length bit.
      value: fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ minLength: 250, maxLength: 300 })),
    }),
    { selector: (a) => a.code, minLength: 1, maxLength: 3 },
  )
  .map((a) => a.sort((x, y) => x.code - y.code));

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const nonEmpty = <T>(a: fc.Arbitrary<T>, maxLength = 6) => fc.array(a, { minLength: 1, maxLength });

export const attributes = (fourOctetAs: boolean): fc.Arbitrary<PathAttributes> =>
  fc.record(
    {
      origin: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
      asPath: asPath(fourOctetAs),
      nextHop: ipv4,
      med: u32,
      localPref: u32,
      atomicAggregate: fc.constant(true),
      aggregator: fc.record({ asn, address: ipv4 }),
      communities: nonEmpty(u32),
      originatorId: ipv4,
      clusterList: nonEmpty(ipv4, 4),
      extendedCommunities: nonEmpty(
        fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex')),
      ),
      largeCommunities: nonEmpty(fc.tuple(u32, u32, u32), 4),
      unknown: unknownAttrs,
    },
    { requiredKeys: [] },
  );

const mpReach = (s: SessionShape): fc.Arbitrary<MpReach> =>
  fc
    .oneof(
      fc.record({
        family: fc.constant(IPV6_UNICAST),
        nextHop: ipv6,
        linkLocalNextHop: opt(ipv6),
        nlri: nlriList(Afi.IPV6, s.addPathV6),
      }),
      fc.record({
        family: fc.constant(IPV4_UNICAST),
        nextHop: fc.oneof(ipv4, ipv6), // RFC 8950: an IPv6 next hop for IPv4 NLRI
        nlri: nlriList(Afi.IPV4, s.addPathV4),
      }),
    )
    .map((r) => {
      const { linkLocalNextHop, ...rest } = r as MpReach;
      return linkLocalNextHop === undefined ? rest : { ...rest, linkLocalNextHop };
    });

const mpUnreach = (s: SessionShape): fc.Arbitrary<MpUnreach> =>
  fc.oneof(
    fc.record({ family: fc.constant(IPV6_UNICAST), withdrawn: nlriList(Afi.IPV6, s.addPathV6) }),
    fc.record({ family: fc.constant(IPV4_UNICAST), withdrawn: nlriList(Afi.IPV4, s.addPathV4) }),
  );

/** A valid UPDATE for the session: announced NLRI come with ORIGIN, AS_PATH (and NEXT_HOP if classic). */
export const update = (s: SessionShape): fc.Arbitrary<UpdateMessage> =>
  fc
    .record({
      withdrawn: nlriList(Afi.IPV4, s.addPathV4),
      attributes: attributes(s.fourOctetAs),
      mpReach: opt(mpReach(s)),
      mpUnreach: opt(mpUnreach(s)),
      nlri: nlriList(Afi.IPV4, s.addPathV4),
    })
    .map(({ withdrawn, attributes: a, mpReach: reach, mpUnreach: unreach, nlri }) => {
      const attrs: Record<string, unknown> = Object.fromEntries(
        Object.entries(a).filter(([, v]) => v !== undefined),
      );
      if (nlri.count || reach?.nlri.count) {
        attrs.origin ??= 0;
        attrs.asPath ??= [];
      }
      if (nlri.count) attrs.nextHop ??= '10.0.0.1';
      return {
        type: 'update',
        withdrawn,
        attributes: attrs as PathAttributes,
        ...(reach && { mpReach: reach }),
        ...(unreach && { mpUnreach: unreach }),
        nlri,
      };
    });

const anyFamily = fc.tuple(u16, u8).map(([afi, safi]) => family(afi, safi));
const list = <T>(a: fc.Arbitrary<T>) => fc.array(a, { maxLength: 6 });
const text = fc.string({ unit: 'binary', maxLength: 30 });
const KNOWN_CAPS = new Set([1, 2, 5, 6, 64, 65, 69, 70, 71, 73, 128]);

export const capability: fc.Arbitrary<Capability> = fc.oneof(
  anyFamily.map((f) => ({ kind: 'multiprotocol' as const, family: f })),
  fc.constantFrom(
    { kind: 'route-refresh' as const },
    { kind: 'route-refresh-old' as const },
    { kind: 'extended-message' as const },
    { kind: 'enhanced-route-refresh' as const },
  ),
  list(fc.record({ family: anyFamily, nextHopAfi: u16 })).map((entries) => ({
    kind: 'extended-next-hop' as const,
    entries,
  })),
  fc.record({
    kind: fc.constant('graceful-restart' as const),
    restarting: fc.boolean(),
    notification: fc.boolean(),
    restartTime: fc.integer({ min: 0, max: 0xfff }),
    families: list(fc.record({ family: anyFamily, forwarding: fc.boolean() })),
  }),
  u32.map((n) => ({ kind: 'four-octet-as' as const, asn: n })),
  list(fc.record({ family: anyFamily, mode: u8 })).map((families) => ({
    kind: 'add-path' as const,
    families,
  })),
  list(
    fc.record({
      family: anyFamily,
      forwarding: fc.boolean(),
      staleTime: fc.integer({ min: 0, max: 0xffffff }),
    }),
  ).map((families) => ({ kind: 'long-lived-graceful-restart' as const, families })),
  fc.record({ kind: fc.constant('fqdn' as const), hostname: text, domain: text }),
  fc.record({
    kind: fc.constant('unknown' as const),
    code: u8.filter((c) => !KNOWN_CAPS.has(c)),
    value: fc.uint8Array({ maxLength: 40 }),
  }),
);

export const open: fc.Arbitrary<OpenMessage> = fc.record({
  type: fc.constant('open' as const),
  version: fc.constant(4),
  myAs: u16,
  holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
  routerId: fc.integer({ min: 1, max: 0xffffffff }).map(formatIPv4),
  // Some sets of capabilities over 255 octets, which need RFC 9072 extended parameters.
  capabilities: fc.oneof(
    fc.array(capability, { maxLength: 8 }),
    fc.array(capability, { minLength: 30, maxLength: 50 }),
  ),
});

export const notification: fc.Arbitrary<NotificationMessage> = fc.record({
  type: fc.constant('notification' as const),
  code: u8,
  subcode: u8,
  data: fc.uint8Array({ maxLength: 100 }),
});

export const routeRefresh: fc.Arbitrary<RouteRefreshMessage> = fc.record({
  type: fc.constant('route-refresh' as const),
  family: anyFamily,
  subtype: u8,
});

export const keepalive: fc.Arbitrary<KeepaliveMessage> = fc.constant({ type: 'keepalive' as const });
