/**
 * Our own graceful restart around the process boundary (RFC 4724 §4.1): the marker `rackbgp
 * restart` leaves on the way out, and reading it on the way in to enter the restart
 * (src/core/restarting-speaker.ts defers selection from there). It does not close the sessions or
 * the FIB: the Speaker does, in its own order.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../session/peer-session.js';
import type { Clock } from '../util/clock.js';
import { type MarkerReading, writeRestartMarker } from './restart-marker.js';
import {
  type DeferralPorts,
  enterRestart,
  type RestartAnnouncement,
  type RestartingSpeaker,
} from './restarting-speaker.js';

/**
 * Writes the restart marker (restart time: the longest configured, at least 120 s) with the dynamic
 * neighbors the next run is to wait for; returns its file.
 */
export function writeShutdownMarker(
  config: Readonly<Config>,
  fibKept: boolean,
  dynamicNeighbors: readonly string[],
  log: Logger,
): string {
  const times = config.neighbors.map((n) => {
    const gr = n['graceful-restart'] ?? config.defaults?.['graceful-restart'] ?? true;
    return gr === false ? 0 : gr === true ? 120 : (gr['restart-time'] ?? 120);
  });
  const file = writeRestartMarker(config['graceful-restart']['state-dir'], {
    routerId: config['router-id'],
    pid: process.pid,
    at: Date.now(),
    restartTime: Math.max(120, ...times),
    fibKept,
    dynamicNeighbors,
  });
  log.info({ marker: file }, 'graceful restart: closing sessions without NOTIFICATION, keeping the FIB');
  return file;
}

/**
 * RFC 4724 §4.1 after `rackbgp restart`: the R bit in our OPENs, F for every family (the kernel
 * routes were kept), export and FIB changes deferred until End-of-RIB from every GR neighbor or
 * the selection-deferral timer. Undefined when this run is not a restart.
 */
export function resumeRestart(
  m: MarkerReading,
  config: Readonly<Config>,
  ports: DeferralPorts,
  s: {
    clock: Clock;
    log: Logger;
    announce: (e: RestartAnnouncement) => void;
    /** A listen range of this configuration still covers the address. */
    inListenRange: (address: string) => boolean;
  },
): RestartingSpeaker | undefined {
  if (m.kind === 'expired' || m.kind === 'invalid')
    s.log.warn({ why: m.why }, 'graceful restart marker ignored: starting afresh');
  if (m.kind !== 'restart') return undefined;
  s.log.info(
    { restartedMsAgo: m.ageMs, fibKept: m.marker.fibKept, restartTime: m.marker.restartTime },
    'graceful restart: this run follows rackbgp restart',
  );
  const neighbors = config.neighbors.filter((n) => !(n.shutdown ?? config.defaults?.shutdown));
  const configured = neighbors.flatMap((n) => n.address ?? []);
  // Dynamic neighbors have no configuration entry: the marker names those that were up with GR.
  const dynamic = (Array.isArray(m.marker.dynamicNeighbors) ? m.marker.dynamicNeighbors : []).filter(
    (a) => typeof a === 'string' && !configured.includes(a) && s.inListenRange(a),
  );
  return enterRestart(
    ports,
    {
      clock: s.clock,
      log: s.log,
      deferralTime: config['graceful-restart']['selection-deferral-time'],
      announce: s.announce,
    },
    // Unnumbered neighbors have no address before they are heard from: not waited for.
    [...configured, ...dynamic],
  );
}
