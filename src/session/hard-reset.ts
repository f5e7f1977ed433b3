/**
 * RFC 8538 §3 and §5: once both OPENs carried the graceful-restart N bit, every NOTIFICATION but
 * Cease/Hard Reset keeps the routes as a graceful restart would. A NOTIFICATION meant to end the
 * session for good goes out encapsulated in Cease/Hard Reset (data: the inner code, subcode and
 * data). Pure.
 */
import { CeaseSubcode, ErrorCode, type NotificationMessage } from '../wire/index.js';

/**
 * Cease subcodes RFC 8538 §5 sends as Hard Reset: Maximum Number of Prefixes Reached, Administrative
 * Shutdown, Peer De-configured, and Administrative Reset ("user control": hard, as FRR's default
 * `bgp hard-administrative-reset`). The others (rejected, configuration change, collision, out of
 * resources, BFD down) and every error NOTIFICATION stay soft: the peer keeps our routes.
 */
const HARD_CEASE: ReadonlySet<number> = new Set([
  CeaseSubcode.MAXIMUM_NUMBER_OF_PREFIXES_REACHED,
  CeaseSubcode.ADMINISTRATIVE_SHUTDOWN,
  CeaseSubcode.PEER_DE_CONFIGURED,
  CeaseSubcode.ADMINISTRATIVE_RESET,
]);

/** The NOTIFICATION to send when the N bit was exchanged: `n` itself, or `n` inside Cease/Hard Reset. */
export function withHardReset(n: NotificationMessage): NotificationMessage {
  if (n.code !== ErrorCode.CEASE || !HARD_CEASE.has(n.subcode)) return n;
  const data = new Uint8Array(2 + n.data.length);
  data[0] = n.code;
  data[1] = n.subcode;
  data.set(n.data, 2);
  return { type: 'notification', code: ErrorCode.CEASE, subcode: CeaseSubcode.HARD_RESET, data };
}
