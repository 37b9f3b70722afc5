// The dashboard: a static page over the admin API. The admin token typed at sign-in stays in
// this tab's sessionStorage and goes out only as `Authorization: Bearer …` to /admin. Every
// value from the server is written with textContent, never as HTML.

const TOKEN_KEY = 's2s-admin-token';
const $ = (id) => document.getElementById(id);
const METRICS = ['clicks', 'views', 'installs', 'organic_installs', 'rejected_installs', 'reinstalls', 're_engagements', 'reattributions', 'engaged_revenue_usd', 'opens', 'd1_retention', 'd7_retention', 'd30_retention', 'purchases', 'unpriced_purchases', 'revenue_usd', 'iap_revenue_usd', 'ad_revenue_usd', 'ad_impressions', 'payers', 'payer_rate', 'arpu', 'arppu', 'ltv_d0', 'ltv_d7', 'ltv_d30', 'spend', 'spend_source', 'ecpi', 'roas', 'roas_iap', 'roas_ad'];
const RATES = new Set(['d1_retention', 'd7_retention', 'd30_retention', 'payer_rate']);
const MONEY = new Set(['revenue_usd', 'iap_revenue_usd', 'ad_revenue_usd', 'engaged_revenue_usd', 'arpu', 'arppu', 'ltv_d0', 'ltv_d7', 'ltv_d30', 'spend', 'ecpi']);
const PERCENT = new Set(['roas', 'roas_iap', 'roas_ad']);
const TILES = ['installs', 'organic_installs', 'rejected_installs', 'revenue_usd', 'iap_revenue_usd', 'ad_revenue_usd', 'spend', 'ecpi', 'roas', 'roas_iap', 'roas_ad', 'ltv_d0', 'ltv_d7', 'ltv_d30', 'payers', 'payer_rate', 'arpu', 'arppu', 'd1_retention', 'd7_retention', 'd30_retention', 'clicks', 'views', 'opens', 'purchases', 'ad_impressions', 'reinstalls', 're_engagements', 'reattributions', 'engaged_revenue_usd'];

