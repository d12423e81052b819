// The buyer (model builder) dashboard: sign in, see the wallet and one's
// campaigns, build and create a campaign, fund / open / close it, buy
// differentially private reports, follow their progress and read (or
// download) the released, noised results. Plain ES module, no framework; it
// only talks to this origin's /api.

import {
  $, show, h, svg, rowHead, statusBadge, emptyRow, fmtInt, toNumber, tokens, fmtDate, errorText, clearError, invalid,
  clearInvalid, refuseForm, CAMPAIGN_STATUS_TEXT, StaffSession, wireSignIn, wireRegister, showSignedIn, showSignedOut,
} from './common.js';

const TOKEN_KEY = 'cipherpool.buyer.session';
const POLL_MS = 1000;
/** Report states after which nothing changes any more. */
const FINISHED = new Set(['released', 'refused', 'failed']);
const NAME_RE = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_EPSILON = 10;
const MIN_CONTRIBUTORS = 10;
const MAX_CONTRIBUTORS = 1_000_000;
const MAX_FEATURES = 8;

const REPORT_STAGE_TEXT = {
  computing: 'computing on the encrypted contributions',
  reducing: 'combining the shards',
  aggregated: 'aggregated; waiting for the key holder',
  releasing: 'decrypting and adding noise at the key holder',
  released: 'released',
  refused: 'refused',
  failed: 'failed',
};

/** A plain-language lead for the error codes a buyer can act on; the server's message follows it. */
const ERROR_LEAD = {
  insufficient_funds: 'Your wallet does not hold enough tokens.',
  below_min_contributors: 'Not enough contributions yet.',
  privacy_budget_exhausted: "The campaign's privacy budget is used up.",
  nothing_to_release: 'There is nothing to release.',
  invalid_state: 'Not possible in the campaign\'s current state (use "Refresh").',
  invalid_epsilon: 'Invalid ε.',
  report_not_released: 'The report is not released yet.',
  too_many_attempts: 'Too many failed sign-ins from your address; wait and retry.',
  rate_limited: 'Too many requests from your address; wait and retry.',
  account_locked: 'This account is locked after many failed sign-ins; an administrator can unlock it.',
  account_suspended: 'This account is suspended.',
  idempotency_key_reused: 'This action was already sent with different details; try again.',
  not_found: 'Not found (it may have been removed; use "Refresh").',
};

// --- small helpers ------------------------------------------------------------------

const sigFormats = new Map(); // significant digits → Intl.NumberFormat

/** A real number with `digits` significant digits; large values keep all their integer digits. */
function fmtNum(v, digits = 6) {
  const x = Number(v);
  if (v == null || !Number.isFinite(x)) return '—';
  if (Math.abs(x) >= 10 ** digits) return fmtInt(Math.round(x));
  if (!sigFormats.has(digits)) sigFormats.set(digits, new Intl.NumberFormat('en-US', { maximumSignificantDigits: digits }));
  return sigFormats.get(digits).format(x);
}

const { showError } = errorText(ERROR_LEAD, { sentences: false });

// --- HTTP -----------------------------------------------------------------------

// The session (auth.current), the API client (errors are ApiError with the
// server's code; a 401 ends the session) and payments: funding, closing and
// buying a report carry an Idempotency-Key that a retry of the same action
// with the same body reuses.
const auth = new StaffSession({ role: 'buyer', storageKey: TOKEN_KEY, signOut });
const { api, pay } = auth;

// --- state --------------------------------------------------------------------------

let wallet = null; // {account_id, balance, transfers}
let campaigns = []; // CampaignView[], newest first
let selectedCampaignId = null; // whose reports are shown
let reports = []; // ReportView[] of the selected campaign, newest first
let currentReport = null; // the ReportView shown in detail
let pollTimer = null;
const resultsCache = new Map(); // report id → results JSON

// --- sign-in ----------------------------------------------------------------------

const signIn = wireSignIn(auth, {
  showError,
  afterSignIn,
  signOut,
  refusal: {
    code: 'not_a_buyer',
    text: (user) => `This dashboard is for buyers; ${user?.email ?? 'this account'} is a ${user?.role ?? 'different'} account.`,
  },
});

// A new buyer account is signed in the same way.
wireRegister({
  role: 'buyer',
  api,
  signIn,
  intro: 'A buyer account: create campaigns and buy reports. You are signed in as soon as it is created.',
});

async function afterSignIn() {
  showSignedIn(auth.current.user.email);
  try {
    await Promise.all([refreshWallet(), refreshCampaigns()]);
  } catch (err) {
    if (auth.current) showError($('session-error'), err);
  }
}

/** Forgets the session and everything shown for it. */
function signOut(message = '') {
  auth.end();
  clearTimeout(pollTimer);
  wallet = null;
  campaigns = [];
  selectedCampaignId = null;
  reports = [];
  currentReport = null;
  resultsCache.clear();
  $('campaign-list').replaceChildren();
  $('report-list').replaceChildren();
  clearResults();
  show($('report'), false);
  show($('reports-section'), false);
  $('balance').textContent = '…';
  $('balance').dataset.value = '';
  $('campaigns-status').textContent = '';
  resetCampaignForm();
  showSignedOut(message);
}

// --- wallet -----------------------------------------------------------------------

async function refreshWallet() {
  wallet = await api('GET', '/api/wallet?limit=10');
  $('balance').textContent = fmtInt(wallet.balance);
  $('balance').dataset.value = String(wallet.balance);
  const rows = wallet.transfers.map((t) => {
    const incoming = t.to_account_id === wallet.account_id;
    const what = [t.kind.replaceAll('_', ' '), t.memo].filter(Boolean).join(' — ');
    return h('tr', {},
      h('td', {}, fmtDate(t.created_at)),
      h('td', {}, what),
      h('td', { class: 'num' }, `${incoming ? '+' : '−'}${fmtInt(t.amount)}`));
  });
  if (!rows.length) rows.push(emptyRow(3, 'No transfers yet.'));
  $('transfers').tBodies[0].replaceChildren(...rows);
}

