import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenAuthenticator } from '../../../src/auth/token-auth.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../helpers/backends.js';
import { cliJson } from '../../helpers/cli.js';

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
