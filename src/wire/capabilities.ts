/**
 * BGP capabilities (RFC 5492) carried in OPEN: decode/encode of each known capability;
 * unknown codes are kept raw and ignored by negotiation (RFC 5492 §3).
 */
import { CapabilityCode, ErrorCode, type Family, family, familyAfi, familySafi } from './constants.js';
import { BgpError } from './errors.js';
import { Reader } from './reader.js';
import type { Writer } from './writer.js';

/** ADD-PATH Send/Receive field (RFC 7911 §4). */
export const AddPathMode = { RECEIVE: 1, SEND: 2, BOTH: 3 } as const;

export type Capability =
  | { readonly kind: 'multiprotocol'; readonly family: Family }
  | { readonly kind: 'route-refresh' }
  | { readonly kind: 'route-refresh-old' }
  | {
      readonly kind: 'extended-next-hop';
      readonly entries: readonly { readonly family: Family; readonly nextHopAfi: number }[];
    }
  | { readonly kind: 'extended-message' }
  | {
      readonly kind: 'graceful-restart';
      /** R bit: the sender has restarted. */
      readonly restarting: boolean;
      /** N bit (RFC 8538): graceful NOTIFICATION supported. */
      readonly notification: boolean;
      readonly restartTime: number;
      readonly families: readonly { readonly family: Family; readonly forwarding: boolean }[];
    }
  | { readonly kind: 'four-octet-as'; readonly asn: number }
  | {
      readonly kind: 'add-path';
      readonly families: readonly { readonly family: Family; readonly mode: number }[];
    }
  | { readonly kind: 'enhanced-route-refresh' }
  | {
      readonly kind: 'long-lived-graceful-restart';
      readonly families: readonly {
        readonly family: Family;
        readonly forwarding: boolean;
        readonly staleTime: number;
      }[];
    }
  | { readonly kind: 'fqdn'; readonly hostname: string; readonly domain: string }
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Uint8Array };

export type CapabilityKind = Capability['kind'];

const malformed = (what: string): never => {
  // RFC 5492 leaves a malformed capability's subcode open; BIRD and FRR send OPEN Message Error / 0.
  throw new BgpError(ErrorCode.OPEN_MESSAGE, 0, new Uint8Array(0), `malformed capability: ${what}`);
};

/** Decodes one capability value (code already read). Throws BgpError (2/0) when malformed. */
export function decodeCapability(code: number, value: Uint8Array): Capability {
  const r = new Reader(value, 0, value.length, () => malformed(`code ${code} too short`));
  const exact = (n: number) => value.length === n || malformed(`code ${code} length ${value.length}`);
  const multiple = (n: number) => value.length % n === 0 || malformed(`code ${code} length ${value.length}`);
  // ignoreBOM keeps a leading U+FEFF in the text instead of silently dropping it.
  const textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
  switch (code) {
    case CapabilityCode.MULTIPROTOCOL: {
      exact(4);
      const afi = r.u16();
      r.u8(); // reserved
      return { kind: 'multiprotocol', family: family(afi, r.u8()) };
    }
    case CapabilityCode.ROUTE_REFRESH:
      exact(0);
      return { kind: 'route-refresh' };
    case CapabilityCode.ROUTE_REFRESH_OLD:
      exact(0);
      return { kind: 'route-refresh-old' };
    case CapabilityCode.EXTENDED_NEXT_HOP: {
      multiple(6);
      const entries = [];
      while (r.remaining) {
        const afi = r.u16();
        const safi = r.u16();
        entries.push({ family: family(afi, safi), nextHopAfi: r.u16() });
      }
      return { kind: 'extended-next-hop', entries };
    }
    case CapabilityCode.EXTENDED_MESSAGE:
      exact(0);
      return { kind: 'extended-message' };
    case CapabilityCode.GRACEFUL_RESTART: {
      if (value.length < 2 || (value.length - 2) % 4 !== 0)
        malformed(`graceful restart length ${value.length}`);
      const head = r.u16();
      const families = [];
      while (r.remaining) {
        const afi = r.u16();
        const safi = r.u8();
        families.push({ family: family(afi, safi), forwarding: (r.u8() & 0x80) !== 0 });
      }
      return {
        kind: 'graceful-restart',
        restarting: (head & 0x8000) !== 0,
        notification: (head & 0x4000) !== 0,
        restartTime: head & 0x0fff,
        families,
      };
    }
    case CapabilityCode.FOUR_OCTET_AS:
      exact(4);
      return { kind: 'four-octet-as', asn: r.u32() };
    case CapabilityCode.ADD_PATH: {
      multiple(4);
      const families = [];
      while (r.remaining) {
        const afi = r.u16();
        const safi = r.u8();
        families.push({ family: family(afi, safi), mode: r.u8() });
      }
      return { kind: 'add-path', families };
    }
    case CapabilityCode.ENHANCED_ROUTE_REFRESH:
      exact(0);
      return { kind: 'enhanced-route-refresh' };
    case CapabilityCode.LONG_LIVED_GRACEFUL_RESTART: {
      multiple(7);
      const families = [];
      while (r.remaining) {
        const afi = r.u16();
        const safi = r.u8();
        const flags = r.u8();
        const staleTime = (r.u8() << 16) | r.u16();
        families.push({ family: family(afi, safi), forwarding: (flags & 0x80) !== 0, staleTime });
      }
      return { kind: 'long-lived-graceful-restart', families };
    }
    case CapabilityCode.FQDN: {
      const hostname = textDecoder.decode(r.view(r.u8()));
      const domain = r.remaining ? textDecoder.decode(r.view(r.u8())) : '';
      return { kind: 'fqdn', hostname, domain };
    }
    default:
      return { kind: 'unknown', code, value: Uint8Array.from(value) };
  }
}

