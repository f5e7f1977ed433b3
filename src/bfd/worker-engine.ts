/**
 * BFD in a worker thread (worker.ts): the main thread keeps a mirror of each session's state and
 * the last status snapshot, so `mayStart` and `show bfd` answer at once; state changes arrive as
 * messages (delayed by a busy main loop, while the packets themselves are not).
 */
import { Worker } from 'node:worker_threads';
import type { BfdChanged, BfdEngine, BfdPeerState } from './engine.js';
import type { BfdLogger, BfdPeerSpec, BfdStatus } from './manager.js';
import { BfdState } from './packet.js';
import type { Transition } from './state-machine.js';

export type ToWorker = { type: 'configure'; specs: readonly BfdPeerSpec[] } | { type: 'close' };
export type ToMain =
  | { type: 'configured'; error: string | null; status: BfdStatus }
  | { type: 'changed'; address: string; t: Transition; now: BfdPeerState }
  | { type: 'status'; status: BfdStatus }
  | { type: 'log'; level: 'info' | 'warn'; obj: object; msg: string };

const key = (address: string) => address.split('%')[0].toLowerCase();

export function workerEngine(log: BfdLogger, changed: BfdChanged): BfdEngine {
  let worker: Worker | null = null;
  let status: BfdStatus = { sessions: [], discarded: {} };
  let lastError: string | null = null;
  const peers = new Map<string, BfdPeerState>();
  let pending: ((e: string | null) => void)[] = [];
  let configuring = 0;
  const start = () => {
    const w = new Worker(new URL('./worker.js', import.meta.url));
    w.unref();
    w.on('message', (m: ToMain) => {
      if (m.type === 'configured') {
        lastError = m.error;
        status = m.status;
        if (--configuring === 0) for (const r of pending.splice(0)) r(lastError);
      } else if (m.type === 'status') status = m.status;
      else if (m.type === 'log') log[m.level](m.obj, m.msg);
      else {
        if (peers.has(key(m.address))) peers.set(key(m.address), m.now);
        changed(m.address, m.t, m.now);
      }
    });
    w.on('error', (e) => {
      lastError = `BFD worker failed: ${e.message}`;
      log.warn({ err: e.message }, 'BFD worker failed');
      for (const r of pending.splice(0)) r(lastError);
    });
    return w;
  };
  return {
    configure(specs) {
      if (!worker && !specs.length) return lastError;
      worker ??= start();
      const wanted = new Set(specs.map((s) => key(s.address)));
      for (const k of peers.keys()) if (!wanted.has(k)) peers.delete(k);
      for (const s of specs)
        if (!peers.has(key(s.address)))
          peers.set(key(s.address), {
            state: s.adminDown ? BfdState.AdminDown : BfdState.Down,
            remoteState: BfdState.Down,
          });
      configuring++;
      worker.postMessage({ type: 'configure', specs } satisfies ToWorker);
      return lastError;
    },
    ready: () => (configuring === 0 ? Promise.resolve(lastError) : new Promise((r) => pending.push(r))),
    peer: (address) => peers.get(key(address)),
    status: () => status,
    close() {
      worker?.postMessage({ type: 'close' } satisfies ToWorker);
      worker = null;
      pending = [];
    },
  };
}
