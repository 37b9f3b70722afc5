/**
 * Segment rules, as an operator writes them (`event=level_10`, `not event=purchase`,
 * `revenue_usd>=5`, `last_seen_days>=14`, `campaign=ID`, `network=NAME`, `platform=ios`),
 * parsed into plain data that storage turns into one query. A segment is all its rules at once.
 */

export type SegmentRule =
  | { field: 'event'; negate: boolean; value: string }
  | { field: 'revenue_usd' | 'last_seen_days'; min: number }
  | { field: 'campaign' | 'network' | 'platform'; value: string };

const RULE_PATTERN = /^\s*(not\s+)?([a-z_]+)\s*(>=|=)\s*(.+?)\s*$/;
const EQUALITY_FIELDS = ['event', 'campaign', 'network', 'platform'] as const;
const MINIMUM_FIELDS = ['revenue_usd', 'last_seen_days'] as const;
export const RULE_FORMS = 'event=ID, not event=ID, revenue_usd>=N, last_seen_days>=N, campaign=ID, network=NAME, platform=NAME';

/** Parses one rule; returns an error message (naming the rule) instead when it is not one. */
export function parseSegmentRule(text: string): SegmentRule | { error: string } {
  const m = RULE_PATTERN.exec(text);
  if (!m) return { error: `rule "${text}": expected one of ${RULE_FORMS}` };
  const [, not, field = '', op, value = ''] = m;
  if (not && field !== 'event') return { error: `rule "${text}": only event rules can be negated (not event=ID)` };
  if ((EQUALITY_FIELDS as readonly string[]).includes(field)) {
    if (op !== '=') return { error: `rule "${text}": ${field} takes =, e.g. ${field}=VALUE` };
    if (value.length > 200) return { error: `rule "${text}": value longer than 200 characters` };
    if (field === 'event') return { field, negate: Boolean(not), value };
    return { field: field as 'campaign' | 'network' | 'platform', value };
  }
  if ((MINIMUM_FIELDS as readonly string[]).includes(field)) {
    if (op !== '>=') return { error: `rule "${text}": ${field} takes >=, e.g. ${field}>=10` };
    const min = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(min)) return { error: `rule "${text}": ${field} needs a non-negative number` };
    return { field: field as 'revenue_usd' | 'last_seen_days', min };
  }
  return { error: `rule "${text}": unknown field "${field}"; expected one of ${RULE_FORMS}` };
}

/** Parses every rule, or returns the first error. */
export function parseSegmentRules(texts: readonly string[]): SegmentRule[] | { error: string } {
  if (texts.length === 0) return { error: `rules: at least one rule is required (${RULE_FORMS})` };
  const rules: SegmentRule[] = [];
  for (const text of texts) {
    const rule = parseSegmentRule(text);
    if ('error' in rule) return rule;
    rules.push(rule);
  }
  return rules;
}

/** How the rule reads again (stored rules are shown back this way). */
export function formatSegmentRule(rule: SegmentRule): string {
  if (rule.field === 'event') return `${rule.negate ? 'not ' : ''}event=${rule.value}`;
  if ('min' in rule) return `${rule.field}>=${rule.min}`;
  return `${rule.field}=${rule.value}`;
}
