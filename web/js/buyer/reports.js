// @ts-check
// The reports of the chosen campaign, newest first, and the one shown in
// detail: status, price, progress (polled while it runs) and, once released,
// its results (results.js).

import { $, show, h, fmtInt, tokens, fmtDate, clearError, latest, STALE } from '../common.js';
import { showError } from './page.js';

const POLL_MS = 1000;
/** Report states after which nothing changes any more. */
const FINISHED = new Set(['released', 'refused', 'failed']);

/** @typedef {import('../api-types').ReportView} ReportView */
/** @typedef {import('../api-types').CampaignView} CampaignView */
/** @typedef {import('../api-types').JobState} JobState */
/** @typedef {ReturnType<typeof reportsPanel>} ReportsPanel */

/** @type {Record<JobState, string>} */
const REPORT_STAGE_TEXT = {
  computing: 'computing on the encrypted contributions',
  reducing: 'combining the shards',
  aggregated: 'aggregated; waiting for the key holder',
  releasing: 'decrypting and adding noise at the key holder',
  released: 'released',
  refused: 'refused',
  failed: 'failed',
};

/** @param {import('./page.js').BuyerPage} page */
export function reportsPanel(page) {
  const { api } = page;
  /** @type {number | null} whose reports are shown */
  let selectedCampaignId = null;
  /** @type {any[]} ReportView[] of the selected campaign, newest first */
  let reports = [];
  /** @type {any} the ReportView shown in detail */
  let currentReport = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let pollTimer;
  // Only the latest load of a campaign's reports is shown; a sign-out drops them all.
  const fetchReports = latest(page.auth.lifetime, (_, /** @type {number} */ id) => api('GET', `/api/campaigns/${id}/reports`));

  /**
   * Shows the reports of a campaign; `report` (just bought) is shown at once,
   * otherwise the newest one.
   */
  async function selectCampaign(id, report = null) {
    const changed = selectedCampaignId !== id;
    selectedCampaignId = id;
    const c = page.panels.campaigns.find(id);
    $('reports-campaign').textContent = c ? c.title : `campaign #${id}`;
    show($('reports-section'));
    clearError($('reports-error'));
    if (changed) {
      reports = [];
      $('report-list').replaceChildren();
      currentReport = null;
      clearTimeout(pollTimer);
      page.panels.results.clear();
      show($('report'), false);
    }
    if (report) {
      reports = [report, ...reports.filter((r) => r.id !== report.id)];
      renderReportList();
      showReport(report);
    }
    try {
      const list = await fetchReports(id);
      if (list === STALE) return; // another campaign was chosen meanwhile, or a sign-out
      reports = list;
      // A report bought a moment ago is there too; keep the freshest view of the shown one.
      if (report && !reports.some((r) => r.id === report.id)) reports.unshift(report);
      if (currentReport) reports = reports.map((r) => (r.id === currentReport.id ? currentReport : r));
      renderReportList();
      if (!currentReport && reports.length) showReport(reports[0]);
    } catch (err) {
      showError($('reports-error'), err);
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
    if (isNew) page.panels.results.clear();

    const box = $('report');
    show(box);
    box.dataset.reportId = String(view.id);
    box.dataset.status = view.status;
    $('report-id').textContent = String(view.id);
    const status = $('report-status');
    status.textContent = view.status;
    status.dataset.status = view.status;
    $('report-epsilon').textContent = String(view.epsilon);
    $('report-mechanism').textContent = view.mechanism === 'discrete_gaussian'
      ? `discrete Gaussian (ρ = ${view.rho.toPrecision(3)}-zCDP, spending δ = ${view.delta.toExponential(2)})`
      : 'discrete Laplace (pure ε)';
    $('report-mechanism').dataset.mechanism = view.mechanism;
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
      if (!isNew && FINISHED.has(view.status)) page.panels.wallet.refresh().catch(() => {});
    }
    if (view.status === 'released') page.panels.results.load(view.id);
    else if (!FINISHED.has(view.status)) schedulePoll(view.id);
  }

  /** Polls GET /api/reports/{id} every second while it is the report shown and not finished. */
  function schedulePoll(id) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(async () => {
      if (!page.auth.current || currentReport?.id !== id) return;
      try {
        const view = await api('GET', `/api/reports/${id}`);
        if (page.auth.current && currentReport?.id === id) showReport(view); // schedules the next poll
      } catch (err) {
        if (!page.auth.current || currentReport?.id !== id) return;
        // Network trouble or a busy server: keep trying; anything else is final.
        const transient = err.status === 0 || err.status === 429 || err.status >= 500;
        showError($('report-error'), err, transient ? 'Could not refresh the report (retrying): ' : '');
        if (transient) schedulePoll(id);
      }
    }, POLL_MS);
  }

  /** Campaigns that changed: the section's title follows the one whose reports are shown. */
  function retitle(/** @type {CampaignView[]} */ changed) {
    const selected = changed.find((c) => c.id === selectedCampaignId);
    if (selected) $('reports-campaign').textContent = selected.title;
  }

  /** The report shown in detail, if any. */
  const current = () => currentReport;

  /** Forgets the reports at sign-out. */
  function reset() {
    clearTimeout(pollTimer);
    fetchReports.cancel();
    selectedCampaignId = null;
    reports = [];
    currentReport = null;
    $('report-list').replaceChildren();
    show($('report'), false);
    show($('reports-section'), false);
  }

  return { select: selectCampaign, retitle, current, reset };
}
