/**
 * URL templates with `{macro}`s: which macros exist, how a template is checked when a postback
 * is added, and how it is filled in when one is sent. Plain functions, no I/O.
 */
export const URL_MACROS = [
  'click_id',
  'completed_view_id',
  'idfa',
  'gaid',
  'uuid',
  'user_id',
  'app_id',
  'campaign_id',
  'network',
  'event_id',
  'revenue',
  'currency',
  'revenue_usd',
  'ip',
  'user_agent',
  'timestamp',
  'match_type',
  'rejected_reason',
] as const;
export type UrlMacro = (typeof URL_MACROS)[number];

/** Macros in a template that this server does not know (refused when the postback is added). */
export function unknownMacros(template: string): string[] {
  const found = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
  return found.filter((name) => !(URL_MACROS as readonly string[]).includes(name));
}

const MACRO = /\{([a-z_]+)\}/g;
/** What stands in for a macro while the URL parser reads a template: survives parsing unchanged. */
const placeholder = (i: number): string => `s2smacro${i}x`;

/**
 * Checks a URL template (its macros known) as the URL parser reads it, and returns it
 * normalised: http or https, macros only in the path and query, never in the scheme, userinfo,
 * host, port or fragment. Returns `{ error }` with what is wrong otherwise.
 */
export function normaliseTemplate(template: string): { url: string } | { error: string } {
  const first = template.search(MACRO);
  // Where the authority ends: the macros must all come after it.
  if (first >= 0 && !/^https?:\/\/[^/?#\\{]*[/?\\]/i.test(template.slice(0, first))) {
    return { error: 'a macro may stand only in the path or query, not in the scheme, host or port' };
  }
  const names: string[] = [];
  const sample = template.replace(MACRO, (_whole, name: string) => (names.push(name), placeholder(names.length - 1)));
  let url: URL;
  try {
    url = new URL(sample);
  } catch {
    return { error: `"${template}" is not a valid URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: 'must be an http or https URL' };
  if (url.hostname === '') return { error: 'has no host' };
  if (`${url.username}${url.password}${url.host}`.includes('s2smacro')) return { error: 'a macro may stand only in the path or query, not in the userinfo, host or port' };
  if (url.hash.includes('s2smacro')) return { error: 'a macro may stand only in the path or query, not in the fragment' };
  const normal = url.href.replace(/s2smacro(\d+)x/g, (_whole, i: string) => `{${names[Number(i)]}}`);
  if (/s2smacro/.test(normal) || (normal.match(MACRO) ?? []).length !== names.length) return { error: 'a macro must stand whole in the path or query' };
  return { url: normal };
}

/**
 * Replaces each `{macro}` with its value, encoded as one path segment (before the `?`: every
 * `.` as %2E too, so no value makes a `.` or `..` segment) or as one query value. Templates
 * are normalised when added (normaliseTemplate), so the result is sent exactly as it reads.
 */
export function expandTemplate(template: string, values: Record<string, string>): string {
  const queryAt = template.indexOf('?');
  return template.replace(MACRO, (whole, name: string, offset: number) => {
    if (!(name in values)) return whole;
    // A lone surrogate (stored before senders' strings were checked) would make encodeURIComponent throw.
    const encoded = encodeURIComponent(values[name]!.replace(/\p{Cs}/gu, '\ufffd'));
    return queryAt >= 0 && offset > queryAt ? encoded : encoded.replace(/\./g, '%2E');
  });
}
