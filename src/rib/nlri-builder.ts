/** Accumulates NLRI entries from RIB keys into wire bytes for the packer, growing as needed. */
import { NlriList } from '../wire/index.js';
import { type PrefixKey, writeKey } from './prefix-key.js';

export class NlriBuilder {
  /** Small at first: with distinct attribute sets most builders hold a few prefixes (grows ×2). */
  private buf = new Uint8Array(64);
  private pos = 0;
  count = 0;

  constructor(
    private readonly afi: number,
    private readonly addPath: boolean,
  ) {}

  add(key: PrefixKey, pathId = 0): void {
    if (this.pos + 21 > this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
    }
    const b = this.buf;
    if (this.addPath) {
      b[this.pos++] = pathId >>> 24;
      b[this.pos++] = (pathId >>> 16) & 255;
      b[this.pos++] = (pathId >>> 8) & 255;
      b[this.pos++] = pathId & 255;
    }
    this.pos = writeKey(key, b, this.pos);
    this.count++;
  }

  build(): NlriList {
    return NlriList.fromCanonical(this.afi, this.addPath, this.buf.slice(0, this.pos), this.count);
  }
}