const codeOf: Record<Exclude<CapabilityKind, 'unknown'>, number> = {
  multiprotocol: CapabilityCode.MULTIPROTOCOL,
  'route-refresh': CapabilityCode.ROUTE_REFRESH,
  'route-refresh-old': CapabilityCode.ROUTE_REFRESH_OLD,
  'extended-next-hop': CapabilityCode.EXTENDED_NEXT_HOP,
  'extended-message': CapabilityCode.EXTENDED_MESSAGE,
  'graceful-restart': CapabilityCode.GRACEFUL_RESTART,
  'four-octet-as': CapabilityCode.FOUR_OCTET_AS,
  'add-path': CapabilityCode.ADD_PATH,
  'enhanced-route-refresh': CapabilityCode.ENHANCED_ROUTE_REFRESH,
  'long-lived-graceful-restart': CapabilityCode.LONG_LIVED_GRACEFUL_RESTART,
  fqdn: CapabilityCode.FQDN,
};

export const capabilityCode = (c: Capability): number => (c.kind === 'unknown' ? c.code : codeOf[c.kind]);

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Length of the capability value (without code and length octets). */
export function capabilityValueLength(c: Capability): number {
  switch (c.kind) {
    case 'multiprotocol':
    case 'four-octet-as':
      return 4;
    case 'route-refresh':
    case 'route-refresh-old':
    case 'extended-message':
    case 'enhanced-route-refresh':
      return 0;
    case 'extended-next-hop':
      return 6 * c.entries.length;
    case 'graceful-restart':
      return 2 + 4 * c.families.length;
    case 'add-path':
      return 4 * c.families.length;
    case 'long-lived-graceful-restart':
      return 7 * c.families.length;
    case 'fqdn':
      return 2 + utf8(c.hostname).length + utf8(c.domain).length;
    case 'unknown':
      return c.value.length;
  }
}

/** Writes code, length and value. */
export function writeCapability(w: Writer, c: Capability): void {
  const len = capabilityValueLength(c);
  // RFC 5492 §4: Capability Length is one octet; a longer value cannot be encoded.
  if (len > 255) throw new RangeError(`capability ${capabilityCode(c)} value of ${len} octets exceeds 255`);
  w.u8(capabilityCode(c)).u8(len);
  switch (c.kind) {
    case 'multiprotocol':
      w.u16(familyAfi(c.family)).u8(0).u8(familySafi(c.family));
      return;
    case 'four-octet-as':
      w.u32(c.asn);
      return;
    case 'route-refresh':
    case 'route-refresh-old':
    case 'extended-message':
    case 'enhanced-route-refresh':
      return;
    case 'extended-next-hop':
      for (const e of c.entries) w.u16(familyAfi(e.family)).u16(familySafi(e.family)).u16(e.nextHopAfi);
      return;
    case 'graceful-restart':
      w.u16((c.restarting ? 0x8000 : 0) | (c.notification ? 0x4000 : 0) | (c.restartTime & 0x0fff));
      for (const f of c.families)
        w.u16(familyAfi(f.family))
          .u8(familySafi(f.family))
          .u8(f.forwarding ? 0x80 : 0);
      return;
    case 'add-path':
      for (const f of c.families) w.u16(familyAfi(f.family)).u8(familySafi(f.family)).u8(f.mode);
      return;
    case 'long-lived-graceful-restart':
      for (const f of c.families) {
        w.u16(familyAfi(f.family))
          .u8(familySafi(f.family))
          .u8(f.forwarding ? 0x80 : 0);
        w.u8((f.staleTime >>> 16) & 255).u16(f.staleTime & 0xffff);
      }
      return;
    case 'fqdn': {
      const h = utf8(c.hostname);
      const d = utf8(c.domain);
      w.u8(h.length).bytes(h).u8(d.length).bytes(d);
      return;
    }
    case 'unknown':
      w.bytes(c.value);
      return;
  }
}
