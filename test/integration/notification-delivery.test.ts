/**
 * A NOTIFICATION has to reach the peer before the next connection does. A peer that sees a new
 * connection while its old session is still Established takes it for a restart (RFC 4724 §4; FRR:
 * "NSF peer closed the session") and never reads the NOTIFICATION, so a Hard Reset (RFC 8538) ends
 * as a graceful restart. rackbgp opens the next connection once the old one is closed, or after
 * 2 s if the peer never closes it. The peer here is a scripted socket on loopback that takes its
 * time to close after the NOTIFICATION.
 */
import net from 'node:net';
import { Speaker } from 'rackbgp';
import { afterEach, describe, expect, it } from 'vitest';

/** OPEN from AS 65012, hold 90, id 10.99.12.2, IPv4 unicast and 4-octet AS (RFC 4271 §4.2, RFC 6793). */
const OPEN_65012 = Buffer.from(
  'ffffffffffffffffffffffffffffffff002b0104fdf4005a0a630c020e020c0104000100014104 0000fdf4'.replace(/ /g, ''),
  'hex',
);
const KEEPALIVE = Buffer.from('ffffffffffffffffffffffffffffffff001304', 'hex');

interface Conn {
  readonly at: number;
  notificationAt?: number;
  closedAt?: number;
}

/** Answers every connection with OPEN + KEEPALIVE; closes `closeAfterMs` after a NOTIFICATION (never if null). */
function slowPeer(port: number, closeAfterMs: number | null) {
  const conns: Conn[] = [];
  const sockets = new Set<net.Socket>();
  // allowHalfOpen: our FIN after the NOTIFICATION does not close the peer's side; it closes when it likes.
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    const c: Conn = { at: Date.now() };
    conns.push(c);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.write(Buffer.concat([OPEN_65012, KEEPALIVE]));
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 19 && buf.length >= buf.readUInt16BE(16)) {
        const type = buf[18];
        buf = buf.subarray(buf.readUInt16BE(16));
        if (type === 3 && c.notificationAt === undefined) {
          c.notificationAt = Date.now();
          if (closeAfterMs !== null)
            setTimeout(() => {
              c.closedAt = Date.now();
              s.destroy();
            }, closeAfterMs);
        }
      }
    });
  });
  return {
    conns,
    listen: () => new Promise<void>((r) => server.listen(port, '127.0.0.2', r)),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const speakers: Speaker[] = [];
const peers: ReturnType<typeof slowPeer>[] = [];
afterEach(async () => {
  await Promise.all(speakers.splice(0).map((s) => s.stop()));
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

async function until<T>(probe: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function resetAgainst(port: number, closeAfterMs: number | null) {
  const peer = slowPeer(port, closeAfterMs);
  peers.push(peer);
  await peer.listen();
  const speaker = Speaker.fromConfig({
    'router-id': '10.0.0.1',
    asn: 65001,
    fib: false,
    listen: { address: '127.0.0.1', port: port + 1 },
    neighbors: [
      { address: '127.0.0.2', asn: 65012, port, 'source-address': '127.0.0.1', 'connect-retry-time': 1 },
    ],
  });
  speakers.push(speaker);
  await speaker.start();
  await speaker.waitForEstablished('127.0.0.2', { timeout: 10_000 });
  expect(speaker.neighborAction('127.0.0.2', { kind: 'reset' })).toBe(true);
  const second = await until(() => peer.conns[1], 10_000);
  return { first: peer.conns[0], second };
}

describe('a reset waits for its NOTIFICATION to be read', () => {
  it('opens the next connection only after the peer closed the old one', async () => {
    const { first, second } = await resetAgainst(17961, 400);
    expect(first.notificationAt).toBeDefined();
    expect(first.closedAt).toBeDefined();
    expect(second.at).toBeGreaterThanOrEqual(first.closedAt!);
  });

  it('gives up waiting after 2 s when the peer keeps the old connection open', async () => {
    const { first, second } = await resetAgainst(17963, null);
    const waited = second.at - first.notificationAt!;
    expect(waited).toBeGreaterThanOrEqual(1_900);
    expect(waited).toBeLessThan(4_000);
  });
});
