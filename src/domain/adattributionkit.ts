/**
 * AdAttributionKit postbacks: a compact JWS (ES256) of the signed fields, beside unsigned ones
 * (`conversion-value`, `coarse-conversion-value`, `country-code`, `ad-interaction-type`).
 * Plain functions, no I/O.
 *
 * Apple, "Verifying a postback" (developer.apple.com/documentation/adattributionkit/
 * verifying-a-postback): the key is chosen by the header's `kid`, the signature checked as RFC
 * 7515 §5.2 says (over `header.payload` as received; ES256 signatures are R‖S, 64 bytes, not
 * DER). "For production flows, always use the production key": the development keys count only
 * for an app configured for development. "Identifying the parameters in a postback" for the
 * payload's fields.
 */
import { verify } from 'node:crypto';
import { APPLE_P256_KEY, appleKey, type Verification } from './skan.js';

/** Apple's keys by `kid`, and whether each is a development one (a Map: a `kid` such as `__proto__` is no key). */
const AAK_KEYS = new Map<string, { key: string; development: boolean }>(Object.entries({
  'apple-cas-identifier/0': { key: APPLE_P256_KEY, development: false },
  // "Development, end-to-end flows" and "generated from developer settings".
  'apple-development-identifier/0': {
    key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAELeEDzpJEP+/qRSE5hJVC1p1J0ssUnQGMzBBbvnACBok8OVGGLgxL0myrKiy6lvRtSlLRsWit87i+vftD8AEqeQ==',
    development: true,
  },
  'apple-development-identifier/1': {
    key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8YzdO7eM97s/IJ25kdW5CZ3A14USE5IJ5Ha/vhWaxI6UBI1ZxCEvjrKxVluVGe6qWwF1BDFq+QHqKfH5u+wxHQ==',
    development: true,
  },
}));

export interface DecodedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** `header.payload`, as received: what the signature covers. */
  signingInput: string;
  signature: Buffer;
}

/** The parts of a compact JWS, or undefined when it is not one (three base64url parts, JSON objects in the first two). */
export function decodeJws(jws: string): DecodedJws | undefined {
  const parts = jws.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  const json = (part: string): Record<string, unknown> | undefined => {
    try {
      const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const header = json(parts[0]!);
  const payload = json(parts[1]!);
  if (!header || !payload) return undefined;
  return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
}

/**
 * Checks a decoded postback JWS: `alg` must be ES256 (the header never chooses another), the
 * `kid` one of Apple's (else unverifiable), a development key only where `development` allows.
 */
export function verifyAak(jws: DecodedJws, options: { development: boolean }): Verification {
  if (jws.header['alg'] !== 'ES256') return 'invalid';
  const known = typeof jws.header['kid'] === 'string' ? AAK_KEYS.get(jws.header['kid']) : undefined;
  if (!known) return 'unverifiable';
  if (known.development && !options.development) return 'invalid';
  if (jws.signature.length !== 64) return 'invalid';
  return verify('sha256', Buffer.from(jws.signingInput, 'ascii'), { key: appleKey(known.key), dsaEncoding: 'ieee-p1363' }, jws.signature) ? 'verified' : 'invalid';
}
