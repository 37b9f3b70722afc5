/**
 * Apple's postbacks as received, read into the row that is stored: SKAdNetwork's JSON (its
 * signed fields beside its `attribution-signature`) and AdAttributionKit's (a `jws-string` of
 * the signed fields beside the unsigned ones). The checks are domain/skan.ts and
 * domain/adattributionkit.ts; this names a field wrong in a 400, as every protocol does.
 */
import { decodeJws, verifyAak } from '../../domain/adattributionkit.js';
import type { SkanPostbackRow } from '../../domain/entities.js';
import { newId } from '../../domain/ids.js';
import { verifySkan, type PostbackBody } from '../../domain/skan.js';
import { badRequest } from '../../errors.js';
import { isPlainObject } from '../../ingest/normalise.js';

/** What is known of a postback before its app is: the App Store id it names, and how to finish the row. */
export interface ReadPostback {
  kind: SkanPostbackRow['kind'];
  appStoreId: string;
  /** The row for the app that App Store id names (`development`: whether it accepts Apple's development keys). */
  row(appId: string, options: { development: boolean; source: SkanPostbackRow['source']; receivedAt: number }): SkanPostbackRow;
}

const COARSE = ['low', 'medium', 'high'];

/** The fields Apple's postbacks have (StoreKit and AdAttributionKit, "Identifying the parameters …"): only these are kept of a body. */
const SKAN_FIELDS = [
  'version', 'ad-network-id', 'campaign-id', 'source-identifier', 'app-id', 'transaction-id', 'redownload', 'source-app-id', 'source-domain',
  'fidelity-type', 'did-win', 'conversion-value', 'coarse-conversion-value', 'postback-sequence-index', 'country-code', 'attribution-signature',
];
const AAK_FIELDS = ['jws-string', 'conversion-value', 'coarse-conversion-value', 'ad-interaction-type', 'country-code'];

/** The body as stored: Apple's fields only, so what else a sender adds (padding) is not kept. */
function kept(body: PostbackBody, fields: readonly string[]): string {
  return JSON.stringify(Object.fromEntries(fields.filter((f) => body[f] !== undefined).map((f) => [f, body[f]])));
}

/** Reads either kind of postback: AdAttributionKit's has a `jws-string`. */
export function readPostback(body: unknown): ReadPostback {
  if (!isPlainObject(body)) throw badRequest('body: must be a JSON object');
  return body['jws-string'] === undefined ? readSkan(body) : readAdAttributionKit(body);
}

function readSkan(body: PostbackBody): ReadPostback {
  const version = body['version'] === undefined ? null : text(body, 'version', /^\d+\.\d+$/, 'must be a version such as 4.0');
  const adNetworkId = requiredText(body, 'ad-network-id', /^[A-Za-z0-9._-]{1,128}$/, 'must be an ad network id such as example123.skadnetwork');
  const transactionId = requiredText(body, 'transaction-id', /^[A-Za-z0-9-]{1,64}$/, 'must be a transaction id (a UUID)');
  const appStoreId = requiredDigits(body, 'app-id');
  // 4.0 names its campaign by `source-identifier`; earlier versions by `campaign-id`.
  const sourceIdentifier = digits(body, 'source-identifier') ?? digits(body, 'campaign-id');
  const common = unsigned(body, 'conversion-value');
  return {
    kind: 'skadnetwork',
    appStoreId,
    row: (appId, { source, receivedAt }) => ({
      postback_pk: newId(receivedAt),
      app_id: appId,
      kind: 'skadnetwork',
      source,
      received_at: receivedAt,
      version: version ?? '1.0',
      ad_network_id: adNetworkId,
      transaction_id: transactionId,
      sequence_index: sequenceIndex(body, 'postback-sequence-index'),
      app_store_id: appStoreId,
      source_identifier: sourceIdentifier ?? null,
      source_app_id: digits(body, 'source-app-id') ?? null,
      source_domain: text(body, 'source-domain', /^[A-Za-z0-9.-]{1,253}$/, 'must be a domain name') ?? null,
      fidelity_type: small(body, 'fidelity-type', 1),
      redownload: bool(body, 'redownload'),
      did_win: bool(body, 'did-win'),
      conversion_type: null,
      ...common,
      verification: verifySkan(body),
      body: kept(body, SKAN_FIELDS),
    }),
  };
}

