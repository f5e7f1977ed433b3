/**
 * A BIRD control-socket client (BIRD 1.6 and 2 speak the same line protocol): one persistent
 * connection per daemon, commands answered in order. A reply is lines "DDDD-text" or " text" and
 * ends with a line "DDDD text". The socket is a file, so the root namespace reaches a BIRD in any
 * network namespace without `ip netns exec` (a poll costs a write and a read, not a process).
 */
import { connect, type Socket } from 'node:net';

export class BirdCtl {
  private buf = '';
  private readonly waiting: { resolve: (s: string) => void; reject: (e: Error) => void }[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private closed: Error | undefined;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('error', (e) => this.failAll(e));
    sock.on('close', () => this.failAll(new Error('BIRD control socket closed (BIRD gone?)')));
  }

  static async open(path: string): Promise<BirdCtl> {
    const sock = connect({ path });
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    const ctl = new BirdCtl(sock);
    await ctl.reply(); // "0001 BIRD x.y ready."
    return ctl;
  }

  private onData(d: string): void {
    this.buf += d;
    for (;;) {
      const end = /^\d{4} .*$/m.exec(this.buf);
      if (!end) return;
      const stop = end.index + end[0].length + 1;
      const text = this.buf.slice(0, stop);
      this.buf = this.buf.slice(stop);
      this.waiting.shift()?.resolve(text);
    }
  }

  private failAll(e: Error): void {
    this.closed ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  /** The next reply; a BIRD that does not answer within `timeoutMs` fails the call. */
  private reply(timeoutMs = 30_000): Promise<string> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.sock.destroy();
        this.failAll(new Error(`BIRD control socket: no reply in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const done = () => clearTimeout(timer);
      this.waiting.push({
        resolve: (t) => {
          done();
          resolve(t);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
    });
  }

  /** Sends one command and resolves with its whole reply (codes included). */
  cmd(command: string): Promise<string> {
    const p = this.chain.then(() => {
      const r = this.reply();
      if (!this.closed) this.sock.write(`${command}\n`);
      return r;
    });
    this.chain = p.catch(() => {});
    return p;
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Fields of `show protocols all NAME` that the benchmarks read (BIRD 1.6 and 2 alike; "---" where
 * a counter does not apply, e.g. filtered withdraws). */
export interface BirdProtocolStats {
  readonly established: boolean;
  /** "Routes: N imported" (0 when the line is absent, i.e. the channel is down). */
  readonly imported: number;
  /** Route change stats, Import updates / Import withdraws: accepted. */
  readonly updatesAccepted: number;
  readonly withdrawsAccepted: number;
}

export function parseProtocol(text: string): BirdProtocolStats {
  const num = (re: RegExp) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : 0;
  };
  return {
    established: /BGP state:\s+Established/.test(text),
    imported: num(/Routes:\s+(\d+) imported/),
    updatesAccepted: num(/Import updates:(?:\s+(?:\d+|---)){4}\s+(\d+)/),
    withdrawsAccepted: num(/Import withdraws:(?:\s+(?:\d+|---)){4}\s+(\d+)/),
  };
}

export async function protocolStats(ctl: BirdCtl, name: string): Promise<BirdProtocolStats> {
  return parseProtocol(await ctl.cmd(`show protocols all ${name}`));
}
