import type { Campaign } from './apps.js';

/**
 * Network names compare case-insensitively and show their first spelling: a campaign's (the
 * earliest created), else the one of the earliest install that used it.
 */
export class NetworkNames {
  private readonly first = new Map<string, { name: string; at: number }>();

  /** `campaigns` oldest first: their spellings come before any install's. */
  constructor(campaigns: readonly Pick<Campaign, 'network'>[] = []) {
    for (const c of campaigns) this.offer(c.network, Number.NEGATIVE_INFINITY);
  }

  /** A spelling seen at `at` (epoch ms); the earliest one is kept. */
  offer(name: string, at: number): void {
    const key = name.toLowerCase();
    const known = this.first.get(key);
    if (!known || at < known.at) this.first.set(key, { name, at });
  }

  /** The name folded for comparison; null for none. */
  key(name: string | null): string | null {
    return name === null || name === '' ? null : name.toLowerCase();
  }

  /** The first spelling of a folded name. */
  display(key: string): string {
    return this.first.get(key)?.name ?? key;
  }
}
