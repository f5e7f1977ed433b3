/**
 * Reads capture files from bytes: classic libpcap (either byte order, micro- or nanosecond
 * timestamps) and pcapng (SHB/IDB/EPB/SPB/OPB blocks, draft-ietf-opsawg-pcapng). Pure: no I/O.
 * Never throws on garbage: what cannot be read is reported in `issues` and skipped.
 */

/** Capture timestamp: whole seconds since the epoch and nanoseconds within the second. */
export interface CaptureTime {
  readonly sec: number;
  readonly nsec: number;
}

export interface CapturedPacket {
  /** 1-based packet number in the file, as tshark counts frames. */
  readonly number: number;
  /** LINKTYPE_* value of the interface the packet was captured on. */
  readonly linkType: number;
  /** Absent for pcapng Simple Packet Blocks, which carry no timestamp. */
  readonly time?: CaptureTime;
  /** Captured octets (may be shorter than originalLength when the snap length cut it). */
  readonly data: Uint8Array;
  readonly originalLength: number;
}

export interface Capture {
  readonly format: 'pcap' | 'pcapng';
  readonly packets: CapturedPacket[];
  /** Problems met while reading; the packets before them are still returned. */
  readonly issues: string[];
}

const PCAP_MICRO = 0xa1b2c3d4;
const PCAP_NANO = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER = 0x1a2b3c4d;

const Block = { IDB: 1, OPB: 2, SPB: 3, EPB: 6 } as const;
/** IDB option codes (pcapng §4.2). */
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;
const OPT_END = 0;

/** Bounds-checked little/big-endian reads over a view. */
class Bytes {
  constructor(
    readonly view: DataView,
    public le: boolean,
  ) {}
  u16(at: number): number {
    return this.view.getUint16(at, this.le);
  }
  u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }
}

/** Whether `bytes` looks like a capture file this reader understands. */
export function isCapture(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const be = v.getUint32(0, false);
  const le = v.getUint32(0, true);
  return [PCAP_MICRO, PCAP_NANO].includes(be) || [PCAP_MICRO, PCAP_NANO].includes(le) || be === PCAPNG_SHB;
}

export function readCapture(bytes: Uint8Array): Capture {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) return { format: 'pcap', packets: [], issues: ['file shorter than 4 octets'] };
  const out: Capture = {
    format: view.getUint32(0, false) === PCAPNG_SHB ? 'pcapng' : 'pcap',
    packets: [],
    issues: [],
  };
  try {
    if (out.format === 'pcapng') readPcapng(bytes, view, out);
    else readPcap(bytes, view, out);
  } catch (e) {
    // The readers check bounds before each read; this is a backstop so garbage never throws.
    out.issues.push(`unreadable capture: ${String(e)}`);
  }
  return out;
}

function readPcap(bytes: Uint8Array, view: DataView, out: Capture): void {
  const { packets, issues } = out;
  const magicBe = view.getUint32(0, false);
  const magicLe = view.getUint32(0, true);
  let le: boolean;
  let nano: boolean;
  if (magicBe === PCAP_MICRO || magicBe === PCAP_NANO) {
    le = false;
    nano = magicBe === PCAP_NANO;
  } else if (magicLe === PCAP_MICRO || magicLe === PCAP_NANO) {
    le = true;
    nano = magicLe === PCAP_NANO;
  } else {
    issues.push(`not a pcap or pcapng file (magic 0x${magicBe.toString(16).padStart(8, '0')})`);
    return;
  }
  if (bytes.length < 24) {
    issues.push('pcap file header truncated');
    return;
  }
  const b = new Bytes(view, le);
  // The upper bits of the link type field carry FCS information (pcap format §4).
  const linkType = b.u32(20) & 0x0fffffff;
  let p = 24;
  let number = 0;
  while (p < bytes.length) {
    if (p + 16 > bytes.length) {
      issues.push(`packet ${number + 1}: record header truncated at offset ${p}`);
      break;
    }
    const sec = b.u32(p);
    const frac = b.u32(p + 4);
    const capLen = b.u32(p + 8);
    const origLen = b.u32(p + 12);
    if (p + 16 + capLen > bytes.length) {
      issues.push(`packet ${number + 1}: ${capLen} captured octets run past the end of the file`);
      break;
    }
    number++;
    packets.push({
      number,
      linkType,
      time: { sec, nsec: nano ? frac : frac * 1000 },
      data: bytes.subarray(p + 16, p + 16 + capLen),
      originalLength: origLen,
    });
    p += 16 + capLen;
  }
}

interface Interface {
  readonly linkType: number;
  readonly snapLen: number;
  /** Timestamp units per second (if_tsresol, default 10^6). */
  readonly unitsPerSec: bigint;
  readonly offsetSec: bigint;
}

