/**
 * The short version of `npm run fuzz:live` (fuzz/live.ts): 30,000 mutated and random messages
 * from 4 fuzz workers against rackbgp while it holds a BIRD 2 session with 500 routes. Every answer
 * must be one the RFC oracle allows, every treat-as-withdraw probe must empty the RIB of its prefix,
 * rackbgp must live, and the BIRD session must be the same Established session with all its routes.
 */
import { describe, expect, it } from 'vitest';
import { BIN } from '../../bench/harness/duts.js';
import { fuzzLive, liveReport } from '../../fuzz/live.js';
import { isRoot, requireTools } from './support/netns.js';

const skip = !isRoot() || requireTools(BIN.bird2).length > 0;

describe.skipIf(skip)('live fuzz, short', () => {
  it('30,000 messages: answers as the RFCs say, no crash, the BIRD session untouched', async () => {
    const r = await fuzzLive({
      messages: 30_000,
      workers: 4,
      birdRoutes: 500,
      seed: 20261202,
      log: () => {},
    });
    const report = liveReport(r).join('\n');
    expect(r.totals.mismatches, report).toEqual([]);
    expect(r.totals.fatal, report).toBeUndefined();
    expect(r.totals.messages).toBeGreaterThanOrEqual(30_000);
    expect(r.totals.withdrawProbes.failed, report).toEqual([]);
    expect(r.totals.withdrawProbes.passed).toBeGreaterThan(10);
    // Both sides of the RFC 7606 split were exercised: resets and UPDATEs that kept the session.
    expect(r.totals.byAction['treat-as-withdraw']).toBeGreaterThan(1000);
    expect(r.totals.byOutcome['3/1']).toBeGreaterThan(100);
    expect(r.rackbgpAlive).toBe(true);
    expect(r.birdAfter.state).toBe('Established');
    expect(r.birdAfter.transitions).toBe(r.birdBefore.transitions);
    expect(r.birdAfter.prefixesReceived).toBe(500);
    expect(r.after.openFds).toBeLessThanOrEqual(r.before.openFds);
    expect(r.ok, report).toBe(true);
  }, 180_000);
});
