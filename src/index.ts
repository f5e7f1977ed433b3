/**
 * rackbgp as a library: the Speaker (start it in-process from a config object, watch its events,
 * wait for prefixes and sessions, stop it), the service facade and snapshots the HTTP API serves,
 * the config schema's types, and the pure BGP-4 wire codec.
 */
export { type ApiOptions, type ApiServer, startApi } from './api/http.js';
export * from './api/service.js';
export type { ConfigDiff, NeighborChange } from './config/diff.js';
export { ConfigError, loadConfig, parseConfig, validateConfig } from './config/load.js';
export type {
  Config,
  ConfigInput,
  ListenRangeConfig,
  NeighborConfig,
  SessionSettings,
} from './config/schema.js';
export {
  FAULT_KINDS,
  FaultError,
  type FaultEvent,
  type FaultHandle,
  type FaultKind,
  type FaultSpec,
  type FaultView,
} from './core/faults.js';
export {
  EVENT_TYPES,
  type EventFilter,
  type EventType,
  type HopView,
  type JournalEvent,
  type JournalStats,
} from './core/journal.js';
export { formatEvent } from './core/journal-text.js';
export type { GracefulRestartAnnouncement, JournalWiring } from './core/journal-wiring.js';
export type { OutageView, PrefixSummary } from './core/prefix-history.js';
export type { ReloadAction, ReloadReport } from './core/reload.js';
export type { NeighborSnapshot, PathSnapshot, RouteSnapshot } from './core/snapshot.js';
export { Speaker, type SpeakerEvents, type SpeakerOptions } from './core/speaker.js';
export type { PrefixWaitOptions, WaitOptions } from './core/waiters.js';
export { createMetrics, type Metrics } from './metrics/metrics.js';
export type { PeerCounters } from './session/counters.js';
export type { SessionState } from './session/fsm.js';
export type { Logger } from './session/peer-session.js';
export { StartError, type StartKey } from './util/start-error.js';
export * from './wire/index.js';
