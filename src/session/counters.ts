/**
 * Per-peer counters kept as plain data, for the CLI, the API and Prometheus: messages by type,
 * NOTIFICATIONs by code/subcode and direction, Established transitions, the last error, uptime.
 */
import { errorName, type Message, type NotificationMessage, shutdownCommunication } from '../wire/index.js';

export type MessageKind = Message['type'];

export interface LastError {
  /** 'sent' / 'received': a NOTIFICATION; 'local': a connection or internal failure. */
  readonly direction: 'sent' | 'received' | 'local';
  readonly code?: number;
  readonly subcode?: number;
  readonly codeName?: string;
  readonly subcodeName?: string;
  /** RFC 8203 shutdown communication, when there was one. */
  readonly communication?: string;
  /** NOTIFICATION data in hex, when there was any. */
  readonly data?: string;
  readonly reason: string;
  /** Wall-clock milliseconds. */
  readonly at: number;
}

export interface PeerCounters {
  readonly messagesIn: Record<MessageKind, number>;
  readonly messagesOut: Record<MessageKind, number>;
  /** Keyed "code/subcode". */
  readonly notificationsIn: Record<string, number>;
  readonly notificationsOut: Record<string, number>;
  establishedTransitions: number;
  /** Wall-clock ms of the last change into or out of Established. */
  lastTransitionAt: number | null;
  lastError: LastError | null;
  /** RFC 7606 outcomes of received UPDATEs, by action name. */
  readonly updateIssues: Record<string, number>;
}

const zero = (): Record<MessageKind, number> => ({
  open: 0,
  update: 0,
  notification: 0,
  keepalive: 0,
  'route-refresh': 0,
});

export function newCounters(): PeerCounters {
  return {
    messagesIn: zero(),
    messagesOut: zero(),
    notificationsIn: {},
    notificationsOut: {},
    establishedTransitions: 0,
    lastTransitionAt: null,
    lastError: null,
    updateIssues: {},
  };
}

export function countNotification(
  c: PeerCounters,
  n: NotificationMessage,
  direction: 'sent' | 'received',
  at: number,
  reason?: string,
): void {
  const key = `${n.code}/${n.subcode}`;
  const table = direction === 'sent' ? c.notificationsOut : c.notificationsIn;
  table[key] = (table[key] ?? 0) + 1;
  const names = errorName(n.code, n.subcode);
  const communication = shutdownCommunication(n);
  c.lastError = {
    direction,
    code: n.code,
    subcode: n.subcode,
    codeName: names.code,
    subcodeName: names.subcode,
    ...(communication !== undefined && { communication }),
    ...(n.data.length > 0 && { data: Buffer.from(n.data).toString('hex') }),
    reason: reason ?? `${names.code}/${names.subcode}`,
    at,
  };
}