// --- campaigns --------------------------------------------------------------------

async function refreshCampaigns() {
  const list = await api('GET', '/api/campaigns?limit=200');
  campaigns = list.sort((a, b) => b.id - a.id);
  // Keep the ε each row's buyer typed across the re-render.
  const typed = new Map([...document.querySelectorAll('[data-report-epsilon]')].map((i) => [i.dataset.reportEpsilon, i.value]));
  $('campaign-list').replaceChildren(...campaigns.map((c) => campaignRow(c, typed.get(String(c.id)))));
  show($('campaigns-empty'), campaigns.length === 0);
  const selected = campaigns.find((c) => c.id === selectedCampaignId);
  if (selected) $('reports-campaign').textContent = selected.title;
}

/** Puts a changed campaign into the list (in place, or first when new). */
function replaceCampaign(view) {
  const i = campaigns.findIndex((c) => c.id === view.id);
  if (i >= 0) campaigns[i] = view;
  else campaigns.unshift(view);
  const old = document.querySelector(`#campaign-list > [data-campaign-id="${view.id}"]`);
  const row = campaignRow(view, old?.querySelector('[data-report-epsilon]')?.value);
  if (old) old.replaceWith(row);
  else $('campaign-list').prepend(row);
  show($('campaigns-empty'), false);
  if (selectedCampaignId === view.id) $('reports-campaign').textContent = view.title;
  return row;
}

function describeField(f) {
  if (f.type === 'categorical') return `${f.name} (${f.categories.join(' / ')})`;
  const range = f.range ? `, ${fmtInt(f.range.min)}–${fmtInt(f.range.max)}` : '';
  return `${f.name} (${f.bits}-bit${range})`;
}

function campaignRow(c, typedEpsilon) {
  const id = c.id;
  const enough = c.contributions >= c.min_contributors;
  const facts = h('dl', {},
    h('dt', {}, 'Escrow'),
    h('dd', { class: 'escrow' }, c.status === 'draft'
      ? `none yet — ${tokens(c.budget)} move in when you submit`
      : `${tokens(c.escrow_balance)} (budget ${fmtInt(c.budget)})`),
    h('dt', {}, 'Reward'), h('dd', {}, `${tokens(c.reward)} per contribution`),
    h('dt', {}, 'Contributions'),
    h('dd', { class: 'contributions' }, `${fmtInt(c.contributions)} of ${fmtInt(c.min_contributors)} needed`,
      enough ? ' — enough for a report' : ''),
    h('dt', {}, 'Privacy ε'), h('dd', {}, String(c.epsilon)),
    h('dt', {}, 'Statistics'), h('dd', {}, c.statistics.join(', ')),
    h('dt', {}, 'Fields'), h('dd', {}, c.schema.fields.map(describeField).join('; ')));

  const notes = [];
  if (c.status === 'rejected') {
    notes.push(h('p', { class: 'review-reason' },
      h('strong', {}, 'Rejected in review: '), (c.review_reason || 'no reason given').replace(/[.\s]+$/, ''),
      '. The escrow was refunded.'));
  } else if (c.status === 'pending_review') {
    notes.push(h('p', { class: 'hint' }, 'Waiting for an administrator to review it.'));
  } else if (c.status === 'approved') {
    notes.push(h('p', { class: 'hint' }, 'Approved: open it to start accepting contributions.'));
  }

  const actions = [];
  const button = (action, text, onclick) => h('button', { type: 'button', id: `${action}-${id}`, onclick }, text);
  if (c.status === 'draft') {
    actions.push(button('submit-campaign', `Fund & submit for review (${tokens(c.budget)})`, (e) => runAction(c, e.currentTarget, submitCampaign)));
  }
  if (c.status === 'approved') {
    actions.push(button('open-campaign', 'Open for contributions', (e) => runAction(c, e.currentTarget, openCampaign)));
  }
  if (c.status === 'open' || c.status === 'closed') {
    const epsId = `report-epsilon-${id}`;
    actions.push(h('div', { class: 'buy' },
      h('div', {},
        h('label', { for: epsId }, 'Report ε'),
        h('input', {
          id: epsId, type: 'number', inputmode: 'decimal', min: 0, max: c.epsilon, step: 'any',
          value: typedEpsilon ?? c.epsilon, 'data-report-epsilon': id,
          'aria-describedby': `${epsId}-hint ${epsId}-error`,
        })),
      button('buy-report', 'Buy report', (e) => runAction(c, e.currentTarget, buyReport)),
      h('span', { id: `${epsId}-hint`, class: 'hint' },
        `Up to the campaign's ε = ${c.epsilon}; what a report spends is gone from the campaign's privacy budget.`)));
    actions.push(button('show-reports', 'Show reports', () => selectCampaign(id).then(() => $('reports-title').focus())));
  }
  // Last, away from the rest: closing cannot be undone.
  if (c.status === 'approved' || c.status === 'open') {
    actions.push(button('close-campaign', 'Close campaign', (e) => runAction(c, e.currentTarget, closeCampaign)));
  }

  return h('li', { class: 'campaign', 'data-campaign-id': id, 'data-status': c.status, 'aria-labelledby': `campaign-title-${id}` },
    rowHead(`campaign-title-${id}`, c.title, id, statusBadge(c.status, CAMPAIGN_STATUS_TEXT)),
    facts,
    notes,
    h('div', { class: 'actions' }, actions),
    h('p', { id: `report-epsilon-${id}-error`, class: 'error field-error' }),
    h('p', { id: `campaign-error-${id}`, class: 'error', role: 'alert' }));
}

