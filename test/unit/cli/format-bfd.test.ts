import { describe, expect, it } from 'vitest';
import type { BfdPeerView } from '../../../src/bfd/manager.js';
import { duration, formatBfd } from '../../../src/cli/format/bfd.js';

const up: BfdPeerView = {
  peer: '10.0.0.2',
  multihop: false,
  state: 'Up',
  remoteState: 'Up',
  localDiscriminator: 11,
  remoteDiscriminator: 22,
  diagnostic: 'no-diagnostic',
  txIntervalMs: 300,
  detectionTimeMs: 900,
  localMultiplier: 3,
  remoteMultiplier: 3,
  configured: { minRxMs: 300, minTxMs: 300, multiplier: 3 },
  remote: { minRxMs: 300, minTxMs: 300 },
  sinceMs: 3_725_000,
  lastDown: { at: Date.UTC(2026, 0, 1), diag: 'control-detection-time-expired', from: 'Up' },
  counters: { sent: 10, received: 9, transitions: 4 },
};

describe('show bfd', () => {
  it('prints each session with discriminators, timers, uptime and the last Down', () => {
    const text = formatBfd({ sessions: [up], discarded: { ttl: 2 } }, Date.UTC(2026, 0, 1, 0, 1, 5));
    expect(text).toBe(
      [
        'peer 10.0.0.2 single-hop',
        '\tState: Up (up for 1h2m5s), remote Up, diagnostic no-diagnostic',
        '\tDiscriminators: local 11, remote 22',
        '\tNegotiated: transmit every 300 ms, detection time 900 ms (remote multiplier 3)',
        '\tLocal: receive 300 ms, transmit 300 ms, multiplier 3',
        '\tRemote: receive 300 ms, transmit 300 ms',
        '\tLast down: 2026-01-01T00:00:00.000Z (1m5s ago) from Up: control-detection-time-expired',
        '\tPackets: 10 sent, 9 received; 4 state changes',
        '',
        'Dropped: 2 ttl',
        '',
      ].join('\n'),
    );
  });

  it('says when there is no session', () => {
    expect(formatBfd({ sessions: [], discarded: {} })).toMatch(/^No BFD sessions/);
    expect(duration(90_061_000)).toBe('1d1h1m1s');
    expect(duration(999)).toBe('0s');
  });
});
