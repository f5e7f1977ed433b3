/**
 * Who is in an update group and how far each member is with its initial table (RFC 4724 §2: the
 * table, then End-of-RIB), as explicit states changed here only. The group (out-group.ts) computes
 * and packs; this decides when and for whom: the first table a chunk per turn, later members by a
 * walk of the group's Adj-RIB-Out. Turns come from an injected TurnScheduler.
 */
import type { Dest } from '../rib/loc-rib.js';
import type { PeerInfo } from '../rib/types.js';
import type { TurnScheduler } from '../util/turns.js';
import type { SessionParams } from '../wire/index.js';
import { SelfAddresses } from './next-hop-patch.js';
import type { BatchMember, PeerSender } from './out-batch.js';

/** A peer as a group member: who it is and how to reach it. Immutable: its progress is the group's. */
export class Member implements BatchMember {
  readonly id: number;
  readonly self: SelfAddresses;
  /** This member alone (a group change it is left out of). */
  readonly alone: readonly Member[] = [this];

  constructor(
    readonly info: PeerInfo,
    readonly params: SessionParams,
    readonly sender: PeerSender,
  ) {
    this.id = info.id;
    this.self = new SelfAddresses(info.localAddress4, info.localAddress6);
  }
}

/**
 * A member's progress in its group:
 * - idle: joined, its table not asked for yet (the session's coalesce, or a restart deferral);
 * - queued: asked for, waiting for the group's first table to end or for the next walk;
 * - sending: a receiver, its initial table on the way;
 * - synced: a receiver, table and End-of-RIB sent.
 */
export type MemberState = 'idle' | 'queued' | 'sending' | 'synced';

/** The group's table (its Adj-RIB-Out): none yet, the first being computed, or computed. */
export type TableState = 'none' | 'building' | 'built';

/**
 * A sole member's own routes are left out of the table (there is nobody to send them to):
 * 'partial'. Once another member joins, the table lacks what the newcomer needs and must be
 * computed again before it can be walked: 'stale'.
 */
type Coverage = 'complete' | 'partial' | 'stale';

/** What the group lends its sync. */
export interface SyncHost {
  readonly families: ReadonlySet<4 | 6>;
  /** The RIB's destinations of a family. */
  dests(f: 4 | 6): Iterable<Dest>;
  /** Brings the table up to date for `dests`, sending the changes to every receiver. */
  pass(dests: readonly Dest[]): void;
  /** Sends `cohort` what the table holds for `dests` (less their own routes). */
  send(cohort: readonly Member[], dests: readonly Dest[]): void;
  /** Destinations per turn. */
  readonly chunk: number;
  readonly turns: TurnScheduler;
  /** The last member left. */
  closed(): void;
}

export class GroupSync {
  readonly members = new Map<PeerInfo, Member>();
  private readonly states = new Map<Member, MemberState>();
  /** Members sent every change of the table (sending or synced). */
  private list: Member[] = [];
  private tableState: TableState = 'none';
  private coverage: Coverage = 'complete';
  /** Queued while the table is being computed: they walk it when it is done. */
  private waiting: Member[] = [];
  /** Queued in this turn: they walk the table together in the next (their tables packed once). */
  private walkQueue: Member[] = [];
  closed = false;

  constructor(private readonly host: SyncHost) {}

  get receivers(): readonly Member[] {
    return this.list;
  }

  get table(): TableState {
    return this.tableState;
  }

  stateOf(m: Member): MemberState | undefined {
    return this.states.get(m);
  }

  /** Still in this group (not moved away or gone). */
  has(m: Member): boolean {
    return this.states.has(m);
  }

  /** Sent the table's changes. */
  receiving(m: Member): boolean {
    const s = this.states.get(m);
    return s === 'sending' || s === 'synced';
  }

  join(m: Member): void {
    if (this.coverage === 'partial') this.coverage = 'stale';
    this.members.set(m.info, m);
    this.states.set(m, 'idle');
  }

  /** Takes a member whose table the group was given (a private group starting from what it was sent). */
  adopt(m: Member, was: MemberState): void {
    this.members.set(m.info, m);
    this.states.set(m, was === 'synced' ? 'synced' : 'sending');
    this.tableState = 'built';
    this.list.push(m);
  }

