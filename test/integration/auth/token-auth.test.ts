import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenAuthenticator } from '../../../src/auth/token-auth.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../helpers/backends.js';
import { cliJson } from '../../helpers/cli.js';
import { skippingClock } from '../../helpers/clock.js';

describe.each(BACKENDS)('revocation on $name', (backend) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('reaches a running server once its 2 s cache period has passed when revoked by the CLI in another process', async () => {
    const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'ios'], db.env);
    const issued = await cliJson(['tokens', 'create', '--app', app.app_id], db.env);
    // The server's authenticator, with the default cache period, warmed up.
    const clock = skippingClock({ frozen: true });
    const auth = new TokenAuthenticator(db.store, 2000, clock);
    expect(await auth.authorize(issued.token, app.app_id)).toMatchObject({ ok: true });

    await cliJson(['tokens', 'revoke', issued.token], db.env);
    // Within the cache period the cached grant still answers; once it has passed (skipped, not
    // slept), the revocation made by another process is seen.
    clock.advance(1000);
    expect(await auth.authorize(issued.token, app.app_id)).toMatchObject({ ok: true });
    clock.advance(1001);
    expect(await auth.authorize(issued.token, app.app_id)).toEqual({ ok: false, reason: 'revoked' });
  });
});
