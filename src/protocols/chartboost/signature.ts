import { createHash, timingSafeEqual } from 'node:crypto';

export type ChartboostAction = 'attribution' | 'pia';

/**
 * `X-Chartboost-Signature`: the SHA-256 hex digest of
 * `action:{attribution|pia}\n{secret}\n{app_signature}\n{body}` (seeds 003 and 004), over the
 * body's bytes exactly as sent — the same JSON with other spacing or key order signs differently.
 */
export function signChartboost(action: ChartboostAction, secret: string, appSignature: string, body: string | Buffer): string {
  return createHash('sha256')
    .update(`action:${action}\n${secret}\n${appSignature}\n`, 'utf8')
    .update(body)
    .digest('hex');
}

/** Compares a presented signature with the expected one in constant time (hex, any case). */
export function signatureMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const given = Buffer.from(presented.trim().toLowerCase(), 'utf8');
  const wanted = Buffer.from(expected, 'utf8');
  // Equal lengths are required by timingSafeEqual; a wrong length is no secret (always 64).
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
