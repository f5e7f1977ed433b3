/**
 * The CLI's side of the JSON API: where the daemon is (--api, RACKBGP_API, 127.0.0.1:50179), the
 * bearer token for actions (--token, RACKBGP_API_TOKEN, or the file RACKBGP_API_TOKEN_FILE names, as in
 * the containerlab nodes), and one clear message when it is not there.
 */
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';

export const DEFAULT_API = '127.0.0.1:50179';
const TIMEOUT_MS = 10_000;

/** A failure to show as is on stderr, with exit status 1. */
export class CliError extends Error {}

/** A request that cannot work as typed (malformed prefix, a view not enabled): exit status 2. */
export class UsageError extends CliError {}

export interface ApiTarget {
  readonly base: string;
  readonly token?: string;
}

/** "HOST:PORT", "[v6]:PORT", a bare port or a full http:// URL → base URL. */
export function apiBase(spec: string): string {
  if (/^https?:\/\//.test(spec)) return spec.replace(/\/+$/, '');
  if (/^\d+$/.test(spec)) return `http://127.0.0.1:${spec}`;
  const v6 = /^([0-9a-fA-F:]+):(\d+)$/.exec(spec);
  if (v6?.[1].includes(':') && !spec.startsWith('[')) return `http://[${v6[1]}]:${v6[2]}`;
  return `http://${spec}`;
}

export interface ApiOptions {
  api?: string;
  token?: string;
  json?: boolean;
}

/** The token in the file RACKBGP_API_TOKEN_FILE names; unreadable → none (reads need no token, actions get 401). */
function tokenFromFile(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function target(o: ApiOptions): ApiTarget {
  const token = o.token ?? process.env.RACKBGP_API_TOKEN ?? tokenFromFile(process.env.RACKBGP_API_TOKEN_FILE);
  return { base: apiBase(o.api ?? process.env.RACKBGP_API ?? DEFAULT_API), ...(token && { token }) };
}

/** Adds --api and --token (and --json for shows) to a command. */
export function withApi(cmd: Command, json = true): Command {
  cmd
    .addOption(new Option('--api <host:port>', `the daemon's API (default: $RACKBGP_API or ${DEFAULT_API})`))
    .addOption(
      new Option(
        '--token <token>',
        'bearer token for actions (default: $RACKBGP_API_TOKEN, or the file $RACKBGP_API_TOKEN_FILE)',
      ),
    );
  if (json) cmd.option('--json', 'print the API JSON instead of text');
  return cmd;
}

export async function call<T>(
  t: ApiTarget,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: object,
): Promise<{ status: number; body: T }> {
  let res: Response;
  try {
    res = await fetch(`${t.base}${path}`, {
      method,
      headers: {
        ...(body && { 'content-type': 'application/json' }),
        ...(t.token && method !== 'GET' && { authorization: `Bearer ${t.token}` }),
      },
      ...(body && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new CliError(
      `cannot reach the rackbgp API at ${t.base} (${why}): is \`rackbgp run\` running there with its API on? ` +
        'Point to it with --api HOST:PORT or RACKBGP_API.',
    );
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${t.base}${path}: not a rackbgp API answer (HTTP ${res.status})`);
  }
  if (res.status === 401 || res.status === 403)
    throw new CliError(`${(parsed as { error?: string }).error ?? 'refused'} (HTTP ${res.status})`);
  return { status: res.status, body: parsed as T };
}

/**
 * GET that must succeed: a 400 (malformed query) or 409 (view not enabled) becomes a UsageError,
 * anything else (404 unknown neighbor) a CliError, with the API's message.
 */
export async function getJson<T>(t: ApiTarget, path: string): Promise<T> {
  const r = await call<T>(t, 'GET', path);
  if (r.status === 200) return r.body;
  const message = (r.body as { error?: string }).error ?? `HTTP ${r.status}`;
  throw r.status === 400 || r.status === 409 ? new UsageError(message) : new CliError(message);
}
