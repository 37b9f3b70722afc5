import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBatch } from '../src/ingest/apply-batch.js';
import { IngestJournal, recordingPace } from '../src/ingest/journal.js';
import type { ConversionRecord, WriteOp } from '../src/ingest/records.js';
import { signChartboost } from '../src/protocols/chartboost/signature.js';
import { BACKENDS, openTestDatabase } from './helpers/backends.js';
import { runCli } from './helpers/cli.js';
import { call, startTestServer, type TestServer } from './helpers/server.js';

const silent = { warn: () => {}, error: () => {} };

describe.each(BACKENDS)('the ingest journal (S2S_INGEST_JOURNAL=on) on $name', (backend) => {
  let server: TestServer;
  let app: any;
  let campaign: any;
  let token: string;
  let secret: string;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn', S2S_INGEST_JOURNAL: 'on' });
    app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'J', platform: 'android' } })).body;
    await call(`${server.url}/admin/apps/${app.app_id}/settings`, { admin: true, method: 'PATCH', body: { min_ctit_s: 0 } });
    campaign = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'chartboost', name: 'c' } })).body;
    const issued = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id], secret: true } })).body;
    token = issued.token;
    secret = issued.secret;
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers on the append, then records every open, install and event as without the journal', async () => {
    const clickId = (await call(`${server.url}/click?campaign_id=${campaign.campaign_id}&no_redirect=true&gaid=dev-clicked`)).body.id;
    const answers = await Promise.all([
      call(`${server.url}/api/v2/open`, { body: { token, app_id: app.app_id, gaid: 'dev-clicked', click_id: clickId } }),
      ...Array.from({ length: 20 }, (_, i) => call(`${server.url}/api/v2/open?token=${token}&app_id=${app.app_id}&gaid=dev-${i}`)),
      call(`${server.url}/postback?s2s_token=${token}&user_id=dev-3&event_id=level&event_uid=ev-1`),
      call(`${server.url}/postback?s2s_token=${token}&user_id=dev-3&event_id=level&event_uid=ev-1`), // a retry
    ]);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(answers[0]!.body).toEqual({ status: 200, message: 'Bootup request received!' });
    const body = JSON.stringify({ app_id: app.app_id, gaid: 'dev-5', iap: { product_id: 'gems', price: 2, currency: 'USD' } });
    const track = await call(`${server.url}/event_service/v3/track`, {
      rawBody: body,
      headers: { 'content-type': 'application/json', 'x-chartboost-token': token, 'x-chartboost-signature': signChartboost('pia', secret, app.app_signature, body) },
    });
    expect(track.status).toBe(200);

    await server.services.journal!.settled();
    const { store } = server.db;
    expect(await store.countJournal()).toEqual({ pending: 0, failed: 0 });
    expect((await call(`${server.url}/metrics`)).body).toMatch(/^s2s_ingest_journal_pending 0$/m);
    const clicked = await store.getInstallByUser(app.app_id, { kind: 'gaid', value: 'dev-clicked' });
    expect(clicked).toMatchObject({ status: 'attributed', match_type: 'click_id', touchpoint_id: clickId, campaign_id: campaign.campaign_id });
    const installs = (await store.listInstalls(app.app_id)).filter((i) => i.kind === 'install');
    expect(installs).toHaveLength(22); // 21 devices, and the Swaarm user_id dev-3 (a user id, not a device id)
    const events = await store.listEvents(app.app_id);
    expect(events.filter((e) => e.kind === 'open')).toHaveLength(21);
    expect(events.filter((e) => e.dedup_key === 'uid:ev-1')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'purchase')).toHaveLength(1);
  });

  it('still answers /s2sevent with its attribution, recorded before the answer', async () => {
    const clickId = (await call(`${server.url}/click?campaign_id=${campaign.campaign_id}&no_redirect=true&user_ip=203.0.113.7&user_ua=UA-j`)).body.id;
    const res = await call(`${server.url}/s2sevent?token=${token}&user_id=u-s2s&user_ip=203.0.113.7&user_ua=UA-j&event_id=__open`);
    expect(res.status).toBe(200);
    expect(res.body.attribution).toMatchObject({ status: 'attributed', match_type: 'fingerprint', click_id: clickId });
    expect(await server.db.store.getInstallByUser(app.app_id, { kind: 'user_id', value: 'u-s2s' })).toMatchObject({ match_type: 'fingerprint' });
  });

  it('records entries left by an earlier run, and sets aside one that can never be recorded', async () => {
    const conversion: ConversionRecord = { app, time: Date.now(), receivedAt: Date.now(), source: 'test', deviceIds: { gaid: 'dev-left' }, clickIds: [], viewIds: [] };
    // No device id and no user id: recording it fails the same way every time.
    const hopeless: ConversionRecord = { ...conversion, deviceIds: {} };
    // Appended as the server appends (a group commit).
    await applyBatch(server.db.store, [{ kind: 'journal', conversion: hopeless }, { kind: 'journal', conversion }]);
    await server.services.journal!.settled();
    expect(await server.db.store.countJournal()).toEqual({ pending: 0, failed: 1 });
    expect(await server.db.store.getInstallByUser(app.app_id, { kind: 'gaid', value: 'dev-left' })).toBeDefined();
    expect(server.logs.some((l) => l.includes('entry cannot be recorded; set aside') && l.includes('user_id'))).toBe(true);
  });

  it('records an entry exactly once: taking it is part of the transaction that records it', async () => {
    const conversion: ConversionRecord = { app, time: Date.now(), receivedAt: Date.now(), source: 'test', deviceIds: { gaid: 'dev-once' }, clickIds: [], viewIds: [] };
    const db = await openTestDatabase(backend);
    try {
      const a = await db.store.createApp({ name: 'x', platform: 'android', store: 'google_play', store_url: null });
      await applyBatch(db.store, [{ kind: 'journal', conversion: { ...conversion, app: a } }]);
      const [stored] = await db.store.readJournal(10);
      expect(stored).toMatchObject({ app_id: a.app_id, received_at: conversion.receivedAt });
      const op: WriteOp = { kind: 'conversion', conversion: { ...conversion, app: a }, journalSeq: stored!.seq };
      const [first] = await applyBatch(db.store, [op]);
      const [second] = await applyBatch(db.store, [op]);
      expect(first).toMatchObject({ kind: 'conversion', outcome: { newUser: true } });
      expect(second).toEqual({ kind: 'journal' });
      expect((await db.store.listEvents(a.app_id)).length).toBe(0); // no event kind: an install only
      expect((await db.store.listInstalls(a.app_id)).length).toBe(1);
      expect(await db.store.readJournal(10)).toEqual([]);
    } finally {
      await db.dispose();
    }
  });

  it('attributes before answering again once maxPending entries wait', async () => {
    const db = await openTestDatabase(backend);
    try {
      const a = await db.store.createApp({ name: 'x', platform: 'android', store: 'google_play', store_url: null });
      const kinds: string[] = [];
      const submit = async (op: WriteOp) => {
        kinds.push(op.kind);
        return (await applyBatch(db.store, [op]))[0]!;
      };
      // Not started: nothing records entries, so the backlog only grows.
      const journal = new IngestJournal(db.store, submit, async () => a, { maxPending: 2, pollMs: 1000 }, silent);
      for (let i = 0; i < 4; i++) {
        await journal.acknowledge({ app: a, time: Date.now(), receivedAt: Date.now(), source: 'test', deviceIds: { gaid: `cap-${i}` }, clickIds: [], viewIds: [] });
      }
      expect(kinds).toEqual(['journal', 'journal', 'conversion', 'conversion']);
      expect(await db.store.countJournal()).toEqual({ pending: 2, failed: 0 });
      expect((await db.store.listInstalls(a.app_id)).length).toBe(2);
      // Started, it records the two that waited and counts them.
      await journal.start();
      await journal.settled();
      expect(journal.pending).toBe(0);
      expect((await db.store.listInstalls(a.app_id)).length).toBe(4);
      await journal.stop();
    } finally {
      await db.dispose();
    }
  });
});

