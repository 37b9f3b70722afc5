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

const state = { token: sessionStorage.getItem(TOKEN_KEY), apps: [], campaignRows: [], sort: { col: 'installs', dir: -1 } };

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

// ---- sign-in -------------------------------------------------------------------------------

async function signIn(token) {
  state.token = token;
  try {
    state.apps = (await api('/admin/apps')).apps;
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
  fillApps();
  await refresh();
}

function fillApps(selected) {
  const select = $('app-select');
  const keep = selected ?? select.value;
  select.replaceChildren(...state.apps.map((a) => el('option', { value: a.app_id, text: `${a.name} (${a.platform})` })));
  if (keep && state.apps.some((a) => a.app_id === keep)) select.value = keep;
}

// ---- the report ----------------------------------------------------------------------------

async function refresh() {
  const appId = $('app-select').value;
  $('status').textContent = '';
  if (!appId) {
    $('status').textContent = 'No app yet: create one under Manage.';
    await refreshManage();
    return;
  }
  const range = `app_id=${encodeURIComponent(appId)}&from=${$('from').value}&to=${$('to').value}`;
  try {
    const [byDay, byCampaign, cohorts, deliveries, skan] = await Promise.all([
      api(`/admin/reports?${range}&group_by=day`),
      api(`/admin/reports?${range}&group_by=campaign`),
      api(`/admin/reports/cohorts?${range}`),
      api(`/admin/deliveries?app_id=${encodeURIComponent(appId)}&limit=50`),
      api(`/admin/reports/skan?${range}`),
    ]);
    renderTotals(byDay.totals);
    renderChart(byDay.rows);
    state.campaignRows = byCampaign.rows;
    renderCampaigns();
    renderCohorts(cohorts.cohorts);
    renderDeliveries(deliveries.deliveries);
    renderSkan(skan);
    document.body.dataset.loaded = `${appId}:${byDay.from}:${byDay.to}`;
  } catch (error) {
    $('status').textContent = error.message;
  }
  await refreshManage();
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

function renderCampaigns() {
  const cols = ['campaign_name', 'network', ...METRICS];
  const { col, dir } = state.sort;
  const rows = [...state.campaignRows].sort((a, b) => {
    const x = a[col];
    const y = b[col];
    if (x === y) return 0;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (typeof x === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
  });
  const head = el('tr', {}, cols.map((c) => {
    const th = el('th', { text: c === 'campaign_name' ? 'campaign' : label(c), dataset: { sort: c }, onclick: () => sortBy(c) });
    if (c === col) th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    return th;
  }));
  // A row without a campaign but with a network holds the installs that network claimed (Chartboost
  // claim=1) outside any campaign; the one without either is organic.
  const rowId = (row) => row.campaign_id ?? (row.network === null ? 'organic' : `claimed:${row.network}`);
  const rowName = (row) => row.campaign_name ?? (row.network === null ? 'organic' : 'claimed, no campaign');
  const body = rows.map((row) =>
    el('tr', { dataset: { campaign: rowId(row) } }, cols.map((c) => el('td', { dataset: { col: c }, text: c === 'campaign_name' ? rowName(row) : c === 'network' ? (row.network ?? '–') : format(c, row[c]) }))),
  );
  $('campaigns-table').replaceChildren(el('thead', {}, [head]), el('tbody', {}, body));
}

function sortBy(col) {
  state.sort = state.sort.col === col ? { col, dir: -state.sort.dir } : { col, dir: col === 'campaign_name' || col === 'network' ? 1 : -1 };
  renderCampaigns();
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

function renderDeliveries(deliveries) {
  const cols = ['created_at', 'trigger', 'status', 'attempts', 'last_status', 'last_error', 'method', 'url'];
  const head = el('tr', {}, cols.map((c) => el('th', { text: label(c) })));
  const body = deliveries.map((d) => el('tr', { dataset: { delivery: d.delivery_id } }, cols.map((c) => el('td', { dataset: { col: c }, text: d[c] === null ? '–' : String(d[c]) }))));
  if (body.length === 0) body.push(el('tr', {}, [el('td', { colspan: String(cols.length), text: 'No deliveries yet.' })]));
  $('deliveries-table').replaceChildren(el('thead', {}, [head]), el('tbody', {}, body));
}

// ---- management ----------------------------------------------------------------------------

async function refreshManage() {
  const appId = $('app-select').value;
  const [campaigns, tokens] = await Promise.all([appId ? api(`/admin/campaigns?app_id=${encodeURIComponent(appId)}`) : { campaigns: [] }, api('/admin/tokens')]);
  const cCols = ['name', 'network', 'kind', 'cpi', 'campaign_id', 'tracking_url'];
  $('campaign-list').replaceChildren(
    el('thead', {}, [el('tr', {}, cCols.map((c) => el('th', { text: label(c) })))]),
    el('tbody', {}, campaigns.campaigns.map((c) => el('tr', {}, cCols.map((k) => el('td', { text: c[k] === null ? '–' : String(c[k]) }))))),
  );
  const mine = tokens.tokens.filter((t) => t.app_ids.includes(appId));
  const tCols = ['name', 'token_prefix', 'has_secret', 'created_at', 'revoked_at'];
  $('token-list').replaceChildren(
    el('thead', {}, [el('tr', {}, [...tCols.map((c) => el('th', { text: label(c) })), el('th')])]),
    el('tbody', {}, mine.map((t) => el('tr', { dataset: { token: t.token_id } }, [
      ...tCols.map((k) => el('td', { text: t[k] === null ? '–' : String(t[k]) })),
      el('td', {}, t.revoked_at ? [] : [el('button', { type: 'button', text: 'Revoke', onclick: () => revoke(t.token_id) })]),
    ]))),
  );
}

async function revoke(tokenId) {
  await manage(async () => {
    await api('/admin/tokens/revoke', { method: 'POST', body: { token: tokenId } });
    return 'Token revoked.';
  });
}

// Runs one change, then reloads the lists, and only then says how it went: once the status
// line reads "created", the lists already show what was created.
async function manage(work) {
  $('manage-status').textContent = '';
  let status;
  try {
    status = await work();
  } catch (error) {
    status = error.message;
  }
  try {
    await refreshManage();
  } catch (error) {
    status = `${status} (the lists could not be reloaded: ${error.message})`;
  }
  $('manage-status').textContent = status;
}

function formValues(form) {
  return Object.fromEntries([...new FormData(form).entries()].filter(([, v]) => v !== ''));
}

// ---- wiring --------------------------------------------------------------------------------

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
  void refresh();
});
$('app-select').addEventListener('change', () => void refresh());
$('app-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  void manage(async () => {
    const app = await api('/admin/apps', { method: 'POST', body: formValues(form) });
    state.apps = (await api('/admin/apps')).apps;
    fillApps(app.app_id);
    form.reset();
    void refresh();
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

const today = new Date();
$('to').value = isoDay(today);
$('from').value = isoDay(new Date(today.getTime() - 29 * 86_400_000));
if (state.token) void signIn(state.token);
