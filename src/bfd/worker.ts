/**
 * The BFD worker thread: a BfdManager on the real clock and UDP sockets, driven by messages from
 * worker-engine.ts (configure, close) and reporting state changes and status snapshots back.
 * Its event loop carries nothing but BFD, so packets leave on time whatever the main thread does.
 */
import { parentPort } from 'node:worker_threads';
import { RealClock } from '../util/clock.js';
import { BfdManager } from './manager.js';
import { udpTransport } from './transport.js';
import type { ToMain, ToWorker } from './worker-engine.js';

const port = parentPort;
if (port) {
  const post = (m: ToMain) => port.postMessage(m);
  const log = (level: 'info' | 'warn') => (obj: object, msg: string) =>
    post({ type: 'log', level, obj, msg });
  const manager = new BfdManager({
    clock: new RealClock(),
    random: Math.random,
    wallClock: Date.now,
    log: { info: log('info'), warn: log('warn') },
    transport: udpTransport(),
    changed: (address, t, s) => {
      post({ type: 'changed', address, t, now: { state: s.state, remoteState: s.vars.remoteState } });
      post({ type: 'status', status: manager.status() });
    },
  });
  // Counters and times in `show bfd` stay fresh without a round trip per query.
  const tick = setInterval(() => post({ type: 'status', status: manager.status() }), 500);
  port.on('message', (m: ToWorker) => {
    if (m.type === 'configure') {
      const error = manager.configure(m.specs);
      post({ type: 'configured', error, status: manager.status() });
    } else {
      clearInterval(tick);
      manager.close();
      post({ type: 'status', status: manager.status() });
      port.close();
    }
  });
}
