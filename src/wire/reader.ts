/**
 * Bounds-checked cursor over bytes. Every read past the end calls `onShort`, which throws the
 * caller's BgpError; decoders catch it at the message boundary so peer input never throws out.
 */

export class Reader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
    private readonly onShort: (need: number) => never = shortRead,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) this.onShort(n);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u16(): number {
    this.need(2);
    const b = this.buf;
    const v = (b[this.pos] << 8) | b[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  /** A view (not a copy) of the next n bytes. */
  view(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A copy of the next n bytes, safe to keep after the receive buffer is reused. */
  copy(n: number): Uint8Array {
    return Uint8Array.from(this.view(n));
  }

  /** A sub-reader over the next n bytes; this reader skips past them. */
  sub(n: number, onShort: (need: number) => never = this.onShort): Reader {
    this.need(n);
    const r = new Reader(this.buf, this.pos, this.pos + n, onShort);
    this.pos += n;
    return r;
  }
}

function shortRead(need: number): never {
  throw new RangeError(`read of ${need} bytes past the end`);
}

export const u32At = (b: Uint8Array, p: number): number =>
  ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
