/**
 * Growable byte writer with length back-patching. Encoders size their output with an exact
 * encodedLength() first, so in practice the buffer is allocated once.
 */

/** Small buffers are views of a shared zeroed slab: an ArrayBuffer per UPDATE was ~8% of a 250,000-UPDATE export. */
const SLAB_SIZE = 64 * 1024;
const SLAB_MAX = 4096;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

function allocate(n: number): Uint8Array {
  if (n > SLAB_MAX) return new Uint8Array(n);
  if (slabUsed + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const v = new Uint8Array(slab, slabUsed, n);
  slabUsed += n;
  return v;
}

export class Writer {
  buf: Uint8Array;
  pos = 0;

  constructor(capacity = 256) {
    this.buf = allocate(capacity);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = allocate(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf[this.pos++] = (v >>> 8) & 255;
    this.buf[this.pos++] = v & 255;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    const b = this.buf;
    b[this.pos++] = (v >>> 24) & 255;
    b[this.pos++] = (v >>> 16) & 255;
    b[this.pos++] = (v >>> 8) & 255;
    b[this.pos++] = v & 255;
    return this;
  }

  bytes(v: Uint8Array): this {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  /** Reserves `width` (1 or 2) bytes for a length; returns the mark for patchLength(). */
  reserveLength(width: 1 | 2): number {
    const mark = this.pos;
    if (width === 1) this.u8(0);
    else this.u16(0);
    return mark;
  }

  /** Writes the number of bytes written since the reserved field into it. */
  patchLength(mark: number, width: 1 | 2): void {
    const len = this.pos - mark - width;
    if (width === 1) this.buf[mark] = len;
    else {
      this.buf[mark] = len >>> 8;
      this.buf[mark + 1] = len & 255;
    }
  }

  /** The written bytes (a view of the internal buffer). */
  finish(): Uint8Array {
    // Exactly sized writers (the common case) return the buffer itself: subarray() was 15% of encodeMessage.
    return this.pos === this.buf.length ? this.buf : this.buf.subarray(0, this.pos);
  }
}
