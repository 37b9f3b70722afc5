import type { App, Campaign } from '../domain/apps.js';
import { systemClock, type Clock } from '../domain/clock.js';
import type { CatalogStore } from '../storage/store.js';
import type { Postback } from '../postbacks/formats/index.js';
import { toPostback } from '../postbacks/outbox.js';

interface Entry<T> {
  value: Promise<T | undefined>;
  expiresAt: number;
}

const MAX_ENTRIES = 50_000;

/**
 * Apps and campaigns as the hot path reads them: from memory, refreshed every `ttlMs`, so a
 * request costs no query for them. A change made through this process invalidates at once;
 * one made elsewhere (the CLI, another server) is seen within `ttlMs`.
 */
export class Catalog {
  private readonly apps = new Map<string, Entry<App>>();
  private readonly campaigns = new Map<string, Entry<Campaign>>();
  private readonly postbacks = new Map<string, Entry<Postback[]>>();
  private readonly postbackById = new Map<string, Entry<Postback>>();
  private readonly rates = new Map<string, Entry<Map<string, number>>>();
  private readonly aliases = new Map<string, Entry<App>>();
  private readonly eventAliases = new Map<string, Entry<Record<string, Record<string, string>>>>();

  constructor(
    private readonly store: Pick<CatalogStore, 'getApp' | 'getCampaign' | 'listPostbacks' | 'getPostback' | 'listRates' | 'findAppByAlias' | 'listAliases'>,
    private readonly ttlMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  getApp(appId: string): Promise<App | undefined> {
    return this.cached(this.apps, appId, () => this.store.getApp(appId));
  }

  getCampaign(campaignId: string): Promise<Campaign | undefined> {
    return this.cached(this.campaigns, campaignId, () => this.store.getCampaign(campaignId));
  }

  /** The app another protocol's alias names (Adjust's app token), if any. */
  appByAlias(protocol: string, alias: string): Promise<App | undefined> {
    return this.cached(this.aliases, `${protocol}\u0000${alias}`, async () => {
      const appId = await this.store.findAppByAlias(protocol, alias);
      return appId === undefined ? undefined : this.store.getApp(appId);
    });
  }

  /** The event name an event alias of this protocol stands for (Adjust's event token), if mapped. */
  async eventAlias(appId: string, protocol: string, alias: string): Promise<string | undefined> {
    const all = await this.cached(this.eventAliases, appId, async () => (await this.store.listAliases(appId)).events);
    return all?.[protocol]?.[alias];
  }

  /** The app's active postbacks (empty when none). */
  async getPostbacks(appId: string): Promise<Postback[]> {
    return (await this.cached(this.postbacks, appId, async () => (await this.store.listPostbacks(appId)).map(toPostback))) ?? [];
  }

  /** A postback or webhook by its id, removed or not (the dispatcher's send-time formats). */
  async getPostback(postbackId: string): Promise<Postback | undefined> {
    return this.cached(this.postbackById, postbackId, async () => {
      const row = await this.store.getPostback(postbackId);
      return row && toPostback(row);
    });
  }

  /** The operator's currency rates, USD per unit (the shipped defaults fill the gaps). */
  async getRates(): Promise<ReadonlyMap<string, number>> {
    return (await this.cached(this.rates, 'rates', async () => new Map((await this.store.listRates()).map((r) => [r.currency, r.usd_per_unit])))) ?? new Map();
  }

  invalidate(): void {
    this.rates.clear();
    this.aliases.clear();
    this.eventAliases.clear();
    this.apps.clear();
    this.campaigns.clear();
    this.postbacks.clear();
    this.postbackById.clear();
  }

  private cached<T>(map: Map<string, Entry<T>>, key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const now = this.clock();
    const hit = map.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    if (map.size >= MAX_ENTRIES) map.clear();
    const value = load();
    map.set(key, { value, expiresAt: now + this.ttlMs });
    value.catch(() => map.delete(key));
    return value;
  }
}
