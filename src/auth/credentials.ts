import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API tokens travel in query strings (`?token=` in Chartboost v2, `?s2s_token=` in Swaarm),
 * so they use the URL-safe base64 alphabet. 24 random bytes make a guess hopeless, which is why
 * a plain SHA-256 is enough to store them: there is nothing to brute-force. The fixed `s2s_`
 * start lets secret scanners spot a leaked token and keeps one from ever starting with `-`
 * (which a shell command would take for an option).
 */
export function newToken(): string {
  return `s2s_${randomBytes(24).toString('base64url')}`;
}

/** Signing secrets are kept in clear (they sign), so they get their own value, never the token's. */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** How many leading characters of a token are stored to recognise it in `tokens list`. */
export const TOKEN_PREFIX_LENGTH = 10;

/**
 * Compares two strings in time that depends only on their lengths after hashing, so neither
 * the position of the first difference nor the expected length leaks.
 */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}