const PAGES = ['overview', 'campaigns', 'cohorts', 'skan', 'users', 'settings'];
const state = { token: sessionStorage.getItem(TOKEN_KEY), apps: [], meta: null, page: 'overview', campaignRows: [], groupBy: 'campaign', sort: { col: 'installs', dir: -1 }, revokeArmed: null };

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = { authorization: `Bearer ${state.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data.message ?? `HTTP ${response.status}`);
  return data;
}

function format(col, value) {
  if (value === null || value === undefined) return '–';
  if (RATES.has(col)) return `${(value * 100).toFixed(1)}%`;
  if (MONEY.has(col)) return `$${value.toFixed(2)}`;
  if (PERCENT.has(col)) return `${(value * 100).toFixed(0)}%`;
  return String(value);
}

const label = (col) => col.replace(/_/g, ' ');

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'style') node.style.cssText = value; // CSSOM, which the page's CSP allows
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}


/** A table from rows: `cols` are [key, header] pairs or keys; `cell(row, key)` gives a cell's text (or nodes). */
function table(id, cols, rows, { cell = (row, key) => show(row[key]), rowData = () => ({}), empty = 'Nothing yet.' } = {}) {
  const keys = cols.map((c) => (Array.isArray(c) ? c[0] : c));
  const head = el('tr', {}, cols.map((c) => el('th', { text: Array.isArray(c) ? c[1] : label(c) })));
  const body = rows.map((row) =>
    el('tr', { dataset: rowData(row) }, keys.map((k) => {
      const value = cell(row, k);
      return el('td', { dataset: { col: k } }, value instanceof Node ? [value] : Array.isArray(value) ? value : [String(value)]);
    })),
  );
  if (body.length === 0) body.push(el('tr', {}, [el('td', { colspan: String(keys.length), text: empty })]));
  $(id).replaceChildren(el('thead', {}, [head]), el('tbody', {}, body));
}

const show = (value) => (value === null || value === undefined ? '–' : String(value));

// ---- sign-in -------------------------------------------------------------------------------

async function signIn(token) {
  state.token = token;
  try {
    [state.apps, state.meta] = await Promise.all([api('/admin/apps').then((r) => r.apps), api('/admin/meta')]);
  } catch (error) {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $('login').hidden = false;
    $('dashboard').hidden = true;
    $('login-error').textContent = error.status === 401 ? 'That is not the admin token.' : error.message;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('login').hidden = true;
  $('dashboard').hidden = false;
  fillForms();
  fillApps();
  await showPage();
}

/** Every form's choices, from the server's own lists (the CLI's). */
function fillForms() {
  const options = (select, values, keep = []) => select.replaceChildren(...keep, ...values.map((v) => el('option', { value: v, text: v })));
  const form = $('app-form');
  options(form.elements.platform, state.meta.platforms);
  options(form.elements.store, state.meta.stores, [el('option', { value: '', text: "(the platform's)" })]);
  options($('campaign-form').elements.kind, state.meta.campaign_kinds);
  options($('postback-form').elements.format, state.meta.postback_formats);
}

function fillApps(selected) {
  const select = $('app-select');
  const keep = selected ?? select.value;
  select.replaceChildren(...state.apps.map((a) => el('option', { value: a.app_id, text: `${a.name} (${a.platform})` })));
  if (keep && state.apps.some((a) => a.app_id === keep)) select.value = keep;
}

const currentApp = () => state.apps.find((a) => a.app_id === $('app-select').value);
const rangeQuery = () => `app_id=${encodeURIComponent($('app-select').value)}&from=${$('from').value}&to=${$('to').value}`;

// ---- pages ---------------------------------------------------------------------------------

const LOADERS = { overview: loadOverview, campaigns: loadCampaigns, cohorts: loadCohorts, skan: loadSkan, users: async () => {}, settings: loadSettings };

/** Shows the page the address names (#campaigns …) and loads what it shows for the app and range. */
async function showPage() {
  const wanted = location.hash.slice(1);
  state.page = PAGES.includes(wanted) ? wanted : 'overview';
  for (const section of document.querySelectorAll('.page')) section.hidden = section.dataset.page !== state.page;
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.page === state.page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  // The range does not apply to the user and settings pages.
  $('range-form').classList.toggle('app-only', state.page === 'users' || state.page === 'settings');
  $('status').textContent = '';
  const appId = $('app-select').value;
  if (!appId && state.page !== 'settings') {
    $('status').textContent = 'No app yet: create one under Settings.';
    return;
  }
  try {
    await LOADERS[state.page]();
    document.body.dataset.loaded = `${state.page}:${appId}:${$('from').value}:${$('to').value}`;
  } catch (error) {
    $('status').textContent = error.message;
  }
}

async function loadOverview() {
  const byDay = await api(`/admin/reports?${rangeQuery()}&group_by=day`);
  renderTotals(byDay.totals);
  renderChart(byDay.rows);
}

async function loadCampaigns() {
  const [report, rejections] = await Promise.all([api(`/admin/reports?${rangeQuery()}&group_by=${state.groupBy}`), api(`/admin/reports/rejections?${rangeQuery()}`)]);
  state.campaignRows = report.rows;
  renderCampaigns();
  table('rejections-table', ['reason', ['campaign_name', 'campaign'], 'network', 'installs'], rejections.rows, {
    cell: (row, key) => (key === 'campaign_name' ? (row.campaign_name ?? row.campaign_id ?? '–') : show(row[key])),
    rowData: (row) => ({ reason: row.reason }),
    empty: 'No rejected installs in this range.',
  });
}

async function loadCohorts() {
  const [cohorts, byDay] = await Promise.all([api(`/admin/reports/cohorts?${rangeQuery()}`), api(`/admin/reports?${rangeQuery()}&group_by=day`)]);
  renderCohorts(cohorts.cohorts);
  const cols = ['day', 'installs', 'organic_installs', 'payers', 'revenue_usd', 'arpu', 'ltv_d0', 'ltv_d7', 'ltv_d30', 'd1_retention', 'd7_retention', 'd30_retention'];
  table('ltv-table', cols, byDay.rows, { cell: (row, key) => (key === 'day' ? row.day : format(key, row[key])), rowData: (row) => ({ day: row.day }) });
}

async function loadSkan() {
  renderSkan(await api(`/admin/reports/skan?${rangeQuery()}`));
}

function renderTotals(totals) {
  $('totals').replaceChildren(
    ...TILES.map((col) => el('div', { class: 'tile', dataset: { metric: col } }, [el('div', { class: 'value', text: format(col, totals[col]) }), el('div', { class: 'name', text: label(col) })])),
  );
}

function renderChart(rows) {
  const width = 800;
  const height = 220;
  const pad = { left: 36, right: 44, top: 10, bottom: 24 };
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  const installs = rows.map((r) => r.installs + r.organic_installs);
  const revenue = rows.map((r) => r.revenue_usd);
  const maxInstalls = Math.max(1, ...installs);
  const maxRevenue = Math.max(1, ...revenue);
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const step = plotW / Math.max(1, rows.length);
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  rows.forEach((row, i) => {
    const h = (installs[i] / maxInstalls) * plotH;
    const bar = add('rect', { class: 'installs', x: pad.left + i * step + step * 0.15, y: pad.top + plotH - h, width: Math.max(1, step * 0.7), height: h });
    bar.dataset.day = row.day;
    bar.dataset.installs = String(installs[i]);
    bar.append(Object.assign(document.createElementNS(ns, 'title'), { textContent: `${row.day}: ${installs[i]} installs, $${row.revenue_usd.toFixed(2)}` }));
  });
  const points = rows.map((row, i) => `${pad.left + i * step + step / 2},${pad.top + plotH - (revenue[i] / maxRevenue) * plotH}`).join(' ');
  if (rows.length > 0) add('polyline', { class: 'revenue', points });
  add('text', { x: 2, y: pad.top + 8 }, String(maxInstalls));
  add('text', { x: width - pad.right + 4, y: pad.top + 8 }, `$${maxRevenue.toFixed(0)}`);
  const every = Math.max(1, Math.ceil(rows.length / 8));
  rows.forEach((row, i) => {
    if (i % every === 0) add('text', { x: pad.left + i * step, y: height - 6 }, row.day.slice(5));
  });
  const legend = el('div', { class: 'legend' }, [
    el('span', { class: 'swatch', style: 'background: var(--accent)' }),
    'installs (attributed + organic)',
    el('span', { class: 'swatch', style: 'background: var(--revenue)' }),
    'revenue (USD)',
  ]);
  $('chart').replaceChildren(svg, legend);
}

function renderCohorts(cohorts) {
  const days = Array.from({ length: 31 }, (_, n) => n);
  const head = el('tr', {}, [el('th', { text: 'install day' }), el('th', { text: 'users' }), ...days.map((n) => el('th', { text: `d${n}` }))]);
  const body = cohorts.map((c) =>
    el('tr', { dataset: { day: c.day } }, [
      el('td', { text: c.day }),
      el('td', { text: String(c.users) }),
      ...c.retention.map((r, n) => el('td', { class: 'cell', dataset: { n: String(n) }, style: r === null ? '' : `background: rgba(47, 111, 222, ${(0.08 + r * 0.8).toFixed(2)})`, text: r === null ? '' : `${Math.round(r * 100)}%` })),
    ]),
  );
  $('cohorts-table').replaceChildren(el('thead', {}, [head]), el('tbody', {}, body));
}

/** Verified postbacks by campaign, window, winning or not and fidelity (docs/skan.md). */
function renderSkan(report) {
  const cols = ['campaign', 'window', 'did_win', 'fidelity', 'postbacks', 'conversion_values', 'estimated_revenue_usd'];
  const head = el('tr', {}, cols.map((c) => el('th', { text: label(c) })));
  const cell = (row, c) => {
    if (c === 'campaign') return row.campaign_name ?? row.campaign_id ?? `${row.ad_network_id} ${row.source_identifier ?? ''}`.trim();
    if (c === 'window') return String(row.sequence_index);
    if (c === 'did_win') return row.did_win === null ? '–' : row.did_win ? 'won' : 'lost';
    if (c === 'fidelity') return row.fidelity_type === null ? '–' : row.fidelity_type === 1 ? 'click' : 'view';
    if (c === 'conversion_values') return Object.entries(row.conversion_values).map(([v, n]) => `${v}: ${n}`).join(', ');
    if (c === 'estimated_revenue_usd') return `$${row.estimated_revenue_usd.toFixed(2)}`;
    return String(row[c]);
  };
  const body = report.rows.map((row) => el('tr', { dataset: { campaign: row.campaign_id ?? 'unmapped' } }, cols.map((c) => el('td', { dataset: { col: c }, text: cell(row, c) }))));
  if (body.length === 0) body.push(el('tr', {}, [el('td', { colspan: String(cols.length), text: 'No verified postbacks in this range.' })]));
  $('skan-table').replaceChildren(el('thead', {}, [head]), el('tbody', {}, body));
}


/** The columns the grouping leads with, then every metric. */
function campaignColumns() {
  const lead = state.groupBy === 'campaign' ? ['campaign_name', 'network'] : state.groupBy === 'network' ? ['network'] : ['day'];
  return [...lead, ...METRICS];
}

function sortedCampaignRows() {
  const { col, dir } = state.sort;
  return [...state.campaignRows].sort((a, b) => {
    const x = a[col];
    const y = b[col];
    if (x === y) return 0;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (typeof x === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
  });
}

// A row without a campaign but with a network holds the installs that network claimed (Chartboost
// claim=1) outside any campaign; the one without either is organic.
function rowId(row) {
  if (state.groupBy === 'day') return row.day;
  if (state.groupBy === 'network') return row.network ?? 'organic';
  return row.campaign_id ?? (row.network === null ? 'organic' : `claimed:${row.network}`);
}

function leadText(row, c) {
  if (c === 'day') return row.day;
  if (c === 'network') return row.network ?? (state.groupBy === 'network' ? 'organic' : '–');
  return row.campaign_name ?? (row.network === null ? 'organic' : 'claimed, no campaign');
}

function renderCampaigns() {
  const cols = campaignColumns();
  const { col, dir } = state.sort;
  const head = el('tr', {}, cols.map((c) => {
    const th = el('th', { text: c === 'campaign_name' ? 'campaign' : label(c), dataset: { sort: c }, onclick: () => sortBy(c) });
    if (c === col) th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    return th;
  }));
  const body = sortedCampaignRows().map((row) =>
    el('tr', { dataset: { campaign: rowId(row) } }, cols.map((c) => el('td', { dataset: { col: c }, text: METRICS.includes(c) ? format(c, row[c]) : leadText(row, c) }))),
  );
  $('campaigns-table').replaceChildren(el('thead', {}, [head]), el('tbody', {}, body));
}

function sortBy(col) {
  state.sort = state.sort.col === col ? { col, dir: -state.sort.dir } : { col, dir: ['campaign_name', 'network', 'day'].includes(col) ? 1 : -1 };
  renderCampaigns();
}

/** The table as shown (its rows in their order), as CSV with raw numbers; a field with , " or a line break is quoted. */
function campaignsCsv() {
  const cols = campaignColumns();
  const field = (v) => {
    if (v === null || v === undefined) return '';
    const text = String(v);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [cols.join(','), ...sortedCampaignRows().map((row) => cols.map((c) => field(METRICS.includes(c) ? row[c] : leadText(row, c))).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// ---- users (explain) -----------------------------------------------------------------------

async function explain(id) {
  $('user-status').textContent = '';
  $('user-view').hidden = true;
  try {
    const x = await api(`/admin/users/${encodeURIComponent(id)}?app_id=${encodeURIComponent($('app-select').value)}`);
    details('user-summary', [['user', x.user.user_pk], ['first seen', x.user.created_at], ['last seen', x.user.last_seen_at]]);
    table('user-identities', ['kind', 'value'], x.identities);
    $('user-installs').replaceChildren(
      ...x.installs.flatMap((install, i) => {
        const credit = install.status === 'attributed' ? `credited to ${install.campaign_id} (${install.network}) by ${install.match_type}` : install.status === 'rejected' ? `rejected: ${install.rejected_reason}` : 'organic';
        const id = `user-candidates-${i}`;
        const heading = el('h3', { dataset: { install: install.install_id }, text: `${install.kind} at ${install.installed_at}: ${credit}` });
        const wrap = el('div', { class: 'scroll' }, [el('table', { id, class: 'data candidates' })]);
        return [heading, wrap];
      }),
    );
    x.installs.forEach((install, i) =>
      table(`user-candidates-${i}`, ['verdict', 'touchpoint_id', 'kind', 'campaign_id', 'network', 'created_at', 'matched_by', 'in_window', 'reason'], install.candidates, {
        rowData: (c) => ({ touchpoint: c.touchpoint_id, verdict: c.verdict }),
        empty: 'No touch could have explained it.',
      }),
    );
    table('user-timeline', ['at', 'kind', 'name', 'revenue_usd', 'source'], x.timeline, { empty: 'No events.' });
    table('user-deliveries', ['created_at', 'trigger', 'status', 'attempts', 'last_status', 'url'], x.deliveries, { empty: 'No deliveries.' });
    $('user-view').hidden = false;
    document.body.dataset.explained = id;
  } catch (error) {
    $('user-status').textContent = error.message;
  }
}

/** A definition list; a pair's third item makes a copy button for its value. */
function details(id, pairs) {
  $(id).replaceChildren(
    ...pairs.flatMap(([name, value, copy]) => [
      el('dt', { text: name }),
      el('dd', { dataset: { field: name } }, [
        el('span', { class: copy ? 'secret' : '', text: show(value) }),
        ...(copy ? [el('button', { type: 'button', class: 'small', dataset: { copy: name }, text: 'Copy', onclick: () => copyText(name, value) })] : []),
      ]),
    ]),
  );
}

async function copyText(name, value) {
  try {
    await navigator.clipboard.writeText(value);
    $('manage-status').textContent = `Copied the ${name}.`;
  } catch {
    $('manage-status').textContent = `Could not copy; select the ${name} and copy it by hand.`;
  }
}

// ---- settings ------------------------------------------------------------------------------

const DURATION = /^(\d+)\s*([dhms]?)$/;
const UNITS = { d: 86_400, h: 3600, m: 60, s: 1, '': 1 };

function parseDuration(text) {
  const m = DURATION.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]] : undefined;
}

function formatDuration(seconds) {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]]) if (seconds !== 0 && seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

async function loadSettings() {
  const app = currentApp();
  if (!app) {
    $('app-details').replaceChildren(el('dd', { text: 'No app yet: create one below.' }));
    return;
  }
  const appId = app.app_id;
  details('app-details', [
    ['name', app.name],
    ['app id', app.app_id, true],
    ['app signature', app.app_signature, true],
    ['platform', app.platform],
    ['store', app.store],
    ['store URL', app.store_url],
    ['created', app.created_at],
  ]);
  const form = $('settings-form');
  for (const input of form.querySelectorAll('input, textarea')) {
    const value = app.settings[input.name];
    if (input.name === 'blocked_cidrs') input.value = value.join('\n');
    else input.value = value === null || value === undefined ? '' : input.dataset.unit === 'duration' ? formatDuration(value) : String(value);
  }
  const q = `app_id=${encodeURIComponent(appId)}`;
  const [campaigns, postbacks, webhooks, deliveries, tokens] = await Promise.all([
    api(`/admin/campaigns?${q}`),
    api(`/admin/postbacks?${q}`),
    api(`/admin/webhooks?${q}`),
    api(`/admin/deliveries?${q}&limit=50`),
    api('/admin/tokens'),
  ]);
  table('campaign-list', ['name', 'network', 'kind', 'cpi', 'campaign_id', 'tracking_url'], campaigns.campaigns, { rowData: (c) => ({ campaign: c.campaign_id }) });
  table('postback-list', ['network', 'format', 'url', 'events', ''], postbacks.postbacks, {
    cell: (p, k) => (k === '' ? el('button', { type: 'button', class: 'small', text: 'Remove', onclick: () => removeThing(`/admin/postbacks/${p.postback_id}`, 'Postback removed.') }) : k === 'events' ? (p.events ?? '(default)') : show(p[k])),
    rowData: (p) => ({ postback: p.postback_id }),
    empty: 'No postbacks to networks.',
  });
  table('webhook-list', ['url', 'events', 'batch_size', 'schema', ''], webhooks.webhooks, {
    cell: (w, k) => (k === '' ? el('button', { type: 'button', class: 'small', text: 'Remove', onclick: () => removeThing(`/admin/webhooks/${w.webhook_id}`, 'Webhook removed.') }) : k === 'events' ? (w.events?.join(',') ?? '(all)') : show(w[k])),
    rowData: (w) => ({ webhook: w.webhook_id }),
    empty: 'No webhooks.',
  });
  table('deliveries-table', ['created_at', 'trigger', 'status', 'attempts', 'last_status', 'last_error', 'method', 'url', ''], deliveries.deliveries, {
    cell: (d, k) => {
      if (k !== '') return show(d[k]);
      const buttons = [el('button', { type: 'button', class: 'small link', text: 'Attempts', onclick: () => showAttempts(d.delivery_id) })];
      if (d.status === 'failed' || d.status === 'dead') buttons.push(el('button', { type: 'button', class: 'small', text: 'Retry', onclick: () => retry(d.delivery_id) }));
      return buttons;
    },
    rowData: (d) => ({ delivery: d.delivery_id }),
    empty: 'No deliveries yet.',
  });
  const mine = tokens.tokens.filter((t) => t.app_ids.includes(appId));
  table('token-list', ['name', 'token_prefix', 'has_secret', 'created_at', 'revoked_at', ''], mine, {
    cell: (t, k) => (k === '' ? revokeButtons(t) : show(t[k])),
    rowData: (t) => ({ token: t.token_id }),
    empty: 'No tokens for this app.',
  });
}

/** Revoke asks once more before it acts: the first click arms it, the second revokes. */
function revokeButtons(t) {
  if (t.revoked_at) return [];
  if (state.revokeArmed !== t.token_id) return [el('button', { type: 'button', class: 'small', text: 'Revoke', onclick: () => armRevoke(t.token_id) })];
  return [
    el('button', { type: 'button', class: 'small danger', dataset: { confirm: 'revoke' }, text: `Confirm: revoke ${t.name ?? t.token_prefix}`, onclick: () => revoke(t.token_id) }),
    el('button', { type: 'button', class: 'small link', text: 'Cancel', onclick: () => armRevoke(null) }),
  ];
}

async function armRevoke(tokenId) {
  state.revokeArmed = tokenId;
  $('manage-status').textContent = tokenId ? 'Revoking stops every request signed with this token at once. Confirm to revoke.' : '';
  await loadSettings();
}

async function revoke(tokenId) {
  state.revokeArmed = null;
  await manage(async () => {
    await api('/admin/tokens/revoke', { method: 'POST', body: { token: tokenId } });
    return 'Token revoked.';
  });
}

async function retry(deliveryId) {
  await manage(async () => {
    await api(`/admin/deliveries/${deliveryId}/retry`, { method: 'POST' });
    return 'Delivery queued again.';
  });
}

async function showAttempts(deliveryId) {
  const d = await api(`/admin/deliveries/${deliveryId}`);
  $('attempts-table').hidden = false;
  table('attempts-table', ['attempted_at', 'status_code', 'latency_ms', 'error', 'response_start'], d.attempts_log, { empty: 'Not tried yet.' });
  $('attempts-table').dataset.delivery = deliveryId;
}

async function removeThing(path, message) {
  await manage(async () => {
    await api(path, { method: 'DELETE' });
    return message;
  });
}

// Runs one change, then reloads the page's lists, and only then says how it went: once the
// status line reads "created", the lists already show what was created.
async function manage(work) {
  $('manage-status').textContent = '';
  let status;
  try {
    status = await work();
  } catch (error) {
    status = error.message;
  }
  try {
    await loadSettings();
  } catch (error) {
    status = `${status} (the lists could not be reloaded: ${error.message})`;
  }
  $('manage-status').textContent = status;
}

function formValues(form) {
  return Object.fromEntries([...new FormData(form).entries()].filter(([, v]) => v !== ''));
}

const list = (text) => (text ? text.split(',').map((e) => e.trim()).filter(Boolean) : undefined);

/** The settings form as the admin API takes it: an empty field resets to the default (null). */
function settingsBody(form) {
  const body = {};
  for (const input of form.querySelectorAll('input, textarea')) {
    const text = input.value.trim();
    if (input.name === 'blocked_cidrs') body.blocked_cidrs = text ? text.split(/\s+/) : [];
    else if (text === '') body[input.name] = null;
    else if (input.dataset.unit === 'duration') {
      const seconds = parseDuration(text);
      if (seconds === undefined) throw new Error(`${input.name}: must be a duration such as 7d, 24h or 90m`);
      body[input.name] = seconds;
    } else body[input.name] = Number(text);
  }
  return body;
}

// ---- wiring --------------------------------------------------------------------------------

function setRange(days) {
  const today = new Date();
  $('to').value = isoDay(today);
  $('from').value = isoDay(new Date(today.getTime() - (days - 1) * 86_400_000));
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn($('login-token').value.trim());
});
$('logout').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
});
$('range-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void showPage();
});
for (const button of document.querySelectorAll('.preset')) {
  button.addEventListener('click', () => {
    setRange(Number(button.dataset.days));
    void showPage();
  });
}
$('app-select').addEventListener('change', () => void showPage());
window.addEventListener('hashchange', () => void showPage());
// The link of the page already shown reloads it (the address does not change, so no hashchange).
$('nav').addEventListener('click', (event) => {
  const link = event.target.closest('a');
  if (link && link.dataset.page === state.page) void showPage();
});
$('group-by').addEventListener('change', () => {
  state.groupBy = $('group-by').value;
  state.sort = { col: 'installs', dir: -1 };
  void showPage();
});
$('campaigns-csv').addEventListener('click', () => download(`${state.groupBy}s-${$('from').value}-${$('to').value}.csv`, campaignsCsv(), 'text/csv'));
$('user-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void explain($('user-id').value.trim());
});
$('settings-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  void manage(async () => {
    const updated = await api(`/admin/apps/${$('app-select').value}/settings`, { method: 'PATCH', body: settingsBody(form) });
    state.apps = state.apps.map((a) => (a.app_id === updated.app_id ? updated : a));
    return 'Settings saved.';
  });
});
$('app-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  void manage(async () => {
    const app = await api('/admin/apps', { method: 'POST', body: formValues(form) });
    state.apps = (await api('/admin/apps')).apps;
    fillApps(app.app_id);
    form.reset();
    return `App ${app.name} created: ${app.app_id}`;
  });
});
$('campaign-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const values = formValues(form);
  void manage(async () => {
    const body = { app_id: $('app-select').value, name: values.name, network: values.network, kind: values.kind, ...(values.cpi ? { cpi: Number(values.cpi) } : {}) };
    const campaign = await api('/admin/campaigns', { method: 'POST', body });
    form.reset();
    return `Campaign ${campaign.name} created; tracking link ${campaign.tracking_url}`;
  });
});
$('postback-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const { events, ...values } = formValues(form);
  void manage(async () => {
    await api('/admin/postbacks', { method: 'POST', body: { app_id: $('app-select').value, ...values, ...(list(events) ? { events: list(events) } : {}) } });
    form.reset();
    return `Postback to ${values.network} added.`;
  });
});
$('webhook-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const values = formValues(form);
  void manage(async () => {
    const body = { app_id: $('app-select').value, url: values.url, ...(list(values.events) ? { events: list(values.events) } : {}), ...(values.batch_size ? { batch_size: Number(values.batch_size) } : {}) };
    const hook = await api('/admin/webhooks', { method: 'POST', body });
    $('webhook-secret').textContent = `signing secret ${hook.secret} (shown once)`;
    form.reset();
    return 'Webhook added.';
  });
});
$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const values = formValues(form);
  void manage(async () => {
    const issued = await api('/admin/tokens', { method: 'POST', body: { app_ids: [$('app-select').value], ...(values.name ? { name: values.name } : {}), secret: values.secret === 'on' } });
    $('issued').textContent = `token ${issued.token}${issued.secret ? `  secret ${issued.secret}` : ''} (shown once)`;
    form.reset();
    return 'Token issued.';
  });
});

setRange(30);
if (state.token) void signIn(state.token);
