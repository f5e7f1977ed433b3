/**
 * One line of text per journal event, for `rackbgp events`, `waitFor` timeouts and logs:
 * time, sequence number, type, neighbor and prefix, then what the event says in a few words.
 */
import type { HopView, JournalEvent } from './journal.js';

const hops = (list: unknown): string => {
  const a = (Array.isArray(list) ? list : []) as HopView[];
  if (!a.length) return '-';
  return a
    .map((h) => `${h.nextHop ?? '?'}${h.peer !== h.nextHop ? ` (${h.peer})` : ''}${h.stale ? ' stale' : ''}`)
    .join(', ');
};

const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** What the event says beyond its type, peer and prefix. */
export function eventDetail(e: JournalEvent): string {
  const d = e as Record<string, unknown>;
  switch (e.type) {
    case 'session-state':
      return `${str(d.from)} -> ${str(d.to)}`;
    case 'session-up': {
      const caps = d.capabilities as { families?: string[]; holdTime?: number } | undefined;
      return `AS ${str(d.peerAs)} id ${str(d.routerId)}, families ${(caps?.families ?? []).join(' ')}, hold ${caps?.holdTime ?? '?'}s`;
    }
    case 'session-down': {
      const n = d.notification as
        | { code?: number; subcode?: number; text?: string; communication?: string }
        | undefined;
      const note = n
        ? ` ${n.code}/${n.subcode}${n.text ? ` ${n.text}` : ''}${n.communication ? ` "${n.communication}"` : ''}`
        : '';
      return n ? `${str(d.cause)}${note}` : `${str(d.cause)}: ${str(d.reason)}`;
    }
    case 'eor-sent':
    case 'eor-received':
      return str(d.family);
    case 'gr-restart-begin':
      return `deferring until End-of-RIB from ${Array.isArray(d.neighbors) ? d.neighbors.join(' ') : ''}`;
    case 'gr-restart-eor':
      return `End-of-RIB after ${str(d.ms)} ms`;
    case 'gr-restart-end':
      return `${str(d.why)} after ${str(d.ms)} ms${Array.isArray(d.neighbors) && d.neighbors.length ? ` (not heard: ${d.neighbors.join(' ')})` : ''}`;
    case 'gr-helper-start':
    case 'gr-helper-end':
      return `${str(d.outcome ?? '')}${Array.isArray(d.families) && d.families.length ? ` [${d.families.join(' ')}]` : ''}${d.why ? `: ${str(d.why)}` : ''}`;
    case 'route-announce':
      return `via ${hops(d.after)}`;
    case 'path-announce':
      return `via ${hops(d.after)} (not best)`;
    case 'route-withdraw':
      return `was via ${hops(d.before)} (${str(d.cause)})`;
    case 'path-withdraw':
      return `was via ${hops(d.before)} (not best, ${str(d.cause)})`;
    case 'path-replace':
      return `${hops(d.before)} -> ${hops(d.after)} (not best)`;
    case 'route-replace':
    case 'best-change':
    case 'ecmp-change':
      return `${hops(d.before)} -> ${hops(d.after)}`;
    case 'route-stale':
      return `${hops(d.stale)} (selected: ${hops(d.after)})`;
    case 'fib-install':
      return `via ${((d.nextHops as { via: string; dev?: string }[]) ?? []).map((h) => h.via + (h.dev ? ` dev ${h.dev}` : '')).join(', ')}`;
    case 'fib-remove':
      return '';
    case 'fib-refuse':
      return `${str(d.op)}: ${str(d.error)}`;
    case 'reload':
      return d.ok === false ? `rejected: ${str(d.error)}` : str(d.summary ?? '');
    case 'fault-start':
    case 'fault-end':
      return `${str(d.kind)} #${str(d.id)}${d.detail ? ` ${str(d.detail)}` : ''}`;
    case 'bfd-state':
      return `${str(d.from)} -> ${str(d.to)} (${str(d.diag)})${d.bgp ? ` bgp ${str(d.bgp)}` : ''}`;
    default:
      return '';
  }
}

export function formatEvent(e: JournalEvent): string {
  const head = [e.time, `#${e.seq}`, e.type, e.peer ?? '', e.prefix ?? ''].filter((s) => s !== '').join(' ');
  const detail = eventDetail(e);
  return detail ? `${head}  ${detail}` : head;
}
