/**
 * Splits a TCP byte stream into BGP messages. Validates marker and length as soon as 19 octets
 * are buffered (RFC 4271 §6.1, like BIRD's bgp_rx), never waiting for a body whose length is bad.
 * Pull-based so the caller can raise the limit after an OPEN negotiates extended messages (RFC 8654).
 */
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH } from './constants.js';
import type { BgpError } from './errors.js';
import { checkHeader } from './message.js';

export class Framer {
  private buf = new Uint8Array(8192);
  private start = 0;
  private end = 0;
  private failed: BgpError | null = null;

  constructor(public maxLength: number = MAX_MESSAGE_LENGTH) {}

  /** Octets buffered but not yet returned as messages. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    const need = this.end - this.start + chunk.length;
    if (this.end + chunk.length > this.buf.length) {
      // Compact what is pending to the front, growing only when it does not fit.
      const target = need > this.buf.length ? new Uint8Array(Math.max(need, this.buf.length * 2)) : this.buf;
      if (target === this.buf) this.buf.copyWithin(0, this.start, this.end);
      else target.set(this.buf.subarray(this.start, this.end));
      this.buf = target;
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /**
   * The next complete message (a view valid until the next push), null when more octets are
   * needed, or the header error. After an error the framer keeps returning it.
   */
  next(): Uint8Array | null | BgpError {
    if (this.failed) return this.failed;
    if (this.end - this.start < HEADER_LENGTH) return null;
    const len = checkHeader(this.buf, this.start, this.maxLength);
    if (typeof len !== 'number') {
      this.failed = len;
      return len;
    }
    if (this.end - this.start < len) return null;
    const frame = this.buf.subarray(this.start, this.start + len);
    this.start += len;
    if (this.start === this.end) this.start = this.end = 0;
    return frame;
  }
}
