/**
 * Which update group each session is in, and moves between them: a session joins the group of
 * its key (group-member.ts) or a new one; a new export policy moves it to a private group that
 * starts from what it was sent, so only differences go out. When a session's table starts: after
 * the coalesce time, or held while a restarting speaker defers its export (RFC 4724 §4.1).
 */
import type { Dest } from '../rib/loc-rib.js';
import type { Clock } from '../util/clock.js';
import { type GroupSettings, groupKey, PolicyIds } from './group-member.js';
import type { Member } from './group-sync.js';
import { type GroupContext, OutGroup } from './out-group.js';
import type { PeerRuntime } from './peer-registry.js';

export class UpdateGroups {
  /** Groups with a key (private ones are reached through their peer only). */
  private readonly byKey = new Map<string, OutGroup>();
  private readonly policyIds = new PolicyIds();
  /** Sessions waiting for their initial table while export is deferred (RFC 4724 §4.1). */
  private deferred: PeerRuntime[] | null = null;

  constructor(
    private readonly ctx: GroupContext,
    private readonly clock: Clock,
    /** Milliseconds between a session's Established and its initial table. */
    private readonly coalesceMs: number,
    /** Still the runtime of a live session. */
    private readonly current: (rt: PeerRuntime) => boolean,
  ) {}

  /** The group for a member with `settings`: an existing one with the same key, or a new one. */
  join(m: Member, settings: GroupSettings): OutGroup {
    const key = groupKey(m.info, m.params, settings, this.policyIds);
    let g = key === null ? undefined : this.byKey.get(key);
    if (!g || g.closed) {
      g = new OutGroup(key, m, settings, this.ctx);
      if (key !== null) this.byKey.set(key, g);
    }
    g.add(m);
    return g;
  }

  /** Takes a member out of its group, forgetting the group when it was the last. */
  leave(rt: PeerRuntime): void {
    rt.group.remove(rt.member);
    if (rt.group.closed && rt.group.key !== null && this.byKey.get(rt.group.key) === rt.group)
      this.byKey.delete(rt.group.key);
  }

  /**
   * The session's export settings changed (a new export policy): before its table started it just
   * starts in the new group; after, it moves to a private group that starts from what it was sent,
   * and `dests` (its families' destinations) bring that up to date.
   */
  move(rt: PeerRuntime, settings: GroupSettings, dests: () => Dest[]): void {
    const m = rt.member;
    const was = rt.group.sync.stateOf(m);
    if (was === undefined || was === 'idle') {
      this.leave(rt);
      rt.group = this.join(m, settings);
      return;
    }
    const view = rt.group.viewOf(m);
    this.leave(rt);
    rt.group = new OutGroup(null, m, settings, this.ctx);
    rt.group.adopt(m, view, was);
    rt.group.pass(dests());
    if (was !== 'synced') rt.group.resend(m, true);
  }

  /**
   * The initial table, after the coalesce time when set: peers that come up together (a rack of
   * Calico nodes) and the routes they announce at once go out as one table, not a trickle.
   */
  start(rt: PeerRuntime): void {
    if (this.deferred) {
      this.deferred.push(rt);
      return;
    }
    if (this.coalesceMs <= 0) rt.group.activate(rt.member);
    else this.clock.setTimer(this.coalesceMs, () => rt.group.activate(rt.member));
  }

  /** RFC 4724 §4.1: sessions coming up get no table (nor End-of-RIB) until release(). */
  defer(): void {
    this.deferred ??= [];
  }

  /** Ends defer(): every session up gets its table and End-of-RIB now. */
  release(): void {
    const waiting = this.deferred ?? [];
    this.deferred = null;
    for (const rt of waiting) if (this.current(rt)) rt.group.activate(rt.member);
  }

  get deferring(): boolean {
    return this.deferred !== null;
  }
}