function readPcapng(bytes: Uint8Array, view: DataView, out: Capture): void {
  const { packets, issues } = out;
  const b = new Bytes(view, true);
  let interfaces: Interface[] = [];
  let p = 0;
  let number = 0;
  while (p < bytes.length) {
    if (p + 12 > bytes.length) {
      issues.push(`block at offset ${p} truncated`);
      break;
    }
    const type = view.getUint32(p, b.le);
    if (type === PCAPNG_SHB) {
      // Section Header Block: the byte-order magic sets the endianness of the whole section.
      const bom = view.getUint32(p + 8, true);
      if (bom === PCAPNG_BYTE_ORDER) b.le = true;
      else if (view.getUint32(p + 8, false) === PCAPNG_BYTE_ORDER) b.le = false;
      else {
        issues.push(`section header at offset ${p} has an unknown byte-order magic`);
        break;
      }
      interfaces = [];
    }
    const len = b.u32(p + 4);
    if (len < 12 || len % 4 !== 0 || p + len > bytes.length) {
      issues.push(`block at offset ${p} has an impossible length ${len}`);
      break;
    }
    const body = p + 8;
    const bodyEnd = p + len - 4;
    switch (type) {
      case Block.IDB: {
        if (bodyEnd - body < 8) {
          issues.push(`interface block at offset ${p} truncated`);
          break;
        }
        interfaces.push({
          linkType: b.u16(body),
          snapLen: b.u32(body + 4),
          ...interfaceOptions(bytes, b, body + 8, bodyEnd),
        });
        break;
      }
      case Block.EPB:
      case Block.OPB: {
        const epb = type === Block.EPB;
        if (bodyEnd - body < 20) {
          issues.push(`packet block at offset ${p} truncated`);
          break;
        }
        const ifId = epb ? b.u32(body) : b.u16(body);
        const itf = interfaces[ifId];
        const capLen = b.u32(body + 12);
        if (!itf) {
          issues.push(`packet block at offset ${p} names unknown interface ${ifId}`);
          break;
        }
        if (body + 20 + capLen > bodyEnd) {
          issues.push(`packet block at offset ${p}: ${capLen} captured octets overrun the block`);
          break;
        }
        number++;
        const ts = (BigInt(b.u32(body + 4)) << 32n) | BigInt(b.u32(body + 8));
        packets.push({
          number,
          linkType: itf.linkType,
          time: toTime(ts, itf),
          data: bytes.subarray(body + 20, body + 20 + capLen),
          originalLength: b.u32(body + 16),
        });
        break;
      }
      case Block.SPB: {
        const itf = interfaces[0];
        if (!itf || bodyEnd - body < 4) {
          issues.push(`simple packet block at offset ${p} without interface or truncated`);
          break;
        }
        const orig = b.u32(body);
        // pcapng §4.4: captured length is the smaller of original length, snap length and the block.
        let capLen = Math.min(orig, bodyEnd - body - 4);
        if (itf.snapLen > 0) capLen = Math.min(capLen, itf.snapLen);
        number++;
        packets.push({
          number,
          linkType: itf.linkType,
          data: bytes.subarray(body + 4, body + 4 + capLen),
          originalLength: orig,
        });
        break;
      }
      default:
        // Name resolution, statistics, custom and unknown blocks carry no packets.
        break;
    }
    p += len;
  }
}

function interfaceOptions(
  bytes: Uint8Array,
  b: Bytes,
  p: number,
  end: number,
): { unitsPerSec: bigint; offsetSec: bigint } {
  let unitsPerSec = 1_000_000n;
  let offsetSec = 0n;
  while (p + 4 <= end) {
    const code = b.u16(p);
    const len = b.u16(p + 2);
    const v = p + 4;
    if (code === OPT_END || v + len > end) break;
    if (code === IF_TSRESOL && len >= 1) {
      // High bit set: negative power of 2, else negative power of 10.
      const r = bytes[v];
      unitsPerSec = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
    } else if (code === IF_TSOFFSET && len >= 8) {
      offsetSec = BigInt.asIntN(
        64,
        (BigInt(b.u32(b.le ? v + 4 : v)) << 32n) | BigInt(b.u32(b.le ? v : v + 4)),
      );
    }
    p = v + ((len + 3) & ~3);
  }
  return { unitsPerSec, offsetSec };
}

function toTime(ts: bigint, itf: Interface): CaptureTime {
  const sec = ts / itf.unitsPerSec;
  const rest = ts % itf.unitsPerSec;
  return { sec: Number(sec + itf.offsetSec), nsec: Number((rest * 1_000_000_000n) / itf.unitsPerSec) };
}

/** ISO 8601 with nanoseconds, as tshark prints frame.time in JSON: 2024-01-02T03:04:05.123456789Z. */
export function formatCaptureTime(t: CaptureTime): string {
  const ms = t.sec * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return `${t.sec}.${String(t.nsec).padStart(9, '0')}`;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${String(t.nsec).padStart(9, '0')}Z`);
}
