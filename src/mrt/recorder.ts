/**
 * The `mrt:` config at work: BGP4MP messages (RFC 6396 §4.4, RFC 8050) and state changes of the
 * chosen neighbors appended to a file as they happen, TABLE_DUMP_V2 snapshots every `interval`, a new
 * file every `rotate` (on the Clock); and `rackbgp mrt dump FILE`. Writes are synchronous (records
 * keep their order and a reader sees whole records at once). It does not change the speaker.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { Speaker } from '../core/speaker.js';
import type { WireEvent } from '../core/wire-taps.js';
import type { Logger } from '../session/peer-session.js';
import type { Clock, Timer } from '../util/clock.js';
import { family } from '../wire/constants.js';
import { bgp4mpMessage, bgp4mpStateChange, updateAfis } from './mrt-encode.js';
import { expandFileName, type TableDumpCounts, tableDumpRecords } from './table-dump.js';

export type MrtSettings = NonNullable<Config['mrt']>;

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  ENOENT: 'no such directory',
  EISDIR: 'is a directory',
  EROFS: 'read-only file system',
};

/** Opens `file` for writing (appending unless `truncate`); throws an Error naming the file and why. */
export function openMrtFile(file: string, truncate = false): number {
  try {
    return openSync(file, truncate ? 'w' : 'a');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new Error(
      `cannot write ${file}: ${REASONS[code] ?? (e as Error).message}${code ? ` (${code})` : ''}`,
    );
  }
}

/** `rackbgp mrt dump FILE`: one TABLE_DUMP_V2 snapshot of the speaker's RIB written to `file` (replaced). */
export function writeTableDump(
  speaker: Speaker,
  file: string,
  nowMs = Date.now(),
): TableDumpCounts & { bytes: number } {
  const fd = openMrtFile(file, true);
  try {
    const counts = { peers: 0, prefixes: 0, paths: 0 };
    const bytes = writeRecords(fd, tableDump(speaker, nowMs, counts));
    return { ...counts, bytes };
  } finally {
    closeSync(fd);
  }
}

const tableDump = (speaker: Speaker, nowMs: number, counts?: TableDumpCounts) =>
  tableDumpRecords(
    () => speaker.ribDump(),
    {
      collectorId: speaker.config['router-id'],
      seconds: Math.floor(nowMs / 1000),
    },
    counts,
  );

function writeRecords(fd: number, records: readonly Uint8Array[]): number {
  let total = 0;
  // Whole records in chunks of ~1 MiB: one write per chunk, never a record split across writes.
  for (let i = 0; i < records.length; ) {
    const batch: Uint8Array[] = [];
    let size = 0;
    while (i < records.length && (size === 0 || size + records[i].length <= 1 << 20)) {
      size += records[i].length;
      batch.push(records[i++]);
    }
    const buf = Buffer.concat(batch);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off);
    total += size;
  }
  return total;
}

export interface MrtRecorderDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** Wall-clock milliseconds (record timestamps, file names). */
  readonly now?: () => number;
}

export class MrtRecorder {
  private fd: number;
  private file: string;
  private readonly timers: Timer[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  /** The last ends seen per neighbor, for state changes (which carry no connection). */
  private readonly ends = new Map<string, { localAddress: string; peerAs: number }>();
  private readonly now: () => number;
  private stopped = false;
  /** Records and octets written, write errors (for the API and logs). */
  readonly stats = { records: 0, bytes: 0, errors: 0, tableDumps: 0 };

  /** Opens the first file; throws (naming it) when it cannot be written. */
  constructor(
    private readonly speaker: Speaker,
    private readonly settings: MrtSettings,
    private readonly deps: MrtRecorderDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.file = expandFileName(settings.file, this.now());
    this.fd = openMrtFile(this.file);
  }

  get currentFile(): string {
    return this.file;
  }

  /** Starts recording: message taps, state changes, the snapshot and rotation timers. */
  start(): void {
    const wanted = this.settings.messages;
    const all = wanted === 'all';
    const chosen = new Set(all ? [] : wanted);
    if (all || chosen.size) {
      this.unsubscribe.push(
        this.speaker.wireTaps.add((e) => {
          if (all || chosen.has(e.neighbor)) this.message(e);
        }),
      );
      const onState = (s: { neighbor: string; from: string; to: string }) => {
        if (all || chosen.has(s.neighbor)) this.state(s.neighbor, s.from, s.to);
      };
      this.speaker.on('state', onState);
      this.unsubscribe.push(() => this.speaker.off('state', onState));
    }
    if (this.settings.interval > 0) this.every(this.settings.interval, () => this.dumpTable());
    if (this.settings.rotate > 0) this.every(this.settings.rotate, () => this.rotate());
  }

  private every(seconds: number, fn: () => void): void {
    const slot = this.timers.length;
    const tick = () => {
      if (this.stopped) return;
      fn();
      this.timers[slot] = this.deps.clock.setTimer(seconds * 1000, tick);
    };
    this.timers[slot] = this.deps.clock.setTimer(seconds * 1000, tick);
  }

  /** One TABLE_DUMP_V2 snapshot appended to the current file. */
  dumpTable(): TableDumpCounts {
    const counts = { peers: 0, prefixes: 0, paths: 0 };
    this.write(tableDump(this.speaker, this.now(), counts));
    this.stats.tableDumps++;
    return counts;
  }

  private message(e: WireEvent): void {
    const f = e.frame;
    this.ends.set(e.neighbor, { localAddress: e.localAddress, peerAs: e.peerAs });
    const update = f[18] === 2;
    // RFC 6396 §4.4.3: _AS4 says the AS_PATHs inside have 4-octet ASNs; messages other than UPDATE have none.
    const as4 = !update || e.context.fourOctetAs;
    const addPaths = e.direction === 'in' ? e.context.addPathRx : e.context.addPathTx;
    let addPath = false;
    if (update && addPaths.size)
      for (const afi of updateAfis(f)) if (addPaths.has(family(afi, 1))) addPath = true;
    const ends = {
      peerAs: e.peerAs,
      localAs: e.localAs,
      peerAddress: e.remoteAddress || e.neighbor,
      localAddress: e.localAddress,
    };
    this.write([bgp4mpMessage(this.seconds(), ends, f, { local: e.direction === 'out', as4, addPath })]);
  }

  private state(neighbor: string, from: string, to: string): void {
    const seen = this.ends.get(neighbor);
    const configured = this.speaker.sessions.peers.get(neighbor)?.config.peerAs;
    const ends = {
      peerAs: seen?.peerAs || (typeof configured === 'number' ? configured : 0),
      localAs: this.speaker.config.asn,
      peerAddress: neighbor,
      localAddress: seen?.localAddress ?? '',
    };
    this.write([bgp4mpStateChange(this.seconds(), ends, from, to)]);
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private write(records: readonly Uint8Array[]): void {
    if (this.fd < 0) return;
    try {
      this.stats.bytes += writeRecords(this.fd, records);
      this.stats.records += records.length;
    } catch (e) {
      this.stats.errors++;
      this.deps.log.warn({ file: this.file, err: (e as Error).message }, 'MRT write failed');
    }
  }

  /** A new file named for now; when it cannot be opened, recording pauses until the next rotation. */
  private rotate(): void {
    const next = expandFileName(this.settings.file, this.now());
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    try {
      this.fd = openMrtFile(next);
      this.file = next;
      this.deps.log.info({ file: next }, 'MRT file rotated');
    } catch (e) {
      this.stats.errors++;
      this.deps.log.warn({ err: (e as Error).message }, 'MRT rotation failed: recording paused');
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    for (const u of this.unsubscribe) u();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
