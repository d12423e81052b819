// @ts-check
// All campaigns (filtered by status): suspend with a reason the buyer sees,
// resume, close (with a confirmation; the escrow goes back to the buyer),
// and open a campaign's quality signals.

import { $, show, h, rowHead, statusBadge, tokens, CAMPAIGN_STATUS_TEXT } from '../common.js';
import { suspendForm, typedValues, filterQuery, rowFailed, refocus, clearList, clearSection } from './page.js';
import { campaignFacts, schemaView } from './campaign-view.js';

/** @typedef {import('../api-types').CampaignView} CampaignView */
/** @typedef {ReturnType<typeof campaignsPanel>} CampaignsPanel */

/** @param {import('./page.js').AdminPage} page */
export function campaignsPanel(page) {
  const { api, pay } = page;
  /** @type {CampaignView[]} of the campaign list (current filter), newest first */
  let campaigns = [];

  const refresh = page.listSection({
    name: 'campaigns',
    list: 'campaign-list',
    filter: 'campaign-status-filter',
    path: (status) => `/api/campaigns?limit=200${filterQuery('status', status)}`,
    typed: (list) => typedValues(list, '.campaign-suspend-reason', 'campaignId'),
    take: (/** @type {CampaignView[]} */ data) => (campaigns = data.sort((a, b) => b.id - a.id)),
    row: campaignRow,
    done: 'Campaigns refreshed.',
  });

  /**
   * Takes in a campaign that changed (approved, rejected, closed): updates the
   * campaign list (in place, inserted, or dropped when the filter no longer
   * matches), the review queue, and the quality panel's title.
   * @param {CampaignView} view
   */
  function apply(view) {
    const filter = $('campaign-status-filter').value;
    const list = $('campaign-list');
    const old = list.querySelector(`:scope > [data-campaign-id="${view.id}"]`);
    campaigns = campaigns.filter((c) => c.id !== view.id);
    if (!filter || view.status === filter) {
      campaigns.push(view);
      campaigns.sort((a, b) => b.id - a.id);
      const row = campaignRow(view);
      if (old) old.replaceWith(row);
      else {
        const next = [...list.children].find((li) => Number(li.dataset.campaignId) < view.id);
        list.insertBefore(row, next ?? null);
      }
    } else if (old) {
      old.remove();
    }
    show($('campaigns-empty'), campaigns.length === 0);
    if (view.status !== 'pending_review') page.panels.review.remove(view.id);
    page.panels.quality.retitle(view);
  }

  /** @param {CampaignView} c */
  function campaignRow(c, typedReason = '') {
    const id = c.id;
    const titleId = `campaign-title-${id}`;
    const notes = [];
    if (c.status === 'rejected') {
      notes.push(h('p', { class: 'review-reason' }, h('strong', {}, 'Rejected: '), c.review_reason || 'no reason recorded'));
    } else if (c.status === 'suspended') {
      notes.push(h('p', { class: 'review-reason suspension-reason' }, h('strong', {}, 'Suspended: '),
        c.review_reason || 'no reason recorded'));
    } else if (c.review_reason) {
      notes.push(h('p', { class: 'review-note' }, h('strong', {}, 'Review note: '), c.review_reason));
    }
    if (c.status === 'pending_review') {
      notes.push(h('p', { class: 'hint' }, 'Waiting for review: see ',
        h('a', { href: `#review-title-${id}` }, 'the review queue'), '.'));
    }

    const actions = [];
    if (['approved', 'open', 'suspended', 'closed'].includes(c.status)) {
      actions.push(h('button', {
        type: 'button', id: `quality-${id}`, 'aria-controls': 'quality', 'aria-describedby': titleId,
        onclick: () => { page.panels.quality.show(id); $('quality-title').focus(); },
      }, 'Quality signals'));
    }
    if (c.status === 'approved' || c.status === 'open') {
      actions.push(suspendForm({
        cls: 'campaign-suspend-form', label: `Suspend “${c.title}”`, reasonId: `suspend-campaign-reason-${id}`,
        reasonClass: 'campaign-suspend-reason', typed: typedReason, data: { 'data-campaign-id': id },
        buttonId: `suspend-campaign-${id}`, titleId, note: '(shown to the buyer)', onsubmit: () => suspendCampaign(c),
      }));
    } else if (c.status === 'suspended') {
      actions.push(h('button', {
        type: 'button', id: `resume-campaign-${id}`, 'aria-describedby': titleId,
        onclick: (e) => resumeCampaign(c, e.currentTarget),
      }, 'Resume (open again)'));
    }
    /** @type {any} */
    let confirmBox = null;
    if (c.status === 'approved' || c.status === 'open' || c.status === 'suspended') {
      const boxId = `close-box-${id}`;
      const closeButton = h('button', {
        type: 'button', id: `close-${id}`, 'aria-expanded': 'false', 'aria-controls': boxId, 'aria-describedby': titleId,
        onclick: () => {
          const open = confirmBox.hidden;
          show(confirmBox, open);
          closeButton.setAttribute('aria-expanded', String(open));
          if (open) $(`close-cancel-${id}`).focus();
        },
      }, 'Close campaign…');
      actions.push(closeButton);
      confirmBox = h('div', { id: boxId, class: 'confirm', role: 'group', 'aria-labelledby': `close-question-${id}`, hidden: true },
        h('p', { id: `close-question-${id}` }, `Close “${c.title}”? It stops accepting contributions and the remaining escrow `
          + `(${tokens(c.escrow_balance)}) goes back to buyer #${c.buyer_id}. This cannot be undone.`),
        h('div', { class: 'toolbar' },
          h('button', { type: 'button', id: `close-confirm-${id}`, onclick: (e) => closeCampaign(c, e.currentTarget) },
            'Close and refund escrow'),
          h('button', {
            type: 'button', id: `close-cancel-${id}`,
            onclick: () => {
              show(confirmBox, false);
              closeButton.setAttribute('aria-expanded', 'false');
              closeButton.focus();
            },
          }, 'Cancel')));
    }

    return h('li', { class: 'item', 'data-campaign-id': id, 'data-status': c.status, 'aria-labelledby': titleId },
      rowHead(titleId, c.title, id, statusBadge(c.status, CAMPAIGN_STATUS_TEXT)),
      campaignFacts(c),
      h('details', {}, h('summary', {}, 'Description and record fields'),
        c.description?.trim() ? h('p', { class: 'description' }, c.description) : null,
        schemaView(c)),
      notes,
      actions.length ? h('div', { class: 'actions' }, actions) : null,
      confirmBox,
      h('p', { id: `campaign-error-${id}`, class: 'error', role: 'alert' }));
  }

  /**
   * An action on a row of the campaign list (see AdminPage.buttonAction).
   * Failures go to the row, prefixed with `prefix` (at the top with
   * `topPrefix` when the row is gone), and focus back to the button.
   * @param {CampaignView} c
   * @param {any} button
   */
  function campaignAction(c, button, { prefix, topPrefix = `Campaign #${c.id}: ${prefix}`, ...action }) {
    const id = c.id;
    page.buttonAction('campaign', id, button, {
      ...action,
      status: $('campaigns-status'),
      heading: $('campaigns-heading'),
      failed: (err) => {
        rowFailed($(`campaign-error-${id}`), $('campaigns-error'), err, prefix, topPrefix);
        if (button.isConnected) refocus(button);
      },
    });
  }

  /** @param {CampaignView} c */
  function closeCampaign(c, button) {
    const id = c.id;
    campaignAction(c, button, {
      send: () => pay(`close:${id}`, `/api/campaigns/${id}/close`),
      done: ({ campaign, transfer }) => {
        apply(campaign);
        return `“${campaign.title}” (#${id}) is closed`
          + (transfer ? `; ${tokens(transfer.amount)} of escrow went back to buyer #${campaign.buyer_id}.` : '.');
      },
      prefix: 'Closing failed: ',
      topPrefix: `Closing campaign #${id} failed: `,
      scope: null,
    });
  }

  /** @param {CampaignView} c */
  function suspendCampaign(c) {
    const id = c.id;
    const reasonEl = $(`suspend-campaign-reason-${id}`);
    const button = $(`suspend-campaign-${id}`);
    if (!reasonEl || !button || button.disabled) return;
    campaignAction(c, button, {
      input: reasonEl,
      missing: 'Give a reason for suspending the campaign (its buyer sees it).',
      send: (reason) => api('POST', `/api/admin/campaigns/${id}/suspend`, { body: { reason } }),
      done: (view) => {
        apply(view);
        return `“${view.title}” (#${id}) is suspended: it takes no contributions until it is resumed.`;
      },
      prefix: 'Suspending failed: ',
    });
  }

  /** @param {CampaignView} c */
  function resumeCampaign(c, button) {
    const id = c.id;
    campaignAction(c, button, {
      send: () => api('POST', `/api/admin/campaigns/${id}/resume`, { body: {} }),
      done: (view) => {
        apply(view);
        return `“${view.title}” (#${id}) is ${CAMPAIGN_STATUS_TEXT[view.status] ?? view.status} again.`;
      },
      prefix: 'Resuming failed: ',
    });
  }

  /** The campaign of the list with this id, if it is there. */
  const find = (/** @type {number} */ id) => campaigns.find((x) => x.id === id);

  /** Forgets the list at sign-out. */
  function reset() {
    campaigns = [];
    clearList($('campaign-list'));
    clearSection({ statuses: ['campaigns-status'], errors: ['campaigns-error'], hidden: ['campaigns-empty'] });
  }

  return { refresh, apply, find, reset };
}
