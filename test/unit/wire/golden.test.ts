import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  messageFromJson,
  messageLength,
  messageToJson,
} from '../../../src/wire/index.js';
import { GOLDEN } from '../../fixtures/wire/golden.js';
import { context, fromHex } from '../../helpers.js';

describe.each(GOLDEN)('golden: $name', (f) => {
  const bytes = fromHex(f.hex);
  const ctx = context(f.ctx);

  it('length field matches the fixture', () => {
    expect((bytes[16] << 8) | bytes[17]).toBe(bytes.length);
  });

  it('decodes to the expected JSON without issues', () => {
    const r = decodeMessage(bytes, ctx);
    if (!r.ok) throw r.error;
    expect(r.issues).toEqual([]);
    expect(messageToJson(r.message)).toEqual(f.json);
  });

  it('encodes the expected message to exactly the fixture bytes', () => {
    const m = messageFromJson(f.json);
    expect(Buffer.from(encodeMessage(m, ctx, 65535)).toString('hex')).toBe(
      Buffer.from(bytes).toString('hex'),
    );
    expect(messageLength(m, ctx)).toBe(bytes.length);
  });

  it('round-trips decode → encode', () => {
    const r = decodeMessage(bytes, ctx);
    if (!r.ok) throw r.error;
    expect(encodeMessage(r.message, ctx, 65535)).toEqual(bytes);
  });
});