/**
 * Runs a row action: disables its button, shows errors in the row, and puts
 * focus back on the (re-rendered) row when the button it was on is gone.
 */
async function runAction(c, button, action) {
  const id = c.id;
  const buttonId = button.id;
  clearError($(`campaign-error-${id}`));
  $('campaigns-status').textContent = '';
  button.disabled = true;
  try {
    await action(c);
  } catch (err) {
    showError($(`campaign-error-${id}`), err);
  } finally {
    const again = $(buttonId);
    if (again) again.disabled = false;
    if (!document.activeElement || document.activeElement === document.body) {
      (again ?? $(`campaign-title-${id}`))?.focus();
    }
  }
}

async function submitCampaign(c) {
  const { campaign, transfer } = await pay(`submit:${c.id}`, `/api/campaigns/${c.id}/submit`);
  replaceCampaign(campaign);
  $('campaigns-status').textContent = `“${campaign.title}” was funded with ${tokens(transfer?.amount ?? campaign.budget)} and sent for review.`;
  await refreshWallet();
}

async function openCampaign(c) {
  const campaign = await api('POST', `/api/campaigns/${c.id}/open`);
  replaceCampaign(campaign);
  $('campaigns-status').textContent = `“${campaign.title}” is open for contributions.`;
}

async function closeCampaign(c) {
  // Closing cannot be undone: ask first.
  if (!window.confirm(`Close “${c.title}”? It stops accepting contributions and the remaining escrow `
    + `(${tokens(c.escrow_balance)}) goes back to your wallet. This cannot be undone.`)) return;
  const { campaign, transfer } = await pay(`close:${c.id}`, `/api/campaigns/${c.id}/close`);
  replaceCampaign(campaign);
  $('campaigns-status').textContent = `“${campaign.title}” is closed`
    + (transfer ? `; ${tokens(transfer.amount)} were refunded to your wallet.` : '.');
  await refreshWallet();
}

async function buyReport(c) {
  const input = $(`report-epsilon-${c.id}`);
  clearInvalid(input);
  const text = input.value.trim();
  const eps = Number(text);
  if (input.validity.badInput || (text !== '' && !(Number.isFinite(eps) && eps > 0 && eps <= c.epsilon))) {
    invalid(input, `Enter an ε above 0 and at most ${c.epsilon}, or leave it empty for ${c.epsilon}.`);
    return;
  }
  // Empty or the campaign's own ε: let the server use the campaign's ε.
  const body = text === '' || eps === c.epsilon ? {} : { epsilon: eps };
  const view = await pay(`report:${c.id}`, `/api/campaigns/${c.id}/reports`, body);
  $('campaigns-status').textContent = `Report #${view.id} of “${c.title}” was bought for ${tokens(view.price)}; it is being computed.`;
  await selectCampaign(c.id, view);
  $('report-title').focus();
  refreshWallet().catch(() => {});
}

$('refresh-campaigns').addEventListener('click', async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  clearError($('campaigns-error'));
  try {
    await Promise.all([refreshCampaigns(), refreshWallet()]);
    $('campaigns-status').textContent = 'Campaigns refreshed.';
  } catch (err) {
    showError($('campaigns-error'), err);
  } finally {
    button.disabled = false;
  }
});

// --- reports ------------------------------------------------------------------------

/**
 * Shows the reports of a campaign; `report` (just bought) is shown at once,
 * otherwise the newest one.
 */
async function selectCampaign(id, report = null) {
  const changed = selectedCampaignId !== id;
  selectedCampaignId = id;
  const c = campaigns.find((x) => x.id === id);
  $('reports-campaign').textContent = c ? c.title : `campaign #${id}`;
  show($('reports-section'));
  clearError($('reports-error'));
  if (changed) {
    reports = [];
    $('report-list').replaceChildren();
    currentReport = null;
    clearTimeout(pollTimer);
    clearResults();
    show($('report'), false);
  }
  if (report) {
    reports = [report, ...reports.filter((r) => r.id !== report.id)];
    renderReportList();
    showReport(report);
  }
  try {
    const list = await api('GET', `/api/campaigns/${id}/reports`);
    if (selectedCampaignId !== id) return; // another campaign was chosen meanwhile
    reports = list;
    // A report bought a moment ago is there too; keep the freshest view of the shown one.
    if (report && !reports.some((r) => r.id === report.id)) reports.unshift(report);
    if (currentReport) reports = reports.map((r) => (r.id === currentReport.id ? currentReport : r));
    renderReportList();
    if (!currentReport && reports.length) showReport(reports[0]);
  } catch (err) {
    if (selectedCampaignId === id) showError($('reports-error'), err);
  }
}

function renderReportList() {
  $('report-list').replaceChildren(...reports.map(reportItem));
  show($('reports-empty'), reports.length === 0);
}

function reportItem(r) {
  const current = currentReport?.id === r.id;
  return h('li', { 'data-report-id': r.id },
    h('button', {
      type: 'button', id: `show-report-${r.id}`, 'aria-current': current ? 'true' : null,
      'aria-controls': 'report', onclick: () => { showReport(r); $('report-title').focus(); },
    }, `Report #${r.id}`),
    h('span', { class: 'badge', 'data-status': r.status }, r.status),
    h('span', { class: 'muted' }, `ε = ${r.epsilon} · ${fmtDate(r.created_at)}`));
}

/**
 * Updates the list in place for the report shown: its status badge, and
 * aria-current on its button (in place, so polling never moves focus).
 */