function readAdAttributionKit(body: PostbackBody): ReadPostback {
  const jwsText = body['jws-string'];
  const jws = typeof jwsText === 'string' && jwsText.length <= 8192 ? decodeJws(jwsText) : undefined;
  if (!jws) throw badRequest('jws-string: must be a compact JWS (three base64url parts)');
  // The signed fields; read before the signature is checked (they name the app whose keys
  // count), stored whatever it comes to, counted only when verified.
  const signed = jws.payload;
  const adNetworkId = requiredText(signed, 'ad-network-identifier', /^[A-Za-z0-9._-]{1,128}$/, 'must be an ad network id', 'jws-string: ');
  const transactionId = requiredText(signed, 'postback-identifier', /^[A-Za-z0-9-]{1,64}$/, 'must be a postback identifier (a UUID)', 'jws-string: ');
  const appStoreId = requiredDigits(signed, 'advertised-item-identifier', 'jws-string: ');
  const conversionType = text(signed, 'conversion-type', /^(download|redownload|re-engagement)$/, 'must be download, redownload or re-engagement', 'jws-string: ');
  return {
    kind: 'adattributionkit',
    appStoreId,
    row: (appId, { source, receivedAt, development }) => ({
      postback_pk: newId(receivedAt),
      app_id: appId,
      kind: 'adattributionkit',
      source,
      received_at: receivedAt,
      version: null,
      ad_network_id: adNetworkId,
      transaction_id: transactionId,
      sequence_index: sequenceIndex(signed, 'postback-sequence-index', 'jws-string: '),
      app_store_id: appStoreId,
      source_identifier: digits(signed, 'source-identifier', 'jws-string: ') ?? null,
      source_app_id: digits(signed, 'publisher-item-identifier', 'jws-string: ') ?? null,
      source_domain: null,
      fidelity_type: null,
      redownload: conversionType === undefined ? null : conversionType === 'redownload' ? 1 : 0,
      did_win: bool(signed, 'did-win', 'jws-string: '),
      conversion_type: conversionType ?? null,
      ...unsigned(body, 'conversion-value'),
      verification: verifyAak(jws, { development }),
      body: kept(body, AAK_FIELDS),
    }),
  };
}

/** The fields Apple does not sign, kept as sent (checked for shape only). */
function unsigned(body: PostbackBody, conversionKey: string): Pick<SkanPostbackRow, 'conversion_value' | 'coarse_conversion_value' | 'country_code'> {
  const coarse = text(body, 'coarse-conversion-value', /^[a-z]+$/, 'must be low, medium or high');
  if (coarse !== undefined && !COARSE.includes(coarse)) throw badRequest('coarse-conversion-value: must be low, medium or high');
  return {
    conversion_value: small(body, conversionKey, 63),
    coarse_conversion_value: coarse ?? null,
    country_code: text(body, 'country-code', /^[A-Za-z]{2}$/, 'must be a two-letter country code')?.toUpperCase() ?? null,
  };
}

function text(body: PostbackBody, key: string, pattern: RegExp, hint: string, where = ''): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw badRequest(`${where}${key}: must be a string`);
  const s = String(value);
  if (!pattern.test(s)) throw badRequest(`${where}${key}: ${hint}`);
  return s;
}

function requiredText(body: PostbackBody, key: string, pattern: RegExp, hint: string, where = ''): string {
  const value = text(body, key, pattern, hint, where);
  if (value === undefined) throw badRequest(`${where}${key}: is required`);
  return value;
}

/** An integer id Apple sends as a JSON number (or a network re-posts as a string of digits). */
function digits(body: PostbackBody, key: string, where = ''): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  const s = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : typeof value === 'string' ? value : undefined;
  if (s === undefined || !/^\d{1,20}$/.test(s)) throw badRequest(`${where}${key}: must be a whole number`);
  return s;
}

function requiredDigits(body: PostbackBody, key: string, where = ''): string {
  const value = digits(body, key, where);
  if (value === undefined) throw badRequest(`${where}${key}: is required`);
  return value;
}

function small(body: PostbackBody, key: string, max: number): number | null {
  const value = digits(body, key);
  if (value === undefined) return null;
  if (Number(value) > max) throw badRequest(`${key}: at most ${max}`);
  return Number(value);
}

function sequenceIndex(body: PostbackBody, key: string, where = ''): number {
  const value = digits(body, key, where);
  if (value !== undefined && Number(value) > 2) throw badRequest(`${where}${key}: must be 0, 1 or 2`);
  return value === undefined ? 0 : Number(value);
}

function bool(body: PostbackBody, key: string, where = ''): number | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (value === true || value === 'true') return 1;
  if (value === false || value === 'false') return 0;
  throw badRequest(`${where}${key}: must be true or false`);
}
