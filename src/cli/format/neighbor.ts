/**
 * `rackbgp show neighbor ADDR`: state, timers, capabilities advertised / received / negotiated,
 * message and NOTIFICATION counters, last error, graceful-restart and End-of-RIB state, policies,
 * prefixes per family — in the order FRR's `show bgp neighbor` uses. Pure.
 */

import type { LastError } from '../../api/daemon.js';
import type { NeighborDetail } from '../../api/service.js';
import { isoTime, table, upDown } from './text.js';

type Json = Record<string, unknown>;
const ADD_PATH_MODES: Record<number, string> = { 1: 'receive', 2: 'send', 3: 'receive+send' };

/** One capability as [row label, detail] pairs (one pair per family for per-family capabilities). */
export function capabilityRows(c: Json): [string, string][] {
  const families = (c.families as Json[] | undefined) ?? [];
  switch (c.kind) {
    case 'multiprotocol':
      return [[`multiprotocol ${c.family}`, 'yes']];
    case 'four-octet-as':
      return [['four-octet-as', `AS ${c.asn}`]];
    case 'add-path':
      return families.map((f) => [
        `add-path ${f.family}`,
        ADD_PATH_MODES[f.mode as number] ?? String(f.mode),
      ]);
    case 'graceful-restart': {
      const fam = families.map((f) => `${f.family}${f.forwarding ? ' (F)' : ''}`).join(', ');
      return [['graceful-restart', `restart time ${c.restartTime}s${fam ? `, ${fam}` : ', helper only'}`]];
    }
    case 'long-lived-graceful-restart':
      return [['long-lived-graceful-restart', families.map((f) => f.family).join(', ') || 'yes']];
    case 'fqdn':
      return [['fqdn', `${c.hostname}${c.domain ? `.${c.domain}` : ''}`]];
    case 'unknown':
      return [[`unknown code ${c.code}`, String(c.value || 'yes')]];
    default:
      return [[String(c.kind), 'yes']];
  }
}

function capabilityTable(advertised: readonly unknown[], received: readonly unknown[]): string {
  const adv = new Map(advertised.flatMap((c) => capabilityRows(c as Json)));
  const rcv = new Map(received.flatMap((c) => capabilityRows(c as Json)));
  const labels = [...new Set([...adv.keys(), ...rcv.keys()])];
  const rows = labels.map((l) => [`    ${l}`, adv.get(l) ?? '-', rcv.get(l) ?? '-']);
  return table(['    Capability', 'Advertised', 'Received'], rows, ['left', 'left', 'left']);
}

export function describeError(e: LastError): string {
  const when = isoTime(e.at);
  if (e.direction === 'local') return `${e.reason} (${when})`;
  const msg = e.communication ? ` "${e.communication}"` : '';
  const data = e.data ? ` data ${e.data}` : '';
  return `NOTIFICATION ${e.direction} ${e.code}/${e.subcode} (${e.codeName}/${e.subcodeName})${msg}${data} (${when})`;
}

const MESSAGE_ROWS = [
  ['Opens', 'open'],
  ['Notifications', 'notification'],
  ['Updates', 'update'],
  ['Keepalives', 'keepalive'],
  ['Route Refresh', 'route-refresh'],
] as const;

