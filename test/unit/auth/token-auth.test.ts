import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { constantTimeEqual, hashToken } from '../../../src/auth/credentials.js';
import { TokenAuthenticator } from '../../../src/auth/token-auth.js';
import type { Store, TokenGrant } from '../../../src/storage/store.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../helpers/backends.js';
import { cliJson } from '../../helpers/cli.js';

describe('credentials', () => {
  it('compares in constant time and only equal strings match', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', 'a')).toBe(false);
  });
});

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

describe.each(BACKENDS)('revocation on $name', (backend) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('reaches a running server within 5 s when revoked by the CLI in another process', async () => {
    const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'ios'], db.env);
    const issued = await cliJson(['tokens', 'create', '--app', app.app_id], db.env);
    // The server's authenticator, with the default cache period, warmed up.
    const auth = new TokenAuthenticator(db.store, 2000);
    expect(await auth.authorize(issued.token, app.app_id)).toMatchObject({ ok: true });

    await cliJson(['tokens', 'revoke', issued.token], db.env);
    const revokedAt = Date.now();
    let result = await auth.authorize(issued.token, app.app_id);
    while (result.ok && Date.now() - revokedAt < 6000) {
      await new Promise((r) => setTimeout(r, 100));
      result = await auth.authorize(issued.token, app.app_id);
    }
    expect(result).toEqual({ ok: false, reason: 'revoked' });
    expect(Date.now() - revokedAt).toBeLessThan(5000);
  });
});
