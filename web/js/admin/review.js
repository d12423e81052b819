// @ts-check
// The review queue: campaigns waiting for review, oldest first; approve with
// an optional note (the key holder makes the campaign's keys) or reject with
// a reason (the escrow goes back to the buyer).

import {
  $, h, rowHead, statusBadge, errorLine, fmtInt, tokens, sentence, invalid, CAMPAIGN_STATUS_TEXT,
} from '../common.js';
import {
  MAX_REASON, DECISION_FAILED, Decisions, form, inlineHint, reasonInput, rejectForm, rowOf, removeRow, showCount,
  refocus, showError, clearList, clearSection,
} from './page.js';
import { campaignFacts, schemaView } from './campaign-view.js';

/** @typedef {import('../api-types').CampaignView} CampaignView */
/** @typedef {ReturnType<typeof reviewPanel>} ReviewPanel */

/** @param {import('./page.js').AdminPage} page */
export function reviewPanel(page) {
  const { api, pay } = page;
  /** @type {CampaignView[]} pending review, oldest first */
  let queue = [];
  const reviews = new Decisions(page.auth, 'review-queue', 'campaign-id', {
    approve: { prefix: 'approve', idle: 'Approve', busy: 'Approving…' },
    reject: { prefix: 'reject', idle: 'Reject and refund', busy: 'Rejecting…' },
  });

  const refresh = page.listSection({
    name: 'review',
    list: 'review-queue',
    path: () => '/api/campaigns?status=pending_review&limit=200',
    // Keep what the admin typed into notes and reasons across the re-render.
    typed: (list) => new Map([...list.children].map((li) => [li.dataset.campaignId, {
      note: li.querySelector('.approve-note')?.value,
      reason: li.querySelector('.reject-reason')?.value,
    }])),
    take: (/** @type {CampaignView[]} */ data) => (queue = data.filter((c) => c.status === 'pending_review')
      .sort((a, b) => a.id - b.id)),
    row: reviewRow,
    count: 'review-count',
    done: 'Review queue refreshed.',
  });

  /** @param {CampaignView} c */
  function reviewRow(c, typed = {}) {
    const id = c.id;
    const noteId = `approve-note-${id}`;
    const titleId = `review-title-${id}`;

    const approveForm = form({ class: 'approve-form', 'aria-label': `Approve “${c.title}”` }, () => approveCampaign(c),
      h('label', { for: noteId }, 'Approval note ', inlineHint('(optional)')),
      reasonInput(noteId, 'approve-note', typed.note),
      errorLine(noteId),
      h('div', {}, reviews.button('approve', id, { type: 'submit', 'aria-describedby': titleId })));

    const rejectReview = rejectForm({
      cls: 'reject-form', label: `Reject “${c.title}”`, reasonId: `reject-reason-${id}`,
      reasonAttrs: { class: 'reject-reason', rows: 3 }, typed: typed.reason,
      hint: `Shown to the buyer; up to ${fmtInt(MAX_REASON)} characters. Their escrow (${tokens(c.escrow_balance)}) is refunded.`,
      button: reviews.button('reject', id, { type: 'submit', 'aria-describedby': titleId }),
      onsubmit: () => rejectCampaign(c),
    });

    return h('li', {
      class: 'item', 'data-campaign-id': id, 'data-status': c.status, 'aria-labelledby': titleId,
      'aria-busy': reviews.running.has(id) ? 'true' : null,
    },
    rowHead(titleId, c.title, id, statusBadge(c.status, CAMPAIGN_STATUS_TEXT, 'badge')),
    c.description?.trim()
      ? h('p', { class: 'description' }, c.description)
      : h('p', { class: 'description muted' }, 'No description.'),
    campaignFacts(c, { review: true }),
    h('h4', {}, 'Record fields'),
    schemaView(c),
    h('div', { class: 'review-forms' }, approveForm, rejectReview),
    h('p', { id: `review-error-${id}`, class: 'error', role: 'alert' }));
  }

  /** Takes a campaign out of the queue; focus moves to the next one when it was in the row. */
  function remove(id) {
    queue = queue.filter((c) => c.id !== id);
    const row = rowOf($('review-queue'), 'campaign-id', id);
    if (!row) return;
    removeRow(row, (next) => $(`review-title-${next.dataset.campaignId}`), $('review-heading'));
    showCount('review', $('review-queue'), 'review-count');
  }

  /**
   * Approves or rejects (`what`) a campaign of the review queue: a rowAction
   * with the row busy meanwhile, `pending` in #review-status, and there the
   * message `done(answer)` answers. A refusal because the campaign moved on
   * (another admin, a stale page) is said at the top, and the lists reload;
   * other failures go to the row, and focus back to the button. A refused
   * reason is marked at its control (a refused note is also told in the row).
   */
  function reviewAction(c, what, { pending, done, ...action }) {
    const id = c.id;
    if (!reviews.canStart(id)) return;
    const errorBox = $(`review-error-${id}`);
    page.rowAction({
      ...action,
      errorBox,
      lock: () => {
        reviews.set(id, what);
        $('review-status').textContent = pending;
      },
      unlock: () => {
        reviews.set(id, null);
        $('review-status').textContent = '';
      },
      done: (answer) => {
        reviews.running.delete(id);
        $('review-status').textContent = done(answer);
      },
      failed: (err) => {
        if (err.code === 'invalid_state' || err.status === 404) {
          showError($('review-error'), err);
          refresh();
          page.panels.campaigns.refresh();
          return;
        }
        const refused = err.code === 'invalid_reason';
        if (refused) invalid(action.input, sentence(err.message));
        if (refused && what === 'reject') return;
        showError(errorBox, err, DECISION_FAILED[what]);
        refocus(reviews.buttonOf(what, id), reviews.buttonOf(what, id));
      },
    });
  }

  /** @param {CampaignView} c */
  function approveCampaign(c) {
    const id = c.id;
    reviewAction(c, 'approve', {
      input: $(`approve-note-${id}`),
      what: 'note',
      pending: `Approving “${c.title}” (#${id}): the key holder is generating the campaign's keys; `
        + 'this can take a minute or two.',
      send: (note) => api('POST', `/api/admin/campaigns/${id}/approve`, { body: note ? { note } : {} }),
      done: (view) => {
        page.panels.campaigns.apply(view);
        return `“${view.title}” (#${id}) was approved; its buyer can now open it for contributions.`;
      },
    });
  }

  /** @param {CampaignView} c */
  function rejectCampaign(c) {
    const id = c.id;
    reviewAction(c, 'reject', {
      input: $(`reject-reason-${id}`),
      missing: 'Give the buyer a reason for the rejection.',
      pending: `Rejecting “${c.title}” (#${id})…`,
      send: (reason) => pay(`reject:${id}`, `/api/admin/campaigns/${id}/reject`, { reason }),
      done: ({ campaign, transfer }) => {
        page.panels.campaigns.apply(campaign);
        return `“${campaign.title}” (#${id}) was rejected; `
          + (transfer ? `${tokens(transfer.amount)} of escrow went back to buyer #${campaign.buyer_id}.` : 'there was no escrow to refund.');
      },
    });
  }

  /** Forgets the queue at sign-out. */
  function reset() {
    queue = [];
    reviews.running.clear();
    clearList($('review-queue'));
    clearSection({ statuses: ['review-status', 'review-count'], errors: ['review-error'], hidden: ['review-empty'] });
  }

  return { refresh, remove, reset };
}