function updateReportItem(view) {
  const i = reports.findIndex((r) => r.id === view.id);
  if (i >= 0) reports[i] = view;
  for (const li of $('report-list').children) {
    const isShown = li.dataset.reportId === String(view.id);
    const button = li.querySelector('button');
    if (isShown) {
      button.setAttribute('aria-current', 'true');
      const badge = li.querySelector('.badge');
      badge.textContent = view.status;
      badge.dataset.status = view.status;
    } else {
      button.removeAttribute('aria-current');
    }
  }
}

/** Renders a report in detail; polls it while it runs, loads its results once released. */
function showReport(view) {
  const isNew = currentReport?.id !== view.id;
  const statusChanged = isNew || currentReport.status !== view.status;
  currentReport = view;
  updateReportItem(view);
  if (isNew) clearResults();

  const box = $('report');
  show(box);
  box.dataset.reportId = String(view.id);
  box.dataset.status = view.status;
  $('report-id').textContent = String(view.id);
  const status = $('report-status');
  status.textContent = view.status;
  status.dataset.status = view.status;
  $('report-epsilon').textContent = String(view.epsilon);
  $('report-price').textContent = tokens(view.price) + (view.refund_transfer_id != null ? ' (refunded)' : '');
  $('report-contributions').textContent = fmtInt(view.contributions);
  $('report-created').textContent = fmtDate(view.created_at)
    + (view.finished_at ? ` — finished ${fmtDate(view.finished_at)}` : '');

  // Progress: shards of the homomorphic computation.
  const p = view.progress ?? {};
  const total = Math.max(0, p.shards_total ?? 0);
  const done = Math.min(total, Math.max(0, p.shards_done ?? 0));
  const bar = $('report-progress');
  bar.max = Math.max(1, total);
  bar.value = view.status === 'released' ? bar.max : done;
  let text = `${done} of ${total} shards`;
  if (p.contributions_total != null) text += ` (${fmtInt(p.contributions_done)} of ${fmtInt(p.contributions_total)} contributions)`;
  if (!FINISHED.has(view.status) && p.eta_seconds != null) text += `, ETA ${Math.max(0, Math.ceil(p.eta_seconds))} s`;
  text += ` — ${REPORT_STAGE_TEXT[view.status] ?? view.status}`;
  $('report-progress-text').textContent = text;

  // Refused or failed: the job's error, and the refund when there was one.
  const errorBox = $('report-error');
  if (view.status === 'refused' || view.status === 'failed') {
    const why = view.error ? `${view.error.code}: ${view.error.message.replace(/[.\s]*$/, '.')}` : '';
    const refund = view.refund_transfer_id != null
      ? ` The price of ${tokens(view.price)} was refunded to your wallet (transfer #${view.refund_transfer_id}).`
      : '';
    errorBox.textContent = `Report ${view.status}${why ? ` — ${why}` : '.'}${refund}`;
    if (view.error?.code) errorBox.dataset.code = view.error.code;
  } else {
    clearError(errorBox);
  }

  if (statusChanged) {
    $('report-announce').textContent = `Report #${view.id}: ${view.status}.`;
    // A finished report may have been refunded: the wallet changed.
    if (!isNew && FINISHED.has(view.status)) refreshWallet().catch(() => {});
  }
  if (view.status === 'released') loadResults(view.id);
  else if (!FINISHED.has(view.status)) schedulePoll(view.id);
}

/** Polls GET /api/reports/{id} every second while it is the report shown and not finished. */
function schedulePoll(id) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(async () => {
    if (!auth.current || currentReport?.id !== id) return;
    try {
      const view = await api('GET', `/api/reports/${id}`);
      if (auth.current && currentReport?.id === id) showReport(view); // schedules the next poll
    } catch (err) {
      if (!auth.current || currentReport?.id !== id) return;
      // Network trouble or a busy server: keep trying; anything else is final.
      const transient = err.status === 0 || err.status === 429 || err.status >= 500;
      showError($('report-error'), err, transient ? 'Could not refresh the report (retrying): ' : '');
      if (transient) schedulePoll(id);
    }
  }, POLL_MS);
}

// --- results ------------------------------------------------------------------------

function clearResults() {
  const box = $('results');
  show(box, false);
  delete box.dataset.reportId;
  for (const id of ['results-numeric', 'results-histograms', 'results-quality', 'results-regression', 'results-values']) {
    $(id).replaceChildren();
  }
  clearError($('results-error'));
  clearError($('download-error'));
}

let resultsLoading = null; // report id being fetched

async function loadResults(id) {
  if ($('results').dataset.reportId === String(id) || resultsLoading === id) return;
  resultsLoading = id;
  clearError($('results-error'));
  try {
    let results = resultsCache.get(id);
    if (!results) {
      results = await api('GET', `/api/reports/${id}/results`);
      resultsCache.set(id, results);
    }
    if (currentReport?.id === id) renderResults(results);
  } catch (err) {
    if (currentReport?.id === id) showError($('results-error'), err, 'Could not load the results: ');
  } finally {
    resultsLoading = null;
  }
}

/** The released value of an aggregate key (e.g. "sum:age"), if any. */
function valueOf(results, key) {
  return results.values.find((v) => v.key === key);
}

/**
 * A titled results table: heading, horizontally scrollable table (named by
 * the heading, described by the note) and the note under it.
 */
function resultTable(id, title, note, head, rows) {
  return [
    h('h4', { id: `${id}-title` }, title),
    h('div', { class: 'scroll' },
      h('table', { id, 'aria-labelledby': `${id}-title`, 'aria-describedby': note ? `${id}-note` : null },
        h('thead', {}, h('tr', {}, head.map(([text, cls]) => h('th', { scope: 'col', class: cls }, text)))),
        h('tbody', {}, rows))),
    note ? h('p', { id: `${id}-note`, class: 'hint' }, note) : null,
  ];
}

