/**
 * SKAdNetwork install-validation postbacks: which fields Apple signs, in which order, and the
 * check of `attribution-signature` against Apple's public key. Plain functions, no I/O.
 *
 * Apple, "Verifying an install-validation postback" (developer.apple.com/documentation/storekit/
 * verifying-an-install-validation-postback) for 4.0; "Combining parameters for SKAdNetwork 3
 * postbacks" and "Combining parameters for previous SKAdNetwork postback versions" for 3.0,
 * 2.2, 2.1, 2.0 and 1.0: the values of the version's fields, in its order, joined by U+2063
 * INVISIBLE SEPARATOR, an absent optional field left out (no empty slot), booleans as `true` /
 * `false`; `conversion-value`, `coarse-conversion-value` and `country-code` are never signed.
 * The signature is an ECDSA one over SHA-256, DER, base64.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** What a postback's signature came to: it is Apple's, it is not, or it cannot be checked here. */
export type Verification = 'verified' | 'invalid' | 'unverifiable';
export const VERIFICATIONS: readonly Verification[] = ['verified', 'invalid', 'unverifiable'];

const SEPARATOR = '\u2063';

/**
 * Apple's NIST P-256 key, "for versions 2.1 and later" (the page above); AdAttributionKit's
 * production key `apple-cas-identifier/0` is the same one.
 */
export const APPLE_P256_KEY = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWdp8GPcGqmhgzEFj9Z2nSpQVddayaPe4FMzqM9wib1+aHaaIzoHoLN9zW4K8y4SPykE3YVK3sVqW6Af0lfx3gg==';
/** Apple's P-192 key for versions 1.0 and 2.0 ("SKAdNetwork 1 release notes", "SKAdNetwork 2 release notes"). */
const APPLE_P192_KEY = 'MEkwEwYHKoZIzj0CAQYIKoZIzj0DAQEDMgAEMyHD625uvsmGq4C43cQ9BnfN2xslVT5V1nOmAMP6qaRRUll3PB1JYmgSm+62sosG';

/** The signed fields of each version, in order; `source-app-id` and `source-domain` are each signed only when present. */
const SIGNED_FIELDS: Record<string, readonly string[]> = {
  '1.0': ['ad-network-id', 'campaign-id', 'app-id', 'transaction-id'],
  '2.0': ['version', 'ad-network-id', 'campaign-id', 'app-id', 'transaction-id', 'redownload', 'source-app-id'],
  '2.1': ['version', 'ad-network-id', 'campaign-id', 'app-id', 'transaction-id', 'redownload', 'source-app-id'],
  '2.2': ['version', 'ad-network-id', 'campaign-id', 'app-id', 'transaction-id', 'redownload', 'source-app-id', 'fidelity-type'],
  '3.0': ['version', 'ad-network-id', 'campaign-id', 'app-id', 'transaction-id', 'redownload', 'source-app-id', 'fidelity-type', 'did-win'],
  '4.0': ['version', 'ad-network-id', 'source-identifier', 'app-id', 'transaction-id', 'redownload', 'source-app-id', 'source-domain', 'fidelity-type', 'did-win', 'postback-sequence-index'],
};
/** Fields a version may omit: the rest must be there for the signature to be checked. */
const OPTIONAL = new Set(['source-app-id', 'source-domain', 'redownload']);
export const SKAN_VERSIONS = Object.keys(SIGNED_FIELDS);

const keys = new Map<string, KeyObject>();
/** An SPKI DER key given in base64, parsed once. */
export function appleKey(base64: string): KeyObject {
  let key = keys.get(base64);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
    keys.set(base64, key);
  }
  return key;
}

/** A postback's JSON object, as Apple (or the network that forwards it) sent it. */
export type PostbackBody = Record<string, unknown>;

/** The message Apple signed for this postback, or undefined when its version is not one this server knows or a signed field is missing. */
export function skanSignedMessage(body: PostbackBody): string | undefined {
  // "The original install-validation postback doesn't include a version number."
  const version = body['version'] === undefined ? '1.0' : String(body['version']);
  const fields = SIGNED_FIELDS[version];
  if (!fields) return undefined;
  const parts: string[] = [];
  for (const field of fields) {
    const value = body[field];
    if (value === undefined || value === null) {
      if (OPTIONAL.has(field)) continue;
      return undefined;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
    parts.push(String(value));
  }
  return parts.join(SEPARATOR);
}

/** Checks a SKAdNetwork postback's `attribution-signature` against Apple's key for its version. */
export function verifySkan(body: PostbackBody): Verification {
  const signature = body['attribution-signature'];
  const message = skanSignedMessage(body);
  if (typeof signature !== 'string' || signature === '' || message === undefined) return 'unverifiable';
  const version = body['version'] === undefined ? '1.0' : String(body['version']);
  const key = appleKey(version === '1.0' || version === '2.0' ? APPLE_P192_KEY : APPLE_P256_KEY);
  try {
    return verify('sha256', Buffer.from(message, 'utf8'), key, Buffer.from(signature, 'base64')) ? 'verified' : 'invalid';
  } catch {
    // Not a DER signature at all.
    return 'invalid';
  }
}