  /** A path of the sole member was left out of the table. */
  omitSole(): void {
    if (this.coverage === 'complete') this.coverage = 'partial';
  }

  /** The member starts receiving: its table comes from the group's first build or a walk. */
  activate(m: Member): void {
    if (this.states.get(m) !== 'idle') return;
    if (this.tableState === 'none') {
      this.receive(m);
      this.build();
      return;
    }
    this.states.set(m, 'queued');
    if (this.tableState === 'building') this.waiting.push(m);
    else if (this.coverage === 'stale') {
      // The sole member's own routes were left out: compute them, then the newcomer walks.
      this.coverage = 'complete';
      this.waiting.push(m);
      this.build();
    } else this.walkSoon(m);
  }

  /** The member left (session down, or moved to another group); the last one closes the group. */
  leave(m: Member): void {
    this.states.delete(m);
    this.members.delete(m.info);
    this.list = this.list.filter((r) => r !== m);
    this.waiting = this.waiting.filter((r) => r !== m);
    this.walkQueue = this.walkQueue.filter((r) => r !== m);
    if (this.members.size === 0 && !this.closed) {
      this.closed = true;
      this.host.closed();
    }
  }

  /** Sends `m` everything the table holds for it (ROUTE-REFRESH, soft reset out). */
  resend(m: Member, chunked: boolean): void {
    this.walk([m], chunked);
  }

  private receive(m: Member): void {
    const s = this.states.get(m);
    if (s === undefined || s === 'sending' || s === 'synced') return;
    this.states.set(m, 'sending');
    this.list.push(m);
  }

  /** The table computed from the whole RIB, a chunk per turn; then End-of-RIB to who was waiting for it. */
  private build(): void {
    this.tableState = 'building';
    const cohort = this.list.filter((m) => this.states.get(m) === 'sending');
    this.chunked(
      (dests) => this.host.pass(dests),
      () => {
        this.tableState = 'built';
        for (const m of cohort) this.synced(m);
        if (this.coverage === 'stale') {
          this.coverage = 'complete';
          this.build(); // a member came while the first one's routes were left out
          return;
        }
        const waiting = this.waiting;
        this.waiting = [];
        if (waiting.length) this.walk(waiting, true, true);
      },
    );
  }

  private walkSoon(m: Member): void {
    this.walkQueue.push(m);
    if (this.walkQueue.length > 1) return;
    this.host.turns.next(() => {
      const cohort = this.walkQueue;
      this.walkQueue = [];
      if (cohort.length && !this.closed) this.walk(cohort, true, true);
    });
  }

  /** Sends `cohort` what the table holds; changes after a chunk reach them as receivers. */
  private walk(cohort: readonly Member[], chunked: boolean, startNow = false): void {
    for (const m of cohort) this.receive(m);
    const send = (dests: readonly Dest[]) =>
      this.host.send(
        cohort.filter((m) => this.has(m)),
        dests,
      );
    const done = () => {
      for (const m of cohort) this.synced(m);
    };
    if (chunked) this.chunked(send, done, startNow);
    else {
      for (const f of this.host.families) send([...this.host.dests(f)]);
      done();
    }
  }

  /** Calls `each` with the RIB's destinations of the group's families, a chunk per turn. */
  private chunked(each: (dests: readonly Dest[]) => void, done: () => void, startNow = false): void {
    const queue: Dest[][] = [];
    for (const f of this.host.families) {
      let batch: Dest[] = [];
      for (const d of this.host.dests(f)) {
        batch.push(d);
        if (batch.length >= this.host.chunk) {
          queue.push(batch);
          batch = [];
        }
      }
      if (batch.length) queue.push(batch);
    }
    const next = () => {
      if (this.closed) return;
      const batch = queue.shift();
      if (batch) each(batch);
      if (queue.length) this.host.turns.next(next);
      else done();
    };
    if (startNow) next();
    else this.host.turns.next(next);
  }

  /** RFC 4724 §2: End-of-RIB after the initial table, per family. */
  private synced(m: Member): void {
    if (this.states.get(m) !== 'sending') return;
    this.states.set(m, 'synced');
    for (const f of this.host.families) m.sender.sendEndOfRib(f);
  }
}
