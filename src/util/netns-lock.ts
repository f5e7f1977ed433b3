/**
 * At most one holder per network namespace: an abstract Unix socket name (unix(7): it lives in the
 * network namespace, not in the file system), bound by the holder. The kernel frees it when the
 * holder exits, SIGKILL included, so nothing stale is ever left to clean up. Whoever finds it
 * taken learns the holder's pid (and what else it chose to tell) by connecting to it.
 */
import net from 'node:net';

/** What the holder tells a process that finds the name taken. */
export interface LockHolder {
  readonly pid: number;
  readonly [key: string]: unknown;
}

export class NamespaceLockHeld extends Error {
  constructor(
    readonly lockName: string,
    /** Undefined when the holder did not answer within a second. */
    readonly holder: LockHolder | undefined,
  ) {
    super(`${lockName} is held${holder ? ` by pid ${holder.pid}` : ''}`);
    this.name = 'NamespaceLockHeld';
  }
}

export class NamespaceLock {
  private constructor(private readonly server: net.Server) {}

  /** Binds `\0name`; throws NamespaceLockHeld when another process (or this one) holds it. */
  static async acquire(name: string, info: Record<string, unknown> = {}): Promise<NamespaceLock> {
    const answer = `${JSON.stringify({ ...info, pid: process.pid })}\n`;
    const server = net.createServer((s) => {
      s.on('error', () => {});
      s.end(answer);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ path: `\0${name}` }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      throw new NamespaceLockHeld(name, await askHolder(name));
    }
    // The lock alone never keeps the process alive.
    server.unref();
    return new NamespaceLock(server);
  }

  release(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The holder's answer, or undefined when it says nothing parseable within `timeoutMs`. */
function askHolder(name: string, timeoutMs = 1000): Promise<LockHolder | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect({ path: `\0${name}` });
    const done = (v: LockHolder | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', () => done(undefined));
    socket.on('end', () => {
      try {
        const v = JSON.parse(text) as LockHolder;
        done(typeof v?.pid === 'number' ? v : undefined);
      } catch {
        done(undefined);
      }
    });
  });
}
