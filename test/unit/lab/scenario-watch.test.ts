import { describe, expect, it } from 'vitest';
import {
  birdReply,
  journalEventText,
  journalToTimed,
  parseBirdLog,
} from '../../../src/lab/scenario-watch.js';

describe("BIRD's control socket protocol", () => {
  it('strips codes and continuation marks; a line with a space after its code ends the reply', () => {
    const raw =
      '2002-name     proto    table    state  since       info\n' +
      '1002-static1  Static   master   up     16:55:49    \n' +
      ' Node_172_20_0_1 BGP      master   up     16:55:51    Established   \n' +
      '0000 \n' +
      '0001 BIRD 1.6.8 ready.\n';
    const r = birdReply(raw);
    expect(r.done).toBe(true);
    expect(r.text.split('\n')).toEqual([
      'name     proto    table    state  since       info',
      'static1  Static   master   up     16:55:49    ',
      'Node_172_20_0_1 BGP      master   up     16:55:51    Established   ',
    ]);
    expect(r.rest).toBe('0001 BIRD 1.6.8 ready.\n');
  });
  it('waits for the end of a partial reply, and keeps an error text', () => {
    expect(birdReply('1002-static1 Static\n')).toEqual({
      done: false,
      text: '',
      rest: '1002-static1 Static\n',
    });
    expect(birdReply('9001 syntax error\n').text).toBe('syntax error');
  });
});

describe('BIRD log lines', () => {
  it('reads timestamped lines (with or without milliseconds) and skips the rest', () => {
    const ev = parseBirdLog(
      '2026-12-06 17:01:02.250 <INFO> Node_172_20_0_1: Received: Hold timer expired\n' +
        'bird: something without a time\n' +
        '2026-12-06 17:01:03 <RMT> Node_172_20_0_12: Error: Hold timer expired\n',
    );
    expect(ev).toEqual([
      {
        t: new Date(2026, 11, 6, 17, 1, 2, 250).getTime(),
        level: 'INFO',
        text: 'Node_172_20_0_1: Received: Hold timer expired',
      },
      {
        t: new Date(2026, 11, 6, 17, 1, 3, 0).getTime(),
        level: 'RMT',
        text: 'Node_172_20_0_12: Error: Hold timer expired',
      },
    ]);
  });
});

describe('journal events', () => {
  const e = {
    seq: 7,
    time: '2026-12-06T17:00:01.500Z',
    t: 1_796_576_401_500.25,
    type: 'session-down',
    peer: '172.20.0.11',
    cause: 'hold timer expired',
    code: 4,
  };
  it('as one line: type, peer, prefix, details', () => {
    expect(journalEventText(e)).toBe('session-down 172.20.0.11 cause=hold timer expired code=4');
    expect(
      journalEventText({ seq: 1, type: 'best-change', prefix: '10.233.64.0/26', after: ['172.20.0.12'] }),
    ).toBe('best-change 10.233.64.0/26 after=["172.20.0.12"]');
    // Paths and FIB next hops shortened to their addresses, ADD-PATH ids kept (one reflector's
    // paths share a next hop).
    expect(
      journalEventText({
        seq: 2,
        type: 'best-change',
        peer: '172.20.0.11',
        prefix: '10.233.66.0/26',
        before: [
          { peer: '172.20.0.11', nextHop: '172.20.0.11', pathId: 8 },
          { peer: '172.20.0.12', nextHop: '172.20.0.12', pathId: 10 },
        ],
        after: [{ peer: '172.20.0.12', nextHop: '172.20.0.12', pathId: 10 }],
      }),
    ).toBe('best-change 172.20.0.11 10.233.66.0/26 before=172.20.0.11#8+172.20.0.12#10 after=172.20.0.12#10');
    expect(
      journalEventText({
        seq: 3,
        type: 'fib-install',
        prefix: '10.233.66.0/26',
        op: 'replace',
        nextHops: [{ via: '172.20.0.12', dev: 'br0' }],
      }),
    ).toBe('fib-install 10.233.66.0/26 op=replace nextHops=172.20.0.12');
    expect(journalEventText({ seq: 4, type: 'route-withdraw', prefix: '10.0.0.0/8', after: [] })).toBe(
      'route-withdraw 10.0.0.0/8 after=-',
    );
  });
  it('with the high-resolution time, and the lab session of (switch, peer)', () => {
    const te = journalToTimed('leaf1', e, (d, peer) =>
      d === 'leaf1' && peer === '172.20.0.11' ? 4 : undefined,
    );
    expect(te).toMatchObject({
      t: e.t,
      source: 'leaf1',
      origin: 'journal',
      type: 'session-down',
      session: 4,
    });
    const { t: _t, ...noT } = e;
    expect(journalToTimed('leaf1', noT, () => undefined)?.t).toBe(Date.parse(e.time));
    expect(journalToTimed('leaf1', { seq: 1, type: 'x' }, () => undefined)).toBeUndefined();
  });
});