describe.each(BACKENDS)('the ingest journal after an outage on $name', (backend) => {
  it('retries an entry whose recording failed with an outage or an unexplained error, instead of setting it aside', async () => {
    const db = await openTestDatabase(backend);
    try {
      const a = await db.store.createApp({ name: 'x', platform: 'android', store: 'google_play', store_url: null });
      const conversion: ConversionRecord = { app: a, time: Date.now(), receivedAt: Date.now(), source: 'test', deviceIds: { gaid: 'dev-full' }, clickIds: [], viewIds: [] };
      await applyBatch(db.store, [{ kind: 'journal', conversion }]);
      // The disk is full, then better-sqlite3's masked form of it (main before issue 18), then space returns.
      const failures = [
        Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }),
        Object.assign(new Error('cannot rollback - no transaction is active'), { code: 'SQLITE_ERROR' }),
      ];
      const submit = async (op: WriteOp) => {
        const failure = failures.shift();
        if (failure) throw failure;
        return (await applyBatch(db.store, [op]))[0]!;
      };
      const journal = new IngestJournal(db.store, submit, async () => a, { maxPending: 100, pollMs: 1000 }, silent);
      await journal.start();
      await journal.settled();
      await journal.stop();
      expect(failures).toEqual([]);
      expect(await db.store.countJournal()).toEqual({ pending: 0, failed: 0 });
      expect(await db.store.getInstallByUser(a.app_id, { kind: 'gaid', value: 'dev-full' })).toBeDefined();
    } finally {
      await db.dispose();
    }
  }, 20_000);

  it('`s2s journal replay` records set-aside entries once, and reports those that still cannot be recorded', async () => {
    const db = await openTestDatabase(backend);
    try {
      const a = await db.store.createApp({ name: 'x', platform: 'android', store: 'google_play', store_url: null });
      const conversion: ConversionRecord = { app: a, time: Date.now(), receivedAt: Date.now(), source: 'test', deviceIds: { gaid: 'dev-aside' }, clickIds: [], viewIds: [] };
      await applyBatch(db.store, [{ kind: 'journal', conversion }]);
      const [entry] = await db.store.readJournal(10);
      // Set aside as main did on a full disk.
      await db.store.failJournalEntry(entry!.seq, 'cannot rollback - no transaction is active', Date.now());
      expect(await db.store.countJournal()).toEqual({ pending: 0, failed: 1 });

      const replay = await runCli(['journal', 'replay', '--json'], db.env);
      expect(replay.stderr).toBe('');
      expect(replay.code).toBe(0);
      expect(JSON.parse(replay.stdout)).toEqual({ replayed: 1, recorded: 1, failed: 0 });
      expect(await db.store.countJournal()).toEqual({ pending: 0, failed: 0 });
      expect((await db.store.listInstalls(a.app_id)).length).toBe(1);
      // Again: nothing left to replay, nothing recorded twice.
      const nothing = await runCli(['journal', 'replay', '--json'], db.env);
      expect({ code: nothing.code, stderr: nothing.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(nothing.stdout)).toEqual({ replayed: 0, recorded: 0, failed: 0 });
      expect((await db.store.listInstalls(a.app_id)).length).toBe(1);

      // An entry that can never be recorded stays set aside, and the command says so.
      await applyBatch(db.store, [{ kind: 'journal', conversion: { ...conversion, deviceIds: {} } }]);
      const [hopeless] = await db.store.readJournal(10);
      await db.store.failJournalEntry(hopeless!.seq, 'x', Date.now());
      const again = await runCli(['journal', 'replay'], db.env);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^error: journal: 1 of 1 entries still cannot be recorded \(seq \d+: user_id: a user id or a device id is required\)\n$/);
      expect(await db.store.countJournal()).toEqual({ pending: 0, failed: 1 });
    } finally {
      await db.dispose();
    }
  }, 30_000);
});

describe('the ingest journal applier pace (recordingPace)', () => {
  it('takes a small share, growing with the backlog, while the loop is busy and conversions arrive', () => {
    expect(recordingPace({ utilization: 0.9, appended: 400, waiting: 1000 })).toEqual({ chunk: 20, pauseMs: 50 });
    // A share that would clear a million waiting entries in ten minutes: 84 every 50 ms.
    expect(recordingPace({ utilization: 0.9, appended: 400, waiting: 1_000_000 })).toEqual({ chunk: 84, pauseMs: 50 });
  });

  it('goes at full speed when the loop has time to spare', () => {
    expect(recordingPace({ utilization: 0.5, appended: 400, waiting: 1_000_000 })).toEqual({ chunk: 500, pauseMs: 0 });
  });

  it('goes at full speed through a backlog when nothing new arrives, however busy recording keeps the loop', () => {
    expect(recordingPace({ utilization: 0.99, appended: 0, waiting: 250_000 })).toEqual({ chunk: 500, pauseMs: 0 });
  });
});
