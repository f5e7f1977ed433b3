/**
 * The initial-sync machine of an update group, turn by turn (ManualTurns): the first table in
 * chunks then End-of-RIB (RFC 4724 §2), members that come while it is computed or after it, a
 * sole member's routes left out and computed again for a newcomer, the last member closing.
 */
import { describe, expect, it } from 'vitest';
import { GroupSync, Member, type SyncHost } from '../../../src/core/group-sync.js';
import type { Dest } from '../../../src/rib/loc-rib.js';
import { ManualTurns } from '../../../src/util/turns.js';
import { params, peer } from './fixtures.js';

const DESTS = Array.from({ length: 5 }, (_, i) => ({ family: 4, key: i }) as unknown as Dest);

function setup() {
  const turns = new ManualTurns();
  const log: string[] = [];
  let closed = 0;
  const host: SyncHost = {
    families: new Set([4]),
    dests: () => DESTS.values(),
    pass: (d) => log.push(`pass ${d.length}`),
    send: (cohort, d) => log.push(`send ${cohort.map((m) => m.id).join('+')} ${d.length}`),
    chunk: 2,
    turns,
    closed: () => closed++,
  };
  const sync = new GroupSync(host);
  const member = (id: number) => {
    const m = new Member(peer(id, 65000 + id), params(65000 + id), {
      sendUpdates: () => {},
      sendEndOfRib: (f) => log.push(`eor ${id} ipv${f}`),
    });
    sync.join(m);
    return m;
  };
  return { sync, turns, log, member, closed: () => closed };
}

describe('GroupSync', () => {
  it('computes the first table a chunk per turn, then sends End-of-RIB', () => {
    const { sync, turns, log, member } = setup();
    const a = member(1);
    expect(sync.stateOf(a)).toBe('idle');
    expect(sync.table).toBe('none');
    sync.activate(a);
    expect(sync.stateOf(a)).toBe('sending');
    expect(sync.table).toBe('building');
    expect(log).toEqual([]); // nothing in this turn
    turns.step();
    expect(log).toEqual(['pass 2']);
    turns.drain();
    expect(log).toEqual(['pass 2', 'pass 2', 'pass 1', 'eor 1 ipv4']);
    expect(sync.stateOf(a)).toBe('synced');
    expect(sync.table).toBe('built');
    sync.activate(a); // asked again: nothing
    turns.drain();
    expect(log).toHaveLength(4);
  });

  it('a member asking while the table is computed walks it when it is done', () => {
    const { sync, turns, log, member } = setup();
    const a = member(1);
    const b = member(2);
    sync.activate(a);
    turns.step();
    sync.activate(b);
    expect(sync.stateOf(b)).toBe('queued');
    expect(sync.receiving(b)).toBe(false);
    turns.drain();
    expect(log).toEqual([
      'pass 2',
      'pass 2',
      'pass 1',
      'eor 1 ipv4',
      'send 2 2',
      'send 2 2',
      'send 2 1',
      'eor 2 ipv4',
    ]);
    expect(sync.receivers).toEqual([a, b]);
  });

  it('members asking in one turn after the table walk it together', () => {
    const { sync, turns, log, member } = setup();
    const a = member(1);
    sync.activate(a);
    turns.drain();
    log.length = 0;
    const b = member(2);
    const c = member(3);
    sync.activate(b);
    sync.activate(c);
    expect([sync.stateOf(b), sync.stateOf(c)]).toEqual(['queued', 'queued']);
    turns.drain();
    expect(log).toEqual(['send 2+3 2', 'send 2+3 2', 'send 2+3 1', 'eor 2 ipv4', 'eor 3 ipv4']);
  });

  it("computes the table again when a newcomer needs the sole member's routes it left out", () => {
    const { sync, turns, log, member } = setup();
    const a = member(1);
    sync.activate(a);
    turns.drain();
    sync.omitSole();
    log.length = 0;
    const b = member(2);
    sync.activate(b);
    turns.drain();
    expect(log).toEqual(['pass 2', 'pass 2', 'pass 1', 'send 2 2', 'send 2 2', 'send 2 1', 'eor 2 ipv4']);
  });

  it('a member leaving mid-walk gets nothing more; the last one closes the group and stops the chunks', () => {
    const { sync, turns, log, member, closed } = setup();
    const a = member(1);
    const b = member(2);
    sync.activate(a);
    turns.drain();
    log.length = 0;
    sync.activate(b);
    turns.step(); // the walk's first chunk
    sync.leave(b);
    turns.drain();
    expect(log).toEqual(['send 2 2', 'send  2', 'send  1']); // no End-of-RIB to it
    expect(sync.has(b)).toBe(false);
    sync.activate(a);
    sync.leave(a);
    expect(closed()).toBe(1);
    expect(sync.closed).toBe(true);
  });

  it('an adopted member (moved from another group) is a receiver in the state it had', () => {
    const { sync, member } = setup();
    const a = member(1);
    sync.leave(a);
    sync.adopt(a, 'synced');
    expect(sync.receiving(a)).toBe(true);
    expect(sync.stateOf(a)).toBe('synced');
    expect(sync.table).toBe('built');
  });
});
