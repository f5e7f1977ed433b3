/**
 * Why a daemon could not start, named by the config key at fault (`listen`, `api`, `metrics`,
 * `fib`, `mrt`, `bmp`, `bfd`) and the address: `api: 127.0.0.1:8080 is in use (EADDRINUSE)`.
 */

export type StartKey = 'listen' | 'api' | 'metrics' | 'fib' | 'mrt' | 'bmp' | 'bfd';

export class StartError extends Error {
  constructor(
    readonly key: StartKey,
    detail: string,
  ) {
    super(`${key}: ${detail}`);
    this.name = 'StartError';
  }
}

/** `host:port`, IPv6 in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'is in use',
  EADDRNOTAVAIL: 'is not an address of this host',
  EACCES: 'is not allowed (a port below 1024 needs root or CAP_NET_BIND_SERVICE)',
};

/** A failed bind of `key` on host:port as a StartError (the error's own address wins when it has one). */
export function bindFailure(key: StartKey, host: string, port: number, e: unknown): StartError {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  const where = hostPort(err.address ?? host, err.port ?? port);
  const code = typeof err.code === 'string' ? err.code : undefined;
  const reason = (code && REASONS[code]) ?? `cannot be bound: ${err.message ?? String(e)}`;
  return new StartError(key, `${where} ${reason}${code ? ` (${code})` : ''}`);
}
