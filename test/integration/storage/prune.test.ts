import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listPartitions, monthOf, partitionName } from '../../../src/storage/postgres/partitions.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../helpers/backends.js';
import { cliJson, runCli } from '../../helpers/cli.js';

const DAY = 86_400_000;

describe.each(BACKENDS)('history and s2s prune on $name', (backend) => {
  let db: TestDatabase;
  let dir: string;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-prune-'));
  });
  afterEach(async () => {
    await db.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('drops what is older than the cutoff, keeps installs and reports, and leaves recent history alone', async () => {
    const now = Date.now();
    // Noon (UTC) of a day 500 days back: the click an hour before the open falls on the same
    // report day whatever the time of the run (at 00:30 it fell on the day before).
    const old = Math.floor((now - 500 * DAY) / DAY) * DAY + 12 * 3_600_000;
    // A server that ran 500 days ago created that time's partitions ahead, as it does each day.
    const created = await db.store.ensurePartitions(old);
    if (backend.name === 'postgres') expect(created).toContain(partitionName('touchpoints', monthOf(old)));
    else expect(created).toEqual([]);

    const app = await cliJson(['apps', 'create', '--name', 'P', '--platform', 'android'], db.env);
    const campaign = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'n', '--name', 'c'], db.env);
    const iso = (t: number) => new Date(t).toISOString();
    const lines = [
      { type: 'click', time: iso(old - 3_600_000), campaign_id: campaign.campaign_id, gaid: 'old' },
      { type: 'open', time: iso(old), gaid: 'old' },
      { type: 'event', time: iso(old + 60_000), gaid: 'old', event_id: 'purchase', revenue: 5 },
      { type: 'click', time: iso(now - 2 * DAY - 3_600_000), campaign_id: campaign.campaign_id, gaid: 'new' },
      { type: 'open', time: iso(now - 2 * DAY), gaid: 'new' },
      { type: 'event', time: iso(now - 2 * DAY + 60_000), gaid: 'new', event_id: 'purchase', revenue: 7 },
    ];
    const file = path.join(dir, 'history.ndjson');
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    expect((await cliJson(['import', '--app', app.app_id, '--file', file], db.env)).errors).toEqual([]);
    const oldDay = iso(old).slice(0, 10);
    const reportArgs = ['report', '--app', app.app_id, '--from', oldDay, '--to', oldDay];
    const before = await cliJson(reportArgs, db.env);
    expect(before.totals).toMatchObject({ clicks: 1, installs: 1, opens: 1, purchases: 1, revenue_usd: 5 });

    const pruned = await cliJson(['prune', '--older-than', '400d'], db.env);
    if (backend.name === 'postgres') {
      // The old month went as a whole partition; nothing old was left in the default partition.
      expect(pruned.dropped_partitions).toContain(partitionName('events', monthOf(old)));
      expect(pruned.dropped_partitions).toContain(partitionName('touchpoints', monthOf(old)));
      expect(pruned.deleted_rows).toMatchObject({ touchpoints: 0, events: 0 });
      const left = await listPartitions((db.store as unknown as { db: never }).db, 'events');
      expect(left).toContain(partitionName('events', monthOf(now)));
      expect(left).not.toContain(partitionName('events', monthOf(old)));
    } else {
      expect(pruned.dropped_partitions).toEqual([]);
      expect(pruned.deleted_rows).toMatchObject({ touchpoints: 1, events: 2 });
    }
    // Dedup keys age from when they arrived (today, by import), since that is when retries come.
    expect(pruned.deleted_rows.event_dedup).toBe(0);

    const events = await db.store.listEvents(app.app_id);
    expect(events.map((e) => e.revenue)).toEqual([null, 7]);
    expect(await db.store.listInstalls(app.app_id)).toHaveLength(2);
    // Reports read the installs' summaries and the daily counts: pruning does not rewrite the past.
    expect(await cliJson(reportArgs, db.env)).toEqual(before);
    // Recent history still attributes.
    const recent = await db.store.getInstallByUser(app.app_id, { kind: 'gaid', value: 'new' });
    expect(recent).toMatchObject({ status: 'attributed', campaign_id: campaign.campaign_id });

    expect((await runCli(['prune', '--older-than', '30d'], db.env)).stderr).toBe('error: --older-than: at least 90d, so no attribution window loses its clicks\n');
    expect((await runCli(['prune', '--older-than', 'a year'], db.env)).stderr).toBe('error: --older-than: must be a duration such as 400d, got "a year"\n');
  });
});
