/** Two rackbgp speakers over real loopback sockets: establish, End-of-RIB, admin shutdown message. */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { Speaker } from '../../src/core/speaker.js';

const speakers: Speaker[] = [];
afterEach(async () => {
  await Promise.all(speakers.splice(0).map((s) => s.stop()));
});

function speaker(yaml: string): Speaker {
  const s = new Speaker(parseConfig(yaml));
  speakers.push(s);
  return s;
}

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('two speakers on loopback', () => {
  it('establish iBGP with negotiated capabilities and exchange End-of-RIB', async () => {
    const a = speaker(`router-id: 10.0.0.1
asn: 4200000001
fib: false
listen: { address: 127.0.0.1, port: 17901 }
neighbors:
  - { address: 127.0.0.2, asn: 4200000001, port: 17902, source-address: 127.0.0.1, add-path: both, families: [ipv4-unicast, ipv6-unicast] }
`);
    const b = speaker(`router-id: 10.0.0.2
asn: 4200000001
fib: false
listen: { address: 127.0.0.2, port: 17902 }
neighbors:
  - { address: 127.0.0.1, asn: 4200000001, port: 17901, source-address: 127.0.0.2, add-path: receive, passive: true }
`);
    const eors: string[] = [];
    b.on('endOfRib', (e) => eors.push(e.family));
    await b.start(); // the passive side listens first, so the active side connects at once
    await a.start();
    await until(() => a.neighbors()[0]?.state === 'Established' && b.neighbors()[0]?.state === 'Established');
    const na = a.neighbors()[0].negotiated!;
    expect(na.fourOctetAs).toBe(true);
    expect(na.families).toEqual(['ipv4-unicast']);
    expect(na.addPathTx).toEqual(['ipv4-unicast']); // we send, they receive
    expect(na.addPathRx).toEqual([]);
    expect(na.extendedMessage).toBe(true);
    await until(() => eors.includes('ipv4-unicast'));

    a.sessions.peers.get('127.0.0.2')!.stop('maintenance window');
    await until(() => b.neighbors()[0]?.counters.lastError?.direction === 'received');
    const err = b.neighbors()[0].counters.lastError!;
    expect([err.code, err.subcode, err.communication]).toEqual([6, 2, 'maintenance window']);
    expect(b.neighbors()[0].state).not.toBe('Established');
  });

  it('refuses a connection from an unknown source before any OPEN', async () => {
    const a = speaker(`router-id: 10.0.0.1
asn: 65001
fib: false
listen: { address: 127.0.0.1, port: 17903 }
`);
    await a.start();
    const net = await import('node:net');
    const got: Buffer[] = [];
    await new Promise<void>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: 17903, localAddress: '127.0.0.9' });
      s.on('data', (d) => got.push(d));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    expect(Buffer.concat(got).length).toBe(0);
    expect(a.sessions.stats.unknownConnections).toBe(1);
  });
});
