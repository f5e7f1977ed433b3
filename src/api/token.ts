/**
 * The API's bearer token (RFC 6750 §2.1): given in the config (`api.token`) or read once at start
 * from a file (`api.token-file`, e.g. one generated per lab and bound into each container), and
 * compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const MIN_TOKEN_LENGTH = 8;

/** The token actions need, or undefined when none is configured. Throws a message naming the key. */
export function resolveApiToken(o: {
  readonly token?: string;
  readonly 'token-file'?: string;
}): string | undefined {
  if (o.token !== undefined) return o.token;
  const file = o['token-file'];
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new Error(`api.token-file: cannot read ${file} (${code})`);
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH)
    throw new Error(
      `api.token-file: ${file} holds ${token.length} characters; at least ${MIN_TOKEN_LENGTH} needed`,
    );
  if (/\s/.test(token))
    throw new Error(`api.token-file: ${file} must hold one token (no spaces or line breaks)`);
  return token;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether an Authorization header carries `Bearer <token>`; equal-length digests, constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  return timingSafeEqual(digest(header ?? ''), digest(`Bearer ${token}`));
}
