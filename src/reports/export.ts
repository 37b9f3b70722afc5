/**
 * Exports: every install, event, touchpoint, delivery or Apple postback of an app in a range of
 * UTC days, as NDJSON or CSV, for a studio's warehouse. Rows are read a page at a time
 * (ExportStore, keyset on time and id) and handed on as text a page at a time, so memory does
 * not grow with the export: `s2s export` and `GET /admin/export` write each page before the next
 * is read. Times are ISO 8601 (UTC). A delivery's headers and body are not exported (they carry
 * the partner's credentials), nor a user's stored attribution summaries.
 */
import { DAY_MS, parseDay } from '../domain/metrics.js';
import { badRequest, notFound } from '../errors.js';
import type { CatalogStore, ExportStore, ExportType } from '../storage/store.js';

export const EXPORT_TYPES = ['installs', 'events', 'touchpoints', 'deliveries', 'skan'] as const satisfies readonly ExportType[];
export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The columns of each type, in the order CSV prints them (docs/exports.md). */
export const EXPORT_COLUMNS: Record<ExportType, readonly string[]> = {
  installs: ['install_id', 'app_id', 'user_pk', 'kind', 'installed_at', 'status', 'match_type', 'campaign_id', 'network', 'touchpoint_id', 'touched_at', 'rejected_reason', 'rejected_value', 'ip', 'user_agent', 'platform', 'source'],
  events: [
    'event_pk', 'app_id', 'user_pk', 'kind', 'name', 'occurred_at', 'received_at', 'revenue', 'currency', 'revenue_usd', 'aggregated_value', 'event_value', 'product_id',
    'ad_source', 'ad_network', 'ad_unit', 'ad_placement', 'ad_impressions', 'ip', 'user_agent', 'source', 'dedup_key',
  ],
  touchpoints: [
    'touchpoint_id', 'kind', 'app_id', 'campaign_id', 'network', 'created_at', 'ip', 'user_agent', 'platform', 'storefront', 'network_click_id', 'idfa', 'gaid', 'uuid', 'fire_adid',
    'site_id', 'publisher', 'creative', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5',
  ],
  deliveries: ['delivery_id', 'postback_id', 'app_id', 'trigger', 'method', 'url', 'status', 'attempts', 'last_status', 'last_error', 'created_at', 'finished_at', 'dedup_key'],
  skan: [
    'postback_pk', 'app_id', 'kind', 'source', 'received_at', 'version', 'ad_network_id', 'transaction_id', 'sequence_index', 'app_store_id', 'source_identifier', 'source_app_id',
    'source_domain', 'fidelity_type', 'redownload', 'did_win', 'conversion_type', 'conversion_value', 'coarse_conversion_value', 'country_code', 'verification', 'body',
  ],
};

/** Rows a page; a page of text is what is held at a time. */
export const EXPORT_PAGE_ROWS = 1_000;

export interface ExportRequest {
  appId: string;
  type: ExportType;
  format: ExportFormat;
  /** [since, until) in epoch ms: from the first day's start to the end of the last. */
  since: number;
  until: number;
}

/** Checks an export's parameters (from the CLI or the query string); a 400 names the field. */
export async function readExportRequest(
  store: Pick<CatalogStore, 'getApp'>,
  input: { app_id?: unknown; type?: unknown; format?: unknown; from?: unknown; to?: unknown },
): Promise<ExportRequest> {
  if (typeof input.app_id !== 'string' || input.app_id === '') throw badRequest('app_id: required (the app to export)');
  const type = oneOf(input.type, EXPORT_TYPES, 'type');
  if (type === undefined) throw badRequest(`type: required, one of ${EXPORT_TYPES.join(', ')}`);
  const format = oneOf(input.format, EXPORT_FORMATS, 'format') ?? 'ndjson';
  const from = day(input.from, 'from');
  const to = day(input.to, 'to');
  if (to < from) throw badRequest('to: must not be before from');
  if (!(await store.getApp(input.app_id))) throw notFound(`app_id: unknown app ${input.app_id}`);
  return { appId: input.app_id, type, format, since: from * DAY_MS, until: (to + 1) * DAY_MS };
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw badRequest(`${field}: must be one of ${allowed.join(', ')}`);
  return value as T;
}

function day(value: unknown, field: string): number {
  if (typeof value !== 'string' || value === '') throw badRequest(`${field}: required, a day YYYY-MM-DD (UTC)`);
  const parsed = parseDay(value);
  if (parsed === undefined) throw badRequest(`${field}: must be a date, YYYY-MM-DD`);
  return parsed;
}

/**
 * The export as text, a page at a time: CSV's header first, then each page of rows. The caller
 * writes a chunk (waiting for the reader) before asking for the next, so memory holds one page.
 * `onRows` hears how many rows each page had (the CLI's progress line).
 */
export async function* exportChunks(
  store: ExportStore & Pick<CatalogStore, 'listCampaigns'>,
  request: ExportRequest,
  onRows: (rows: number) => void = () => {},
): AsyncGenerator<string> {
  const columns = EXPORT_COLUMNS[request.type];
  if (request.format === 'csv') yield `${columns.join(',')}\r\n`;
  // Touchpoints are read one campaign at a time (their index is by campaign), then those that credit none.
  const owners: (string | null | undefined)[] = request.type === 'touchpoints' ? [...(await store.listCampaigns(request.appId)).map((c) => c.campaign_id), null] : [undefined];
  for (const campaignId of owners) {
    let after: { time: number; id: string } | undefined;
    for (;;) {
      const page = await store.exportPage({ type: request.type, appId: request.appId, since: request.since, until: request.until, after, limit: EXPORT_PAGE_ROWS, campaignId, columns });
      if (page.rows.length === 0) break;
      onRows(page.rows.length);
      let text = '';
      for (const row of page.rows) text += request.format === 'csv' ? csvLine(row, columns) : ndjsonLine(row, columns);
      yield text;
      if (page.rows.length < EXPORT_PAGE_ROWS) break;
      after = page.last;
    }
  }
}

/** One NDJSON line: the columns in order, times as ISO 8601, numbers as numbers (built as text: no object a row). */
export function ndjsonLine(row: Record<string, unknown>, columns: readonly string[]): string {
  let line = '{';
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    line += `${i === 0 ? '' : ','}"${column}":${JSON.stringify(exportValue(column, row[column]))}`;
  }
  return `${line}}\n`;
}

function exportValue(column: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  // PostgreSQL reads bigints back as strings; every bigint here is a time.
  if (column.endsWith('_at')) return new Date(Number(value)).toISOString();
  return value;
}

/** One CSV line (RFC 4180): a field with a comma, quote or line break is quoted, its quotes doubled; null is empty. */
export function csvLine(row: Record<string, unknown>, columns: readonly string[]): string {
  return `${columns.map((column) => csvField(exportValue(column, row[column]))).join(',')}\r\n`;
}

function csvField(value: unknown): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The media type an export is served as. */
export function exportContentType(format: ExportFormat): string {
  return format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson';
}
