/**
 * Where BFD runs, as the BGP side sees it: the sessions' state and a status snapshot. In this
 * thread (a BfdManager; unit tests, a given transport) or in a worker thread (worker-engine.ts),
 * so that a busy event loop (a full table arriving) never delays BFD's packets (RFC 5880 §6.8.7).
 */
import type { Clock } from '../util/clock.js';
import {
  type BfdLogger,
  BfdManager,
  type BfdPeerSpec,
  type BfdStatus,
  type BfdTransport,
} from './manager.js';
import type { BfdStateValue } from './packet.js';
import type { Transition } from './state-machine.js';

export interface BfdPeerState {
  readonly state: BfdStateValue;
  readonly remoteState: BfdStateValue;
}

export type BfdChanged = (address: string, t: Transition, now: BfdPeerState) => void;

export interface BfdEngine {
  /** Adds, retimes and removes sessions; an error text when the sockets cannot be opened. */
  configure(specs: readonly BfdPeerSpec[]): string | null;
  /** Resolves once the sockets are open (or could not be: the reason). */
  ready(): Promise<string | null>;
  peer(address: string): BfdPeerState | undefined;
  status(): BfdStatus;
  /** Every session sends AdminDown and stops. */
  close(): void;
}

/** BFD in this thread: timers on `clock`, packets through `transport`. */
export function localEngine(
  deps: { clock: Clock; log: BfdLogger; transport: BfdTransport },
  changed: BfdChanged,
): BfdEngine {
  let lastError: string | null = null;
  const manager = new BfdManager({
    clock: deps.clock,
    random: Math.random,
    wallClock: Date.now,
    log: deps.log,
    transport: deps.transport,
    changed: (address, t, s) => changed(address, t, { state: s.state, remoteState: s.vars.remoteState }),
  });
  return {
    configure(specs) {
      lastError = manager.configure(specs);
      return lastError;
    },
    ready: async () => lastError,
    peer(address) {
      const s = manager.session(address);
      return s && { state: s.state, remoteState: s.vars.remoteState };
    },
    status: () => manager.status(),
    close: () => manager.close(),
  };
}
