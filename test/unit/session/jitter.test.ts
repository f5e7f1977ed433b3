import { describe, expect, test } from 'vitest';
import { jitterFactor } from '../../../src/session/peer-session.js';

describe('timer jitter (RFC 4271 §10)', () => {
  test('KEEPALIVE at 0.75-0.8 of its interval (never past it), other timers 0.75-1.0', () => {
    expect(jitterFactor('keepalive', 0)).toBe(0.75);
    expect(jitterFactor('keepalive', 0.999999)).toBeCloseTo(0.8, 5);
    expect(jitterFactor('connectRetry', 0)).toBe(0.75);
    expect(jitterFactor('connectRetry', 0.999999)).toBeCloseTo(1, 5);
  });
});
