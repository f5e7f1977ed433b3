/**
 * The Speaker's public contract besides its methods: the options it takes and the typed events it
 * emits (the journal, the api and library users listen to them), and the check that a config was
 * validated before it reaches the composition root (speaker.ts).
 */

import type { BfdTransport } from '../bfd/manager.js';
import { isValidatedConfig } from '../config/load.js';
import type { FibChange, FibFailure } from '../fib/index.js';
import type { SessionState } from '../session/fsm.js';
import type { Logger } from '../session/peer-session.js';
import type { Clock } from '../util/clock.js';
import type { SessionParams } from '../wire/index.js';
import type { FaultEvent } from './faults.js';
import type { BfdAnnouncement, GracefulRestartAnnouncement } from './journal-wiring.js';
import type { ReloadReport } from './reload.js';
import type { RestartAnnouncement } from './restarting-speaker.js';
import type { RouteSnapshot } from './snapshot.js';

export interface SpeakerOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** BFD's sockets, run in this thread on `clock` (default: UDP 3784/4784 in a worker thread). */
  readonly bfdTransport?: BfdTransport;
}

export interface SpeakerEvents {
  state: [{ neighbor: string; from: SessionState; to: SessionState }];
  established: [{ neighbor: string; params: SessionParams }];
  endOfRib: [{ neighbor: string; family: string }];
  /** A prefix has a best path (new or changed); only computed while someone listens. */
  routeAdded: [RouteSnapshot];
  /** A prefix has no usable path any more. */
  routeWithdrawn: [{ prefix: string; family: 4 | 6 }];
  /** One run of the decision process and export: its duration and the destinations it changed. */
  flush: [{ seconds: number; destinations: number }];
  /** End-of-RIB handed to a neighbor's session (RFC 4724 §2). */
  endOfRibSent: [{ neighbor: string; family: string }];
  /** Our own graceful restart (RFC 4724 §4.1): deferral begun, a neighbor's End-of-RIB, deferral over. */
  restarting: [RestartAnnouncement];
  /** Graceful-restart helper outcomes (RFC 4724 §4.2), for the journal. */
  gracefulRestart: [GracefulRestartAnnouncement];
  /** A configuration reload, applied or not. */
  reload: [ReloadReport];
  /** What the kernel took and refused of one FIB batch. */
  fibApplied: [{ changes: readonly FibChange[]; failed: readonly FibFailure[] }];
  /** A fault (src/core/faults.ts) started or ended. */
  fault: [FaultEvent];
  /** A BFD session changed state, and what that did to BGP (src/core/bfd-link.ts). */
  bfd: [BfdAnnouncement];
}

/** A raw object would fail deep inside with a TypeError; say what to call instead. */
export function requireValidated(config: unknown, what: string): void {
  if (!isValidatedConfig(config))
    throw new Error(
      `${what} takes a validated config: use Speaker.fromConfig(object) or loadConfig(file) / validateConfig(object)`,
    );
}
