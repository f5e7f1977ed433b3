/**
 * The malformed corpus (test/fixtures/wire/malformed.ts): RFC 4271 §6 NOTIFICATIONs with exact
 * code/subcode/data, RFC 7606 actions with what survives, RFC 6793 AS4 reconstruction.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/util/ip.js';
import { decodeMessage, issueToJson, messageToJson } from '../../../src/wire/index.js';
import {
  AS4_CASES,
  ATTRIBUTE_CASES,
  type ErrorExpectation,
  MESSAGE_ERRORS,
  type UpdateExpectation,
} from '../../fixtures/wire/malformed.js';
import { context, fromHex } from '../../helpers.js';

type Segment = { type: string; asns: number[] };

/** Adjacent AS_SEQUENCE segments merged: how a path is split into segments carries no meaning. */
function mergeSequences(path: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of path) {
    const last = out[out.length - 1];
    if (last && last.type === 'sequence' && s.type === 'sequence') last.asns = [...last.asns, ...s.asns];
    else out.push({ type: s.type, asns: [...s.asns] });
  }
  return out;
}

describe.each(MESSAGE_ERRORS)('NOTIFICATION: $name ($rfc)', (c) => {
  it('fails with the exact code, subcode and data', () => {
    const want = (c.expect as ErrorExpectation).error;
    const r = decodeMessage(fromHex(c.hex), context(c.ctx), c.maxLength);
    if (r.ok) throw new Error(`decoded: ${JSON.stringify(messageToJson(r.message))}`);
    expect({ code: r.error.code, subcode: r.error.subcode, data: toHex(r.error.data) }).toEqual(want);
  });
});

describe.each(ATTRIBUTE_CASES)('RFC 7606: $name ($rfc)', (c) => {
  const want = c.expect as UpdateExpectation;
  const bytes = fromHex(c.hex);

  it('is a whole message (length field = octets)', () => {
    expect((bytes[16] << 8) | bytes[17]).toBe(bytes.length);
  });

  it('yields the action, the issues and what survives', () => {
    const r = decodeMessage(bytes, context(c.ctx), c.maxLength);
    if (!r.ok) throw r.error;
    expect(r.message.type).toBe('update');
    const json = messageToJson(r.message);
    expect(['none', 'attribute-discard', 'treat-as-withdraw'][r.action]).toBe(want.action);
    expect(r.issues.map(issueToJson)).toEqual(
      want.issues.map((i) => ({
        action: i.action,
        ...(i.attr !== undefined && { attr: i.attr }),
        code: 3,
        subcode: i.subcode,
        data: i.data ?? '',
        reason: expect.any(String),
      })),
    );
    if (want.attributes === null) expect(r.message.type === 'update' && r.message.attributes).toBeNull();
    expect(json.attributes).toEqual(want.attributes);
    // Treat-as-withdraw needs the prefixes: they are still reported in full.
    expect(json.nlri).toEqual(want.nlri);
    expect(json.withdrawn).toEqual(want.withdrawn ?? []);
    expect(json.mpReach?.nlri).toEqual(want.mpNlri);
  });
});

describe.each(AS4_CASES)('RFC 6793: $name ($rfc)', (c) => {
  it('reconstructs the path and aggregator', () => {
    const r = decodeMessage(fromHex(c.hex), context(c.ctx));
    if (!r.ok) throw r.error;
    const json = messageToJson(r.message);
    expect(mergeSequences(json.attributes.asPath)).toEqual(c.asPath);
    expect(json.attributes.aggregator).toEqual(c.aggregator);
    expect(r.issues.map((i) => issueToJson(i))).toEqual(c.issues.map((i) => expect.objectContaining(i)));
    expect(json.nlri).toEqual(['10.1.0.0/24']);
  });
});

describe('OPEN hold time boundaries (RFC 4271 §4.2: zero or at least three seconds)', () => {
  it.each([0, 3, 65535])('accepts %i', (hold) => {
    const h = hold.toString(16).padStart(4, '0');
    const r = decodeMessage(fromHex(`${'ff'.repeat(16)} 001d 01 04 fde8 ${h} 0a000001 00`), context());
    expect(r.ok && r.message.type === 'open' && r.message.holdTime).toBe(hold);
  });
});
