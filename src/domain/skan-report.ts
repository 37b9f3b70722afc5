/**
 * SKAdNetwork and AdAttributionKit postbacks as reports show them: verified postbacks only,
 * credited to a campaign through the app's map (per ad network, its `campaign-id` /
 * `source-identifier`), decoded through the app's conversion-value schema. Plain functions,
 * no I/O.
 */

/** What a conversion value stands for in the app's schema: an event, a revenue range in USD, or both. */
export interface ConversionMeaning {
  event: string | null;
  revenue_min_usd: number | null;
  revenue_max_usd: number | null;
}

/** The app's schema: fine values (0–63) and coarse ones (low, medium, high). */
export interface ConversionSchema {
  fine: Record<string, ConversionMeaning>;
  coarse: Record<string, ConversionMeaning>;
}

export const COARSE_VALUES = ['low', 'medium', 'high'] as const;
export const MAX_FINE_VALUE = 63;

/** Postbacks counted by what reports group and decode them by (storage sums them). */
export interface SkanCount {
  ad_network_id: string;
  source_identifier: string | null;
  sequence_index: number;
  did_win: number | null;
  fidelity_type: number | null;
  /** AdAttributionKit's download, redownload or re-engagement; null for SKAdNetwork. */
  conversion_type: string | null;
  conversion_value: number | null;
  coarse_conversion_value: string | null;
  postbacks: number;
}

export interface SkanReportRow {
  /** The campaign the map credits, else null (then `ad_network_id` and `source_identifier` say whose). */
  campaign_id: string | null;
  ad_network_id: string | null;
  source_identifier: string | null;
  /** The postback window: 0 (days 0–2), 1 (3–7), 2 (8–35). */
  sequence_index: number;
  did_win: boolean | null;
  fidelity_type: number | null;
  /** AdAttributionKit's download, redownload or re-engagement (kept apart: a re-engagement is no install); null for SKAdNetwork. */
  conversion_type: string | null;
  postbacks: number;
  /** Postbacks per conversion value: `"20"`, `"low"`, or `"none"` (the value was withheld). */
  conversion_values: Record<string, number>;
  /** Postbacks per event the schema names for their value. */
  events: Record<string, number>;
  /** Each postback at the middle of its value's revenue range (its one bound when only one is set). */
  estimated_revenue_usd: number;
}

/** The revenue a value stands for: the middle of its range. */
export function estimatedRevenue(meaning: ConversionMeaning | undefined): number {
  if (!meaning) return 0;
  const { revenue_min_usd: min, revenue_max_usd: max } = meaning;
  if (min !== null && max !== null) return (min + max) / 2;
  return min ?? max ?? 0;
}

/** The meaning of a postback's value: its fine value if the schema has it, else its coarse one. */
export function meaningOf(count: Pick<SkanCount, 'conversion_value' | 'coarse_conversion_value'>, schema: ConversionSchema): ConversionMeaning | undefined {
  if (count.conversion_value !== null && schema.fine[String(count.conversion_value)]) return schema.fine[String(count.conversion_value)];
  return count.coarse_conversion_value === null ? undefined : schema.coarse[count.coarse_conversion_value];
}

/** `network NUL source` → campaign id. */
export function mappingKey(adNetworkId: string, sourceIdentifier: string): string {
  return `${adNetworkId}\u0000${sourceIdentifier}`;
}

/**
 * Rows by campaign (or unmapped network and source), window, winning or not, and fidelity,
 * ordered as they are keyed. `mappings`: mappingKey → campaign id.
 */
export function skanReport(counts: readonly SkanCount[], mappings: ReadonlyMap<string, string>, schema: ConversionSchema): SkanReportRow[] {
  const rows = new Map<string, SkanReportRow>();
  for (const c of counts) {
    const campaign = c.source_identifier === null ? undefined : mappings.get(mappingKey(c.ad_network_id, c.source_identifier));
    const key = JSON.stringify([campaign ?? null, campaign ? null : c.ad_network_id, campaign ? null : c.source_identifier, c.sequence_index, c.did_win, c.fidelity_type, c.conversion_type]);
    let row = rows.get(key);
    if (!row) {
      row = {
        campaign_id: campaign ?? null,
        ad_network_id: campaign ? null : c.ad_network_id,
        source_identifier: campaign ? null : c.source_identifier,
        sequence_index: c.sequence_index,
        did_win: c.did_win === null ? null : c.did_win === 1,
        fidelity_type: c.fidelity_type,
        conversion_type: c.conversion_type,
        postbacks: 0,
        conversion_values: {},
        events: {},
        estimated_revenue_usd: 0,
      };
      rows.set(key, row);
    }
    row.postbacks += c.postbacks;
    const value = c.conversion_value !== null ? String(c.conversion_value) : (c.coarse_conversion_value ?? 'none');
    row.conversion_values[value] = (row.conversion_values[value] ?? 0) + c.postbacks;
    const meaning = meaningOf(c, schema);
    if (meaning?.event) row.events[meaning.event] = (row.events[meaning.event] ?? 0) + c.postbacks;
    row.estimated_revenue_usd += estimatedRevenue(meaning) * c.postbacks;
  }
  const out = [...rows.values()];
  for (const row of out) row.estimated_revenue_usd = Math.round(row.estimated_revenue_usd * 100) / 100;
  return out.sort(
    (a, b) =>
      String(a.campaign_id ?? '\uffff').localeCompare(String(b.campaign_id ?? '\uffff')) ||
      String(a.ad_network_id ?? '').localeCompare(String(b.ad_network_id ?? '')) ||
      String(a.source_identifier ?? '').localeCompare(String(b.source_identifier ?? '')) ||
      a.sequence_index - b.sequence_index ||
      Number(b.did_win) - Number(a.did_win) ||
      (a.fidelity_type ?? -1) - (b.fidelity_type ?? -1) ||
      String(a.conversion_type ?? '').localeCompare(String(b.conversion_type ?? '')),
  );
}
