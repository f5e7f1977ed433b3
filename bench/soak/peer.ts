/**
 * A minimal raw BGP client for the soak runs: pre-encoded OPEN, KEEPALIVE, Cease and packed UPDATEs
 * (src/wire encoders, 4-octet AS, IPv4 unicast, 4096-octet messages), and one TCP session driven
 * through OPEN/KEEPALIVE to Established (RFC 4271 §8, as the passive side expects it: we send OPEN
 * first). Received messages are framed and counted by type; UPDATE prefixes are counted by walking
 * the NLRI field (no ADD-PATH). Arrival times of KEEPALIVEs are kept for the keepalive probe.
 */
import { connect, type Socket } from 'node:net';
import {
  AsPathSegmentType,
  CeaseSubcode,
  encodeMessage,
  Framer,
  INITIAL_CONTEXT,
  IPV4_UNICAST,
  KEEPALIVE,
  MessageType,
  makeOpen,
  NlriList,
  Origin,
  packAnnouncements,
  shutdownNotification,
  type UpdateContext,
} from '../../src/wire/index.js';

export const CTX: UpdateContext = { fourOctetAs: true, addPathRx: new Set(), addPathTx: new Set() };
export const now = () => Number(process.hrtime.bigint()) / 1e6;

/** `n` distinct /24s from `first`.0.0.0 upwards, as canonical NLRI. */
export function slash24s(n: number, first: number): NlriList {
  const b = new Uint8Array(4 * n);
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    b[p] = 24;
    b[p + 1] = first + (i >>> 16);
    b[p + 2] = (i >>> 8) & 255;
    b[p + 3] = i & 255;
  }
  return NlriList.fromCanonical(1, false, b, n);
}

/** The octets one speaker sends: OPEN, KEEPALIVE, Cease 6/2, and `routes` /24s in packed UPDATEs. */
export interface Wire {
  readonly open: Uint8Array;
  readonly keepalive: Uint8Array;
  readonly cease: Uint8Array;
  readonly updates: Uint8Array;
}

export function encodeWire(o: {
  asn: number;
  routerId: string;
  hold: number;
  nextHop: string;
  routes: number;
  firstOctet: number;
}): Wire {
  const open = makeOpen({
    asn: o.asn,
    holdTime: o.hold,
    routerId: o.routerId,
    capabilities: [
      { kind: 'multiprotocol', family: IPV4_UNICAST },
      { kind: 'route-refresh' },
      { kind: 'four-octet-as', asn: o.asn },
    ],
  });
  const frames = o.routes
    ? packAnnouncements(
        {
          origin: Origin.IGP,
          asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [o.asn] }],
          nextHop: o.nextHop,
        },
        slash24s(o.routes, o.firstOctet),
        IPV4_UNICAST,
        CTX,
        4096,
      ).messages
    : [];
  return {
    open: encodeMessage(open, INITIAL_CONTEXT),
    keepalive: encodeMessage(KEEPALIVE, INITIAL_CONTEXT),
    cease: encodeMessage(
      shutdownNotification(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, 'soak flap'),
      INITIAL_CONTEXT,
    ),
    updates: Buffer.concat(frames),
  };
}

/** IPv4 unicast prefixes announced in an UPDATE frame (RFC 4271 §4.3: NLRI after the attributes). */
export function announcedPrefixes(frame: Uint8Array): number {
  const withdrawn = (frame[19] << 8) | frame[20];
  const attrsAt = 21 + withdrawn;
  let p = attrsAt + 2 + ((frame[attrsAt] << 8) | frame[attrsAt + 1]);
  let n = 0;
  while (p < frame.length) {
    p += 1 + ((frame[p] + 7) >> 3);
    n++;
  }
  return n;
}

export interface SessionEvents {
  /** Called at Established (our KEEPALIVE sent, theirs received). */
  established?(s: RawSession): void;
  message?(type: number, frame: Uint8Array, s: RawSession): void;
  /** The session ended: `why` says how (their NOTIFICATION, a socket error or a close). */
  closed?(why: string, s: RawSession): void;
}

/** One TCP connection to the speaker, driven to Established; keepalives every hold/3 afterwards. */
export class RawSession {
  readonly socket: Socket;
  state: 'connecting' | 'open-sent' | 'open-confirm' | 'established' | 'closed' = 'connecting';
  readonly received = new Map<number, number>();
  private readonly framer = new Framer(65535);
  private timer: NodeJS.Timeout | null = null;
  private why = '';

  constructor(
    readonly wire: Wire,
    target: { host: string; port: number; localAddress: string },
    private readonly on: SessionEvents,
    private readonly hold: number,
  ) {
    this.socket = connect({ host: target.host, port: target.port, localAddress: target.localAddress });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.state = 'open-sent';
      this.socket.write(wire.open);
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.framer.push(chunk);
      for (;;) {
        const frame = this.framer.next();
        if (frame === null) return;
        if (!(frame instanceof Uint8Array)) return this.fail(`framing: ${frame.message}`);
        this.onFrame(frame);
      }
    });
    this.socket.on('error', (e) => {
      this.why ||= `socket: ${e.message}`;
    });
    this.socket.on('close', () => {
      const was = this.state;
      this.state = 'closed';
      if (this.timer) clearInterval(this.timer);
      this.on.closed?.(this.why || `closed by the speaker in ${was}`, this);
    });
  }

  private onFrame(frame: Uint8Array): void {
    const type = frame[18];
    this.received.set(type, (this.received.get(type) ?? 0) + 1);
    if (type === MessageType.NOTIFICATION) this.why ||= `NOTIFICATION ${frame[19]}/${frame[20]}`;
    else if (type === MessageType.OPEN && this.state === 'open-sent') {
      this.socket.write(this.wire.keepalive);
      this.state = 'open-confirm';
    } else if (type === MessageType.KEEPALIVE && this.state === 'open-confirm') {
      this.state = 'established';
      if (this.hold > 0)
        this.timer = setInterval(() => this.socket.write(this.wire.keepalive), (this.hold / 3) * 1000);
      this.on.established?.(this);
    }
    this.on.message?.(type, frame, this);
  }

  private fail(why: string): void {
    this.why ||= why;
    this.socket.destroy();
  }

  /** Cease/Administrative Shutdown, then FIN (RFC 4271 §6.7, RFC 8203). */
  cease(): void {
    this.why ||= 'we sent Cease';
    this.socket.end(this.wire.cease);
  }

  /** An abrupt TCP reset, no NOTIFICATION. */
  reset(): void {
    this.why ||= 'we reset';
    this.socket.resetAndDestroy();
  }
}