export function formatNeighbor(n: NeighborDetail): string {
  const out: string[] = [];
  const link =
    typeof n.peerAs === 'number' ? (n.peerAs === n.localAs ? 'internal' : 'external') : String(n.peerAs);
  out.push(`BGP neighbor is ${n.address}, remote AS ${n.peerAs}, local AS ${n.localAs}, ${link} link`);
  if (n.description) out.push(` Description: ${n.description}`);
  if (n.dynamic) out.push(' Dynamic neighbor (accepted through a listen range)');
  const since = n.state === 'Established' ? `, up for ${upDown(n.upDownSeconds)}` : '';
  out.push(`  BGP state = ${n.state}${n.enabled ? '' : ' (administratively shut down)'}${since}`);
  if (n.state !== 'Established' && n.upDownSeconds !== null)
    out.push(`  Last down ${upDown(n.upDownSeconds)} ago`);
  if (n.remoteRouterId) out.push(`  Remote router ID ${n.remoteRouterId}`);
  if (n.localAddress) out.push(`  Local address ${n.localAddress}`);
  const c = n.configured;
  // As FRR: the timers in use (RFC 4271 §4.2: the smaller hold time of both OPENs), then the configured ones.
  if (n.effective)
    out.push(
      `  Hold time is ${n.effective.holdTime} seconds, keepalive interval is ${n.effective.keepaliveTime} seconds (in use)`,
    );
  out.push(
    `  Configured hold time is ${c.holdTime} seconds, keepalive interval is ${c.keepaliveTime} seconds, connect retry ${c.connectRetryTime} seconds`,
  );
  const how = c.passive
    ? 'waits for the peer to connect (passive)'
    : 'connects to the peer and accepts its connections';
  out.push(`  Connection: ${how}, port ${c.port}${c.sourceAddress ? `, source ${c.sourceAddress}` : ''}`);
  out.push(`  Policies: import [${c.import.join(', ')}], export [${c.export.join(', ')}]`);
  out.push('', '  Capabilities:', capabilityTable(n.capabilities.advertised, n.capabilities.received));
  if (n.negotiated) {
    const g = n.negotiated;
    const flags = [
      g.fourOctetAs && 'four-octet AS',
      g.routeRefresh && 'route refresh',
      g.enhancedRouteRefresh && 'enhanced route refresh',
      g.extendedMessage && 'extended message',
      g.peerGracefulRestart && 'peer graceful restart',
    ].filter(Boolean);
    out.push(
      `  Negotiated: families ${g.families.join(', ')}; ${flags.join(', ') || 'no optional capabilities'}`,
    );
    if (g.addPathRx.length || g.addPathTx.length)
      out.push(`  ADD-PATH: receive [${g.addPathRx.join(', ')}], send [${g.addPathTx.join(', ')}]`);
  }
  out.push('', '  Graceful restart and End-of-RIB:');
  const gr = n.gracefulRestart;
  out.push(
    gr
      ? `    Helper: keeping stale routes of ${gr.families.join(', ')} until ${isoTime(gr.until)}`
      : '    Helper: no stale routes kept',
  );
  const eor = Object.entries(n.endOfRib.received).map(([f, at]) => `${f} ${isoTime(at)}`);
  out.push(`    End-of-RIB sent: ${n.endOfRib.sent ? 'yes' : 'no'}; received: ${eor.join(', ') || 'none'}`);
  const rows = MESSAGE_ROWS.map(([label, k]) => [
    `    ${label}:`,
    String(n.counters.messagesOut[k]),
    String(n.counters.messagesIn[k]),
  ]);
  const total = (r: Record<string, number>) => String(Object.values(r).reduce((a, b) => a + b, 0));
  rows.push(['    Total:', total(n.counters.messagesOut), total(n.counters.messagesIn)]);
  out.push('', '  Message statistics:', table(['', 'Sent', 'Rcvd'], rows, ['left', 'right', 'right']));
  const notes = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${k} x${v}`)
      .join(', ') || 'none';
  out.push(
    `  Notifications sent: ${notes(n.counters.notificationsOut)}; received: ${notes(n.counters.notificationsIn)}`,
  );
  const issues = Object.entries(n.counters.updateIssues);
  if (issues.length) out.push(`  RFC 7606 UPDATE errors: ${issues.map(([k, v]) => `${k} x${v}`).join(', ')}`);
  out.push(`  Established ${n.counters.establishedTransitions} time(s)`);
  out.push(`  Last error: ${n.counters.lastError ? describeError(n.counters.lastError) : 'none'}`);
  out.push('', '  Prefixes:');
  for (const [f, p] of Object.entries(n.prefixesByFamily))
    out.push(`    ${f}: received ${p.received}, advertised ${p.advertised}`);
  return `${out.join('\n')}\n`;
}
