/**
 * When a BIRD is killed and started again for a graceful restart (src/lab/device-restart.ts): at
 * points of BIRD 1.6's whole-second monotonic clock where it and its peers never dial each other
 * in the same second (they would drop both connections and redial in lock-step).
 */
import { describe, expect, it } from 'vitest';
import { birdKillAt, birdRestartAt, restartArgv, stopSignal } from '../../../src/lab/device-restart.js';

/** Seconds in which the peers (saw the close at killedMs) and the restarted BIRD dial, delay 2 s. */
function dials(killedMs: number, startMs: number) {
  const k = Math.floor(killedMs / 1000);
  const s = Math.floor(startMs / 1000);
  const peers = Array.from({ length: 10 }, (_, j) => k + 2 * (j + 1));
  return { peers, bird: s + 2 };
}

describe('graceful BIRD restart timing', () => {
  it('kills early in a second: late in one it waits for the next', () => {
    expect(birdKillAt(10_100)).toBe(10_100);
    expect(birdKillAt(10_799)).toBe(10_799);
    expect(birdKillAt(10_800)).toBe(11_020);
    expect(birdKillAt(10_999)).toBe(11_020);
  });

  it('starts it again after downMs, in a second an odd number after the kill', () => {
    for (let killed = 50_000; killed < 50_800; killed += 37)
      for (const down of [0, 500, 1000, 2000, 2500, 5000]) {
        const start = birdRestartAt(killed, down);
        expect(start).toBeGreaterThanOrEqual(killed + down);
        // At most one second more than asked for (the parity), plus the start phase.
        expect(start).toBeLessThan(killed + down + 2100);
        expect(start % 1000).toBe(100);
        const { peers, bird } = dials(killed, start);
        // Never the same second, and a peer dials while it listens before it is due itself.
        expect(peers).not.toContain(bird);
        expect(peers).toContain(bird - 1);
      }
  });

  it('a 2 s down time (the GR scenario) moves the start to the next odd second', () => {
    // Killed at 10.3 s: peers redial at 12, 14, …; started at 12.1 it would dial at 14 with them.
    expect(birdRestartAt(10_300, 2000)).toBe(13_100);
    expect(birdRestartAt(10_300, 0)).toBe(11_100);
  });

  it('keeps the signals and -R of a graceful restart', () => {
    expect(stopSignal('bird', true)).toBe('SIGKILL');
    expect(stopSignal('rackbgp', true)).toBe('SIGUSR2');
    const proc = { name: 'bird', argv: ['bird', '-c', 'x'] } as unknown as Parameters<typeof restartArgv>[0];
    expect(restartArgv(proc, true)).toEqual(['bird', '-c', 'x', '-R']);
  });
});
