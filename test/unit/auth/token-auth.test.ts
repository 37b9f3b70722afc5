import { describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/auth/credentials.js';
import { TokenAuthenticator } from '../../../src/auth/token-auth.js';
import type { Store, TokenGrant } from '../../../src/storage/store.js';

describe('token authenticator cache', () => {
  it('asks the database once per token per period, including for unknown tokens', async () => {
    let lookups = 0;
    const grant: TokenGrant = { token_id: 't', secret: 's', app_ids: ['app-a'], revoked: false };
    const store: Pick<Store, 'findTokenByHash'> = {
      findTokenByHash: async (hash) => {
        lookups++;
        return hash === hashToken('good') ? grant : undefined;
      },
    };
    const auth = new TokenAuthenticator(store, 60_000);
    for (let i = 0; i < 100; i++) {
      expect(await auth.authorize('good', 'app-a')).toEqual({ ok: true, tokenId: 't', secret: 's' });
      expect(await auth.authorize('bad', 'app-a')).toEqual({ ok: false, reason: 'unknown' });
    }
    expect(lookups).toBe(2);
    expect(await auth.authorize('good', 'app-b')).toEqual({ ok: false, reason: 'forbidden_app' });
    expect(await auth.authorize(undefined, 'app-a')).toEqual({ ok: false, reason: 'missing' });
    auth.invalidate();
    await auth.authorize('good', 'app-a');
    expect(lookups).toBe(3);
  });

  it('forgets a failed lookup so an outage is not remembered as "unknown"', async () => {
    let fail = true;
    const auth = new TokenAuthenticator(
      {
        findTokenByHash: async () => {
          if (fail) throw new Error('database down');
          return { token_id: 't', secret: null, app_ids: ['a'], revoked: false };
        },
      },
      60_000,
    );
    await expect(auth.authorize('tok', 'a')).rejects.toThrow('database down');
    fail = false;
    expect(await auth.authorize('tok', 'a')).toMatchObject({ ok: true });
  });
});
