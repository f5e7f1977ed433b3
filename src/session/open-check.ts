/**
 * OPEN acceptance (RFC 4271 §6.2, RFC 6286 §2.2, RFC 5492 §3): checks a received OPEN against the
 * neighbor's configuration and returns the NOTIFICATION to send, or null. Pure.
 */
import {
  type Capability,
  type CapabilityKind,
  capabilityValueLength,
  ErrorCode,
  type OpenMessage,
  OpenSubcode,
  openAsn,
  writeCapability,
} from '../wire/index.js';
import { negotiate } from '../wire/negotiate.js';
import type { NotificationMessage } from '../wire/notification.js';
import { Writer } from '../wire/writer.js';

/** Which AS the peer may use: a number, or any AS of a kind (dynamic neighbors). */
export type PeerAsSpec = number | 'internal' | 'external' | 'any';

export interface OpenPolicy {
  readonly localAsn: number;
  readonly routerId: string;
  readonly peerAs: PeerAsSpec;
  /** Capabilities of ours the peer must also announce; missing ones get 2/7 (RFC 5492 §3). */
  readonly requiredCapabilities?: readonly CapabilityKind[];
}

const notification = (subcode: number, data: Uint8Array = new Uint8Array(0)): NotificationMessage => ({
  type: 'notification',
  code: ErrorCode.OPEN_MESSAGE,
  subcode,
  data,
});

function encodeCaps(caps: readonly Capability[]): Uint8Array {
  const w = new Writer(caps.reduce((n, c) => n + 2 + capabilityValueLength(c), 0));
  for (const c of caps) writeCapability(w, c);
  return w.finish();
}

export function peerAsAccepted(spec: PeerAsSpec, localAsn: number, asn: number): boolean {
  if (spec === 'any') return true;
  if (spec === 'internal') return asn === localAsn;
  if (spec === 'external') return asn !== localAsn;
  return spec === asn;
}

export function checkOpen(
  local: OpenMessage,
  remote: OpenMessage,
  policy: OpenPolicy,
): NotificationMessage | null {
  const asn = openAsn(remote);
  // RFC 4271 §6.2 Bad Peer AS; RFC 6793 §4.2.1: the 4-octet capability carries the real AS.
  if (!peerAsAccepted(policy.peerAs, policy.localAsn, asn)) return notification(OpenSubcode.BAD_PEER_AS);
  // RFC 6286 §2.2: inside one AS the identifiers must differ.
  if (asn === policy.localAsn && remote.routerId === policy.routerId) {
    return notification(OpenSubcode.BAD_BGP_IDENTIFIER);
  }
  const missing = (policy.requiredCapabilities ?? []).filter(
    (k) => !remote.capabilities.some((c) => c.kind === k),
  );
  if (missing.length) {
    return notification(
      OpenSubcode.UNSUPPORTED_CAPABILITY,
      encodeCaps(local.capabilities.filter((c) => missing.includes(c.kind))),
    );
  }
  // No address family in common: the session could carry nothing (RFC 5492 §3, data = our MP capabilities).
  if (negotiate(local, remote).families.length === 0) {
    return notification(
      OpenSubcode.UNSUPPORTED_CAPABILITY,
      encodeCaps(local.capabilities.filter((c) => c.kind === 'multiprotocol')),
    );
  }
  return null;
}