function renderResults(r) {
  const noised = r.noise !== 'disabled';
  const box = $('results');
  box.dataset.reportId = String(r.report_id);
  $('results-count').textContent = fmtInt(r.count);
  $('results-epsilon').textContent = String(r.epsilon);
  $('results-noise').textContent = noised
    ? (r.noise === 'discrete_laplace' ? 'discrete Laplace (differential privacy)' : r.noise)
    : 'disabled — the values are exact (a test setting, not private)';
  $('results-noise').dataset.noise = r.noise;
  $('results-released').textContent = fmtDate(r.released_at);
  const d = { fields: [], histograms: [], out_of_range: [], regression: null, ...(r.derived ?? {}) };

  // Numeric fields: mean (± the 99% noise bound of the sum, divided by the count) and variance.
  if (d.fields.length) {
    const rows = d.fields.map((f) => {
      const bound = valueOf(r, `sum:${f.field}`)?.noise_bound_99;
      const meanBound = noised && bound && r.count > 0 ? h('span', { class: 'bound' }, `± ${fmtNum(bound / r.count, 3)}`) : null;
      return h('tr', { 'data-field': f.field },
        h('th', { scope: 'row' }, f.field),
        h('td', { class: 'num sum' }, fmtInt(f.sum)),
        h('td', { class: 'num mean', 'data-field': f.field }, f.mean == null ? '—' : [fmtNum(f.mean), meanBound && ' ', meanBound]),
        h('td', { class: 'num variance', 'data-field': f.field }, fmtNum(f.variance)));
    });
    $('results-numeric').replaceChildren(...resultTable('numeric-table', 'Numeric fields',
      (noised ? '± is the 99% bound of the noise on the mean (the sum\'s noise bound divided by the count). ' : 'No noise was added. ')
        + 'Variance is clamped at 0; — means it was not requested or there were no contributions.',
      [['Field'], ['Sum', 'num'], ['Mean', 'num'], ['Variance', 'num']], rows));
  }

  // Histograms: one accessible SVG bar chart per categorical field.
  if (d.histograms.length) {
    $('results-histograms').replaceChildren(h('h4', {}, 'Histograms'), ...d.histograms.map((hist) => {
      const bound = noised ? valueOf(r, `count:${hist.field}:${hist.counts[0]?.category}`)?.noise_bound_99 : 0;
      return h('figure', { 'data-field': hist.field },
        h('div', { class: 'scroll' }, histogramSvg(hist)),
        h('figcaption', {}, `${hist.field}: noised count per category`
          + (bound ? ` (each ± ${fmtNum(bound, 3)} at 99%)` : '')
          + (hist.counts.some((c) => toNumber(c.count) < 0) ? '; noise made some counts negative, drawn as empty bars' : '')
          + '.'));
    }));
  }

  // Quality: values outside a field's declared range.
  if (d.out_of_range.length) {
    $('results-quality').replaceChildren(...resultTable('quality-table', 'Out-of-range values',
      'Noised number of contributions whose value was outside the field\'s declared range.',
      [['Field'], ['Count', 'num']],
      d.out_of_range.map((o) => h('tr', {}, h('th', { scope: 'row' }, o.field), h('td', { class: 'num' }, fmtInt(o.count))))));
  }

  // Regression: target ≈ intercept + Σ coefficient · feature.
  const reg = d.regression;
  if (reg) {
    const title = `Linear regression of ${reg.target}`;
    if (reg.solved) {
      $('results-regression').replaceChildren(...resultTable('regression-table', title,
        `${reg.target} ≈ intercept + Σ coefficient × feature, fitted on the noised sums.`,
        [['Term'], ['Coefficient', 'num']],
        [h('tr', {}, h('th', { scope: 'row' }, 'intercept'), h('td', { class: 'num' }, fmtNum(reg.intercept))),
          ...reg.features.map((f, i) => h('tr', { 'data-feature': f },
            h('th', { scope: 'row' }, f), h('td', { class: 'num' }, fmtNum(reg.coefficients[i]))))]));
    } else {
      $('results-regression').replaceChildren(h('h4', {}, title),
        h('p', { id: 'regression-note' }, `Could not be fitted: ${reg.note ?? 'no reason given'}.`));
    }
  }

  // The released aggregates themselves.
  $('results-values').replaceChildren(...resultTable('values-table', 'Released values',
    'Exactly as released by the key holder: each value with its noise scale and the 99% bound on its noise.',
    [['Key'], ['Value', 'num'], ['Noise scale', 'num'], ['99% bound', 'num']],
    r.values.map((v) => h('tr', {},
      h('td', { class: 'key' }, v.key),
      h('td', { class: 'num' }, fmtInt(v.value)),
      h('td', { class: 'num' }, fmtNum(v.noise_scale)),
      h('td', { class: 'num' }, fmtNum(v.noise_bound_99))))));

  show(box);
}

/**
 * A bar chart of one histogram. Bars scale to the largest count; negative
 * noised counts are drawn with zero height and still labelled.
 */
