import { describe, expect, it } from 'vitest';
import { decodeJws, verifyAak } from '../../../src/domain/adattributionkit.js';
import { skanSignedMessage, verifySkan } from '../../../src/domain/skan.js';
import { AAK_DEVELOPMENT, SKAN_4_HIGH, SKAN_EXAMPLES } from '../../fixtures/apple-postbacks.js';

const parse = (text: string): Record<string, unknown> => JSON.parse(text);

describe('SKAdNetwork signatures (Apple-signed examples)', () => {
  it.each(Object.entries(SKAN_EXAMPLES))('%s verifies', (_name, text) => {
    expect(verifySkan(parse(text))).toBe('verified');
  });

  it('builds 4.0 messages in Apple\'s order with U+2063 between the values, an absent source-app-id left out', () => {
    expect(skanSignedMessage(parse(SKAN_4_HIGH))).toBe(['4.0', 'com.example', '5239', '525463029', '6aafb7a5-0170-41b5-bbe4-fe71dedf1e30', 'false', 'example.com', '1', 'true', '0'].join('\u2063'));
  });

  it.each(Object.entries(SKAN_EXAMPLES))('%s: any signed field changed does not verify', (_name, text) => {
    const body = parse(text);
    const message = skanSignedMessage(body)!;
    for (const [key, value] of Object.entries(body)) {
      if (key === 'attribution-signature') continue;
      const changed = { ...body, [key]: typeof value === 'boolean' ? !value : typeof value === 'number' ? value + 1 : `${String(value)}x` };
      // Fields Apple does not sign (conversion values) change nothing; every other one breaks it.
      const signed = skanSignedMessage(changed) !== message;
      // A changed version is one this server does not know: unverifiable, never verified.
      expect(verifySkan(changed), key).toBe(!signed ? 'verified' : key === 'version' ? 'unverifiable' : 'invalid');
      if (['conversion-value', 'coarse-conversion-value'].includes(key)) expect(signed, key).toBe(false);
    }
  });

  it('a missing signature, an unknown version or a missing signed field is unverifiable; a malformed signature is invalid', () => {
    const body = parse(SKAN_4_HIGH);
    expect(verifySkan({ ...body, 'attribution-signature': undefined })).toBe('unverifiable');
    expect(verifySkan({ ...body, version: '5.0' })).toBe('unverifiable');
    expect(verifySkan({ ...body, 'transaction-id': undefined })).toBe('unverifiable');
    expect(verifySkan({ ...body, 'attribution-signature': 'bm90IGEgc2lnbmF0dXJl' })).toBe('invalid');
    expect(verifySkan({ ...body, 'source-identifier': { nested: true } })).toBe('unverifiable');
  });

  it("Apple's original 1.0/2.0 example, whose signature is known not to verify (developer forums, thread 657368), is invalid", () => {
    const broken = { 'ad-network-id': 'com.example', 'campaign-id': 42, 'app-id': 525463029, 'transaction-id': '6aafb7a5-0170-41b5-bbe4-fe71dedf1e28', 'attribution-signature': 'MDYCGQCsQ4y8d4BlYU9b8Qb9BPWPi+ixk/OiRysCGQDZZ8fpJnuqs9my8iSQVbJO/oU1AXUROYU=' };
    expect(verifySkan(broken)).toBe('invalid');
  });
});

describe('AdAttributionKit JWS', () => {
  const jws = decodeJws(parse(AAK_DEVELOPMENT)['jws-string'] as string)!;

  it("Apple's example verifies with its development key only when development keys are allowed", () => {
    expect(jws.header).toEqual({ kid: 'apple-development-identifier/1', alg: 'ES256' });
    expect(jws.payload).toMatchObject({ 'advertised-item-identifier': 10738027756, 'postback-identifier': '85546EB7-FD39-44BC-8990-C98A4AC36A49', 'conversion-type': 're-engagement' });
    expect(verifyAak(jws, { development: true })).toBe('verified');
    expect(verifyAak(jws, { development: false })).toBe('invalid');
  });

  it('a changed payload, another algorithm or an unknown key id does not verify', () => {
    const [h, p, s] = (parse(AAK_DEVELOPMENT)['jws-string'] as string).split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const tampered = decodeJws(`${h}.${Buffer.from(JSON.stringify({ ...payload, 'source-identifier': '1235' })).toString('base64url')}.${s}`)!;
    expect(verifyAak(tampered, { development: true })).toBe('invalid');
    const none = decodeJws(`${Buffer.from('{"alg":"none","kid":"apple-development-identifier/1"}').toString('base64url')}.${p}.${s}`)!;
    expect(verifyAak(none, { development: true })).toBe('invalid');
    const unknown = decodeJws(`${Buffer.from('{"alg":"ES256","kid":"apple-cas-identifier/9"}').toString('base64url')}.${p}.${s}`)!;
    expect(verifyAak(unknown, { development: true })).toBe('unverifiable');
    // A kid naming an Object property is no key either (it once threw).
    for (const kid of ['__proto__', 'constructor', 'toString']) {
      const odd = decodeJws(`${Buffer.from(JSON.stringify({ alg: 'ES256', kid })).toString('base64url')}.${p}.${s}`)!;
      expect(verifyAak(odd, { development: true }), kid).toBe('unverifiable');
    }
    expect(decodeJws('not.a.jws!')).toBeUndefined();
    expect(decodeJws(`${h}.${p}`)).toBeUndefined();
  });
});
