/**
 * `rackbgp show bfd`: one block per BFD session (RFC 5880) in the spirit of FRR's `show bfd peers`:
 * state, discriminators, negotiated and configured intervals, time in state, last Down and why.
 * Pure.
 */
import type { BfdStatus } from '../../bfd/manager.js';

/** 3725000 ms → "1h2m5s". */
export function duration(ms: number): string {
  let s = Math.floor(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  parts.push(`${s}s`);
  return parts.join('');
}

export function formatBfd(status: BfdStatus, now = Date.now()): string {
  if (!status.sessions.length) return 'No BFD sessions (no neighbor has `bfd` in the configuration)\n';
  const out: string[] = [];
  for (const s of status.sessions) {
    const since =
      s.state === 'Up'
        ? `up for ${duration(s.sinceMs)}`
        : `${s.state.toLowerCase()} for ${duration(s.sinceMs)}`;
    out.push(
      `peer ${s.peer} ${s.multihop ? 'multihop' : 'single-hop'}`,
      `\tState: ${s.state} (${since}), remote ${s.remoteState}, diagnostic ${s.diagnostic}`,
      `\tDiscriminators: local ${s.localDiscriminator}, remote ${s.remoteDiscriminator}`,
      `\tNegotiated: transmit every ${s.txIntervalMs === null ? '-' : `${s.txIntervalMs} ms`}, detection time ${s.detectionTimeMs} ms (remote multiplier ${s.remoteMultiplier})`,
      `\tLocal: receive ${s.configured.minRxMs} ms, transmit ${s.configured.minTxMs} ms, multiplier ${s.configured.multiplier}`,
      `\tRemote: receive ${s.remote.minRxMs} ms, transmit ${s.remote.minTxMs} ms`,
      `\tLast down: ${s.lastDown ? `${new Date(s.lastDown.at).toISOString()} (${duration(now - s.lastDown.at)} ago) from ${s.lastDown.from}: ${s.lastDown.diag}` : 'never'}`,
      `\tPackets: ${s.counters.sent} sent, ${s.counters.received} received; ${s.counters.transitions} state changes`,
      '',
    );
  }
  const dropped = Object.entries(status.discarded);
  if (dropped.length) out.push(`Dropped: ${dropped.map(([r, n]) => `${n} ${r}`).join(', ')}`, '');
  return `${out.join('\n')}`;
}