function histogramSvg(hist) {
  const n = hist.counts.length;
  const values = hist.counts.map((c) => toNumber(c.count));
  const max = Math.max(1, ...values.filter(Number.isFinite));
  const barW = 48;
  const gap = 20;
  const top = 20; // room for the value above the tallest bar
  const plotH = 120;
  const labelH = 24;
  const side = 10;
  const width = side * 2 + n * barW + (n - 1) * gap;
  const height = top + plotH + labelH;
  const baseY = top + plotH;
  const short = (s) => ([...s].length > 9 ? `${[...s].slice(0, 8).join('')}…` : s);
  const summary = hist.counts.map((c) => `${c.category} ${fmtInt(c.count)}`).join(', ');

  const chart = svg('svg', {
    class: 'histogram', role: 'img', viewBox: `0 0 ${width} ${height}`, 'data-field': hist.field,
    'aria-label': `Histogram of ${hist.field} (noised counts): ${summary}`,
    // Readable at any width: never narrower than 3.5 rem per bar (the box scrolls), never wider than 5 rem.
    style: `width: 100%; min-width: ${n * 3.5}rem; max-width: ${n * 5 + 2}rem`,
  });
  chart.append(svg('line', { class: 'axis', x1: side / 2, x2: width - side / 2, y1: baseY, y2: baseY }));
  hist.counts.forEach((c, i) => {
    const v = values[i];
    const barH = Number.isFinite(v) && v > 0 ? Math.max(1, (v / max) * plotH) : 0;
    const x = side + i * (barW + gap);
    const cx = x + barW / 2;
    chart.append(
      svg('rect', {
        class: v < 0 ? 'bar negative' : 'bar', x, y: baseY - barH, width: barW, height: barH,
        'data-category': c.category, 'data-count': String(c.count),
      }, svg('title', {}, `${c.category}: ${fmtInt(c.count)}`)),
      svg('text', { class: 'value', x: cx, y: baseY - barH - 5, 'text-anchor': 'middle' }, fmtInt(c.count)),
      svg('text', { class: 'label', x: cx, y: baseY + 16, 'text-anchor': 'middle' }, short(c.category)));
  });
  return chart;
}

// --- downloads ----------------------------------------------------------------------

