// @ts-check
// The buyer's campaigns, newest first: fund and submit a draft for review,
// open an approved one, buy reports of an open (or closed) one, show its
// reports, close it.

import {
  $, show, h, rowHead, statusBadge, fmtInt, tokens, clearError, invalid, clearInvalid, latest, STALE,
  CAMPAIGN_STATUS_TEXT,
} from '../common.js';
import { showError } from './page.js';
import { estimateView, typedWeights } from './estimate.js';

/** @typedef {import('../api-types').CampaignView} CampaignView */
/** @typedef {ReturnType<typeof campaignsPanel>} CampaignsPanel */

/** @param {import('./page.js').BuyerPage} page */
export function campaignsPanel(page) {
  const { api, pay } = page;
  /** @type {CampaignView[]} newest first */
  let campaigns = [];
  // Only the latest load is shown; a sign-out drops them all.
  const fetchCampaigns = latest(page.auth.lifetime, () => api('GET', '/api/campaigns?limit=200'));

  async function refreshCampaigns() {
    const list = await fetchCampaigns();
    if (list === STALE) return;
    campaigns = list.sort((a, b) => b.id - a.id);
    // Keep the ε each row's buyer typed across the re-render.
    const typed = new Map([.../** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('[data-report-epsilon]'))].map((i) => [i.dataset.reportEpsilon, i.value]));
    $('campaign-list').replaceChildren(...campaigns.map((c) => campaignRow(c, typed.get(String(c.id)))));
    show($('campaigns-empty'), campaigns.length === 0);
    page.panels.reports.retitle(campaigns);
  }

  /** Puts a changed campaign into the list (in place, or first when new). */
  function replaceCampaign(view) {
    const i = campaigns.findIndex((c) => c.id === view.id);
    if (i >= 0) campaigns[i] = view;
    else campaigns.unshift(view);
    const old = document.querySelector(`#campaign-list > [data-campaign-id="${view.id}"]`);
    const row = campaignRow(view, /** @type {HTMLInputElement | null} */ (old?.querySelector('[data-report-epsilon]'))?.value);
    if (old) old.replaceWith(row);
    else $('campaign-list').prepend(row);
    show($('campaigns-empty'), false);
    page.panels.reports.retitle([view]);
    return row;
  }

  function describeField(f) {
    if (f.type === 'categorical') return `${f.name} (${f.categories.join(' / ')})`;
    const range = f.range ? `, ${fmtInt(f.range.min)}–${fmtInt(f.range.max)}` : '';
    return `${f.name} (${f.bits}-bit${range})`;
  }

  /** @param {CampaignView} c @param {string} [typedEpsilon] */
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
      h('dt', {}, 'Privacy δ'), h('dd', { class: 'delta' }, c.delta ? c.delta.toExponential(2) : '0 (pure ε)'),
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
        button('estimate-report', 'Expected accuracy', (e) => runAction(c, e.currentTarget, showEstimate)),
        button('buy-report', 'Buy report', (e) => runAction(c, e.currentTarget, buyReport)),
        h('span', { id: `${epsId}-hint`, class: 'hint' },
          `Up to the campaign's ε = ${c.epsilon}; what a report spends is gone from the campaign's privacy budget. `
            + 'Buying shows the expected accuracy first.')));
      actions.push(button('show-reports', 'Show reports', () => page.panels.reports.select(id).then(() => $('reports-title').focus())));
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
      h('div', { id: `report-estimate-${id}`, class: 'estimate', hidden: true, 'aria-live': 'polite' }),
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
    await page.panels.wallet.refresh();
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
    await page.panels.wallet.refresh();
  }

  /** The ε typed in the row (undefined: the campaign's own), or null when invalid (marked). */
  function typedEpsilon(c) {
    const input = $(`report-epsilon-${c.id}`);
    clearInvalid(input);
    const text = input.value.trim();
    const eps = Number(text);
    if (input.validity.badInput || (text !== '' && !(Number.isFinite(eps) && eps > 0 && eps <= c.epsilon))) {
      invalid(input, `Enter an ε above 0 and at most ${c.epsilon}, or leave it empty for ${c.epsilon}.`);
      return null;
    }
    // Empty or the campaign's own ε: let the server use the campaign's ε.
    return text === '' || eps === c.epsilon ? undefined : eps;
  }

  /** Fetches and shows the expected accuracy at `eps` with `weights`; answers the estimate. */
  async function loadEstimate(c, eps, weights) {
    const params = new URLSearchParams();
    if (eps !== undefined) params.set('epsilon', String(eps));
    const named = Object.entries(weights).map(([k, w]) => `${k}:${w}`).join(',');
    if (named) params.set('weights', named);
    const query = params.size ? `?${params}` : '';
    const e = await api('GET', `/api/campaigns/${c.id}/reports/estimate${query}`);
    const box = $(`report-estimate-${c.id}`);
    if (!box) return e;
    box.replaceChildren(...estimateView(c.id, e, (button) => runAction(c, button, showEstimate)));
    box.dataset.epsilon = String(e.epsilon);
    box.dataset.count = String(e.count);
    box.dataset.warnings = String(e.warnings.length);
    show(box);
    return e;
  }

  async function showEstimate(c) {
    const eps = typedEpsilon(c);
    const weights = typedWeights(c.id, invalid);
    if (eps === null || weights === null) return;
    await loadEstimate(c, eps, weights);
  }

  async function buyReport(c) {
    const eps = typedEpsilon(c);
    const weights = typedWeights(c.id, invalid);
    if (eps === null || weights === null) return;
    // What the report would be worth, shown before paying; when the noise
    // would dominate a figure, a second, explicit click buys it anyway.
    const e = await loadEstimate(c, eps, weights);
    if (e.warnings.length) {
      const box = $(`report-estimate-${c.id}`);
      const confirmId = `confirm-report-${c.id}`;
      box.append(h('div', { class: 'confirm', role: 'alert' },
        h('p', {}, h('strong', {}, `The noise would dominate ${e.warnings.length} figure(s) of this report. `),
          `Buy it anyway for ${tokens(e.price)}?`),
        h('button', {
          type: 'button', id: confirmId,
          onclick: (ev) => runAction(c, ev.currentTarget, () => purchase(c, eps, weights)),
        }, 'Buy anyway'),
        ' ',
        h('button', { type: 'button', id: `cancel-report-${c.id}`, onclick: () => show(box, false) }, 'Cancel')));
      $(confirmId).focus();
      return;
    }
    await purchase(c, eps, weights);
  }

  async function purchase(c, eps, weights) {
    /** @type {{epsilon?: number, weights?: Record<string, number>}} */
    const body = eps === undefined ? {} : { epsilon: eps };
    if (Object.keys(weights).length) body.weights = weights;
    const view = await pay(`report:${c.id}`, `/api/campaigns/${c.id}/reports`, body);
    show($(`report-estimate-${c.id}`), false);
    $('campaigns-status').textContent = `Report #${view.id} of “${c.title}” was bought for ${tokens(view.price)}; it is being computed.`;
    await page.panels.reports.select(c.id, view);
    $('report-title').focus();
    page.panels.wallet.refresh().catch(() => {});
  }

  $('refresh-campaigns').addEventListener('click', async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    clearError($('campaigns-error'));
    try {
      await Promise.all([refreshCampaigns(), page.panels.wallet.refresh()]);
      $('campaigns-status').textContent = 'Campaigns refreshed.';
    } catch (err) {
      showError($('campaigns-error'), err);
    } finally {
      button.disabled = false;
    }
  });

  /** The campaign of the list with this id, if it is there. */
  const find = (/** @type {number} */ id) => campaigns.find((x) => x.id === id);

  /** Forgets the list at sign-out. */
  function reset() {
    campaigns = [];
    $('campaign-list').replaceChildren();
    $('campaigns-status').textContent = '';
  }

  return { refresh: refreshCampaigns, replace: replaceCampaign, find, reset };
}