/** Fetches an authenticated file and saves it through a Blob link. */
async function download(button, path, filename) {
  const errorBox = $('download-error');
  clearError(errorBox);
  button.disabled = true;
  try {
    const resp = await api('GET', path, { raw: true });
    const url = URL.createObjectURL(await resp.blob());
    const a = h('a', { href: url, download: filename, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    // Revoke later: the browser reads the blob after the click returns.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (err) {
    showError(errorBox, err, 'Download failed: ');
  } finally {
    button.disabled = false;
  }
}

$('download-csv').addEventListener('click', (e) => {
  const id = $('results').dataset.reportId;
  if (id) download(e.currentTarget, `/api/reports/${id}/results.csv`, `report-${id}.csv`);
});
$('download-json').addEventListener('click', (e) => {
  const id = $('results').dataset.reportId;
  if (id) download(e.currentTarget, `/api/reports/${id}/results`, `report-${id}.json`);
});

// --- new campaign: the schema builder -------------------------------------------------

let fieldSeq = 0; // ids of builder rows; never reused

/** A labelled control with its hint and error line (aria-describedby wired). */
function control(id, labelText, input, hintText) {
  const described = [hintText ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' ');
  input.id = id;
  input.setAttribute('aria-describedby', described);
  return h('div', { class: 'control' },
    h('label', { for: id }, labelText),
    input,
    hintText ? h('span', { id: `${id}-hint`, class: 'hint' }, hintText) : null,
    h('p', { id: `${id}-error`, class: 'error field-error' }));
}

function addField(kind) {
  const n = ++fieldSeq;
  const p = `field-${n}`;
  const name = h('input', { type: 'text', class: 'field-name', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'none' });
  const parts = [control(`${p}-name`, 'Name', name, 'Lowercase letters, digits and _, starting with a letter (e.g. hours_per_week).')];
  if (kind === 'numeric') {
    const bits = h('select', { class: 'field-bits' },
      h('option', { value: 8 }, '8 bits (0–255)'),
      h('option', { value: 16 }, '16 bits (0–65,535)'),
      h('option', { value: 32 }, '32 bits (0–4,294,967,295)'));
    const num = (cls) => h('input', { type: 'number', inputmode: 'numeric', min: 0, step: 1, class: cls });
    parts.push(
      control(`${p}-bits`, 'Size', bits),
      control(`${p}-min`, 'Minimum (optional)', num('field-min'), 'Leave both empty for the full range of the size.'),
      control(`${p}-max`, 'Maximum (optional)', num('field-max')));
  } else {
    parts.push(control(`${p}-categories`, 'Categories',
      h('input', { type: 'text', class: 'field-categories', autocomplete: 'off' }),
      'Comma-separated, 2 to 64 labels (e.g. car, bike, train).'));
  }
  const legendId = `${p}-legend`;
  const row = h('fieldset', { class: 'field-row', 'data-kind': kind, 'data-row': n, id: p },
    h('legend', { id: legendId }),
    parts,
    h('button', { type: 'button', class: 'remove', onclick: () => removeField(row) }, 'Remove field'));
  $('schema-fields').append(row);
  name.addEventListener('input', () => {
    labelRows();
    refreshRegression();
  });
  labelRows();
  refreshRegression();
  clearError($('schema-box-error'));
  name.focus();
  return row;
}

function removeField(row) {
  const rows = [...$('schema-fields').children];
  const i = rows.indexOf(row);
  row.remove();
  labelRows();
  refreshRegression();
  // Focus the next row's name, else the previous one's, else the add button.
  const rest = [...$('schema-fields').children];
  const next = rest[i] ?? rest[i - 1];
  (next?.querySelector('.field-name') ?? $('add-numeric')).focus();
}

/** Numbers the rows' legends and names their remove buttons after their fields. */
function labelRows() {
  [...$('schema-fields').children].forEach((row, i) => {
    const kind = row.dataset.kind === 'numeric' ? 'numeric' : 'categorical';
    const name = row.querySelector('.field-name').value.trim();
    row.querySelector('legend').textContent = `Field ${i + 1} (${kind})${name ? `: ${name}` : ''}`;
    row.querySelector('.remove').setAttribute('aria-label', `Remove field ${i + 1}${name ? ` (${name})` : ''}`);
  });
}

$('add-numeric').addEventListener('click', () => addField('numeric'));
$('add-categorical').addEventListener('click', () => addField('categorical'));

/** Valid, distinct names of the numeric fields, in order. */
function numericNames() {
  const names = [...$('schema-fields').querySelectorAll('.field-row[data-kind="numeric"] .field-name')]
    .map((i) => i.value.trim())
    .filter((s) => NAME_RE.test(s));
  return [...new Set(names)];
}

/** Rebuilds the regression's feature checkboxes and target options, keeping the choices made. */
function refreshRegression() {
  const names = numericNames();
  const list = $('regression-feature-list');
  const checked = new Set([...list.querySelectorAll('input:checked')].map((i) => i.value));
  list.replaceChildren(...names.map((name) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', value: name, id: `regression-feature-${name}`, checked: checked.has(name) }), name)));
  if (!names.length) list.append(h('p', { class: 'hint' }, 'Add numeric fields (with names) to choose from.'));
  const target = $('regression-target');
  const prev = target.value;
  target.replaceChildren(h('option', { value: '' }, 'Choose…'), ...names.map((name) => h('option', { value: name }, name)));
  target.value = names.includes(prev) ? prev : '';
}

$('regression-enabled').addEventListener('change', (e) => {
  const on = e.currentTarget.checked;
  show($('regression-details'), on);
  // The "regression" statistic needs a declared regression; keep them in step.
  $('stat-regression').checked = on;
});

$('budget').addEventListener('input', updateBudgetNote);
$('reward').addEventListener('input', updateBudgetNote);
function updateBudgetNote() {
  const reward = Number($('reward').value);
  const budget = Number($('budget').value);
  $('budget-note').textContent = Number.isInteger(reward) && Number.isInteger(budget) && reward > 0 && budget >= reward
    ? `It pays up to ${fmtInt(Math.floor(budget / reward))} contributions.`
    : '';
}

// --- new campaign: validation and submission ------------------------------------------

/** Reads a whole number ≥ 0 from an input: null when empty, undefined (and an error) when invalid. */
function readWhole(input, max, fail, what) {
  const text = input.value.trim();
  if (input.validity.badInput) {
    fail(input, `${what} must be a whole number.`);
    return undefined;
  }
  if (text === '') return null;
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < 0) {
    fail(input, `${what} must be a whole number, 0 or more.`);
    return undefined;
  }
  if (v > max) {
    fail(input, `${what} must be at most ${fmtInt(max)}.`);
    return undefined;
  }
  return v;
}

/** Builds the NewCampaign body from the form, with one message per invalid control. */
function readCampaign() {
  const errors = [];
  const fail = (el, msg) => errors.push({ el, msg });

  const title = $('title').value.trim();
  if (!title) fail($('title'), 'Give the campaign a title.');
  else if ([...title].length > 200) fail($('title'), 'The title is at most 200 characters.');
  const description = $('description').value;
  if ([...description].length > 10_000) fail($('description'), 'The description is at most 10,000 characters.');

  const fields = [];
  const seen = new Set();
  const rows = [...$('schema-fields').children];
  if (!rows.length) fail($('schema-box'), 'Add at least one field.');
  for (const row of rows) {
    const p = `field-${row.dataset.row}`;
    const nameEl = $(`${p}-name`);
    const name = nameEl.value.trim();
    if (!name) fail(nameEl, 'Give the field a name.');
    else if (!NAME_RE.test(name)) fail(nameEl, 'Use 1 to 64 lowercase letters, digits or _, starting with a letter.');
    else if (seen.has(name)) fail(nameEl, `Another field is already called “${name}”.`);
    seen.add(name);
    if (row.dataset.kind === 'numeric') {
      const bits = Number($(`${p}-bits`).value);
      const top = 2 ** bits - 1;
      const minEl = $(`${p}-min`);
      const maxEl = $(`${p}-max`);
      const min = readWhole(minEl, top, fail, 'The minimum');
      const max = readWhole(maxEl, top, fail, 'The maximum');
      const field = { type: 'numeric', name, bits };
      // One bound alone: the other is the size's own limit.
      if (min !== undefined && max !== undefined && (min !== null || max !== null)) {
        const lo = min ?? 0;
        const hi = max ?? top;
        if (lo > hi) fail(maxEl, `The maximum must be at least the minimum (${fmtInt(lo)}).`);
        else field.range = { min: lo, max: hi };
      }
      fields.push(field);
    } else {
      const catEl = $(`${p}-categories`);
      const categories = catEl.value.split(',').map((s) => s.trim()).filter(Boolean);
      const dup = categories.find((c, i) => categories.indexOf(c) !== i);
      const long = categories.find((c) => [...c].length > 64);
      if (categories.length < 2) fail(catEl, 'List at least two categories, separated by commas.');
      else if (categories.length > 64) fail(catEl, `At most 64 categories (${categories.length} given).`);
      else if (dup) fail(catEl, `“${dup}” is listed twice.`);
      else if (long) fail(catEl, `“${long.slice(0, 20)}…” is longer than 64 characters.`);
      fields.push({ type: 'categorical', name, categories });
    }
  }
  const schema = { fields };

  if ($('regression-enabled').checked) {
    const features = [...$('regression-feature-list').querySelectorAll('input:checked')].map((i) => i.value);
    const target = $('regression-target').value;
    if (!features.length) fail($('regression-features'), 'Choose at least one feature.');
    else if (features.length > MAX_FEATURES) fail($('regression-features'), `Choose at most ${MAX_FEATURES} features.`);
    if (!target) fail($('regression-target'), 'Choose the field to predict.');
    else if (features.includes(target)) fail($('regression-target'), 'The target cannot also be a feature.');
    schema.regression = { features, target };
  }

  const statistics = [...document.querySelectorAll('#stats-box input[name="statistics"]:checked')].map((i) => i.value);
  const hasNumeric = fields.some((f) => f.type === 'numeric');
  const hasCategorical = fields.some((f) => f.type === 'categorical');
  const hasNarrowRange = fields.some((f) => f.range && (f.range.min > 0 || f.range.max < 2 ** f.bits - 1));
  const statsBox = $('stats-box');
  if (!statistics.length) fail(statsBox, 'Choose at least one statistic.');
  for (const s of statistics) {
    if (['sum', 'mean', 'variance'].includes(s) && !hasNumeric && rows.length) fail(statsBox, `“${s}” needs a numeric field.`);
    if (s === 'histogram' && !hasCategorical && rows.length) fail(statsBox, '“histogram” needs a categorical field.');
    if (s === 'regression' && !schema.regression) fail(statsBox, '“regression” needs the regression above to be filled in.');
    if (s === 'quality' && !hasNarrowRange && rows.length) fail(statsBox, '“quality” needs a numeric field with a minimum or maximum inside its size.');
  }

  const reward = readWhole($('reward'), Number.MAX_SAFE_INTEGER, fail, 'The reward');
  if (reward === null || reward === 0) fail($('reward'), 'The reward must be at least 1 token.');
  const budget = readWhole($('budget'), Number.MAX_SAFE_INTEGER, fail, 'The budget');
  if (budget === null || budget === 0) fail($('budget'), 'The budget must be at least 1 token.');
  else if (reward && budget && budget < reward) fail($('budget'), `The budget must cover at least one reward (${tokens(reward)}).`);
  const minContributors = readWhole($('min-contributors'), MAX_CONTRIBUTORS, fail, 'The minimum');
  if (minContributors === null || (minContributors != null && minContributors < MIN_CONTRIBUTORS)) {
    fail($('min-contributors'), `At least ${MIN_CONTRIBUTORS} contributors are required.`);
  }
  const epsText = $('epsilon').value.trim();
  const epsilon = Number(epsText);
  if ($('epsilon').validity.badInput || epsText === '' || !Number.isFinite(epsilon) || epsilon <= 0 || epsilon > MAX_EPSILON) {
    fail($('epsilon'), `ε must be a number above 0 and at most ${MAX_EPSILON}.`);
  }

  return {
    errors,
    body: { title, description, schema, statistics, reward, budget, min_contributors: minContributors, epsilon },
  };
}

/** Marks controls invalid with their messages (first message per control) and focuses the first. */
function showFormErrors(errors) {
  for (const { el, msg } of errors) {
    if (el.matches('input, select, textarea')) el.setAttribute('aria-invalid', 'true');
    const line = $(`${el.id}-error`);
    if (line && !line.textContent) line.textContent = msg;
  }
  const first = errors[0]?.el;
  if (!first) return;
  if (first.id === 'schema-box') $('add-numeric').focus();
  else if (first.matches('fieldset')) (first.querySelector('input, select') ?? first).focus();
  else first.focus();
}

function clearFormErrors() {
  const form = $('new-campaign');
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const line of form.querySelectorAll('.field-error')) line.textContent = '';
  clearError($('new-campaign-error'));
}

/** Which control a server validation error is about (422 codes of POST /api/campaigns). */
function serverErrorTarget(err) {
  switch (err.code) {
    case 'invalid_title': return $('title');
    case 'invalid_description': return $('description');
    case 'invalid_amount': return /budget/.test(err.message) ? $('budget') : $('reward');
    case 'invalid_min_contributors': return $('min-contributors');
    case 'invalid_epsilon': return $('epsilon');
    case 'invalid_schema': {
      if (/statistic/.test(err.message)) return $('stats-box');
      if (/^regression/.test(err.message)) return $('regression-enabled').checked ? $('regression-features') : $('regression-box');
      // Schema messages name the field as field "x" or field name "x".
      const name = /field(?: name)? "((?:[^"\\]|\\.)*)"/.exec(err.message)?.[1];
      const row = name && [...$('schema-fields').children].find((r) => r.querySelector('.field-name').value.trim() === name);
      if (!row) return $('schema-box');
      const p = `field-${row.dataset.row}`;
      if (/categor/.test(err.message) && $(`${p}-categories`)) return $(`${p}-categories`);
      if (/range/.test(err.message) && $(`${p}-max`)) return $(`${p}-max`);
      if (/bit width/.test(err.message) && $(`${p}-bits`)) return $(`${p}-bits`);
      return $(`${p}-name`);
    }
    default: return null;
  }
}

$('new-campaign').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearFormErrors();
  const { errors, body } = readCampaign();
  if (errors.length) {
    refuseForm($('new-campaign-error'), errors, { mark: false });
    showFormErrors(errors);
    return;
  }
  const button = $('create-campaign');
  button.disabled = true;
  try {
    const view = await api('POST', '/api/campaigns', { body });
    resetCampaignForm();
    replaceCampaign(view);
    $('campaigns-status').textContent = `“${view.title}” (#${view.id}) was created as a draft. `
      + 'Use “Fund & submit for review” to move its budget into escrow and send it to review.';
    $(`campaign-title-${view.id}`)?.focus();
  } catch (err) {
    showError($('new-campaign-error'), err);
    const target = serverErrorTarget(err);
    if (target) showFormErrors([{ el: target, msg: err.message }]);
  } finally {
    button.disabled = false;
  }
});

function resetCampaignForm() {
  $('new-campaign').reset();
  $('schema-fields').replaceChildren();
  clearFormErrors();
  show($('regression-details'), false);
  refreshRegression();
  updateBudgetNote();
}

// --- start --------------------------------------------------------------------------

refreshRegression();
if (auth.current) afterSignIn();
