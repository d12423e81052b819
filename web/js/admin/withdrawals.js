// @ts-check
// Withdrawals (filtered by status, pending first): approve (paid out) or
// reject with a reason the requester sees (the tokens go back to the wallet).

import { $, h, rowHead, statusBadge, fmtInt, tokens, fmtDate } from '../common.js';
import {
  MAX_REASON, DECISION_FAILED, Decisions, rejectForm, rowOf, removeRow, showCount, focusLostOrIn, refocus, typedValues,
  filterQuery, factList, reasonRefused, rowFailed, clearList, clearSection,
} from './page.js';

/** @typedef {import('../api-types').WithdrawalStatus} WithdrawalStatus */
/** @typedef {ReturnType<typeof withdrawalsPanel>} WithdrawalsPanel */

/** @type {Record<WithdrawalStatus, string>} */
const WITHDRAWAL_STATUS_TEXT = { pending: 'pending', approved: 'approved (paid out)', rejected: 'rejected (returned)' };

/** @param {import('./page.js').AdminPage} page */
export function withdrawalsPanel(page) {
  const { api } = page;
  /** @type {any[]} admin withdrawal views (with email) of the list (current filter), newest first */
  let withdrawals = [];
  const payouts = new Decisions(page.auth, 'withdrawal-list', 'withdrawal-id', {
    approve: { prefix: 'approve-withdrawal', idle: 'Approve and pay out', busy: 'Approving…' },
    reject: { prefix: 'reject-withdrawal', idle: 'Reject and return tokens', busy: 'Rejecting…' },
  });

  const refresh = page.listSection({
    name: 'withdrawals',
    list: 'withdrawal-list',
    filter: 'withdrawal-status-filter',
    path: (status) => `/api/admin/withdrawals${filterQuery('status', status, '?')}`,
    // Keep what the admin typed into rejection reasons across the re-render.
    typed: (list) => typedValues(list, '.reject-withdrawal-reason', 'withdrawalId'),
    take: (data) => (withdrawals = [.../** @type {any[]} */ (data)].sort((a, b) => b.id - a.id)),
    row: withdrawalRow,
    count: 'withdrawal-count',
    done: 'Withdrawals refreshed.',
  });

  function withdrawalRow(w, typedReason = '') {
    const id = w.id;
    const titleId = `withdrawal-title-${id}`;
    const facts = [
      ['Requested by', [h('span', { class: 'withdrawal-email' }, w.email ?? `user #${w.user_id}`), ' ',
        h('span', { class: 'muted' }, `(user #${w.user_id})`)]],
      ['Amount', h('span', { class: 'withdrawal-amount', 'data-amount': w.amount }, tokens(w.amount))],
      ['Address', h('code', { class: 'withdrawal-address' }, w.address)],
      ['Requested', fmtDate(w.created_at)],
    ];
    if (w.status !== 'pending') {
      facts.push(['Decided', `${fmtDate(w.decided_at)}${w.decided_by != null ? ` by administrator #${w.decided_by}` : ''}`]);
    }
    if (w.status === 'rejected') facts.push(['Reason', h('span', { class: 'withdrawal-reason' }, w.reason || 'no reason recorded')]);
    facts.push(['Ledger transfers', `hold #${w.hold_transfer_id}`
      + (w.settle_transfer_id != null ? `, ${w.status === 'approved' ? 'payout' : 'refund'} #${w.settle_transfer_id}` : '')]);

    let forms = null;
    if (w.status === 'pending') {
      forms = h('div', { class: 'withdrawal-forms' },
        h('div', {}, payouts.button('approve', id, { type: 'button', 'aria-describedby': titleId, onclick: () => approveWithdrawal(w) })),
        rejectForm({
          cls: 'reject-withdrawal-form', label: `Reject withdrawal #${id}`, reasonId: `reject-withdrawal-reason-${id}`,
          reasonAttrs: { class: 'reject-withdrawal-reason', rows: 2, 'data-withdrawal-id': id }, typed: typedReason,
          hint: `Shown to the requester; up to ${fmtInt(MAX_REASON)} characters. The ${tokens(w.amount)} go back to their wallet.`,
          button: payouts.button('reject', id, { type: 'submit', 'aria-describedby': titleId }),
          onsubmit: () => rejectWithdrawal(w),
        }));
    }

    return h('li', {
      class: 'item withdrawal', 'data-withdrawal-id': id, 'data-status': w.status, 'aria-labelledby': titleId,
      'aria-busy': payouts.running.has(id) ? 'true' : null,
    },
    rowHead(titleId, `Withdrawal #${id}: ${tokens(w.amount)}`, null, statusBadge(w.status, WITHDRAWAL_STATUS_TEXT)),
    factList(facts),
    forms,
    h('p', { id: `withdrawal-result-${id}`, class: 'status ok' }),
    h('p', { id: `withdrawal-error-${id}`, class: 'error', role: 'alert' }));
  }

  /**
   * Takes in a decided withdrawal: its row is updated in place (with the
   * result under it) while the filter still matches, or leaves the list (the
   * pending queue) with focus moving to the next row. The section's status line
   * announces the result either way.
   */
  function applyWithdrawal(view, message) {
    const old = withdrawals.find((x) => x.id === view.id);
    const w = { email: old?.email, ...view };
    const filter = $('withdrawal-status-filter').value;
    const row = rowOf($('withdrawal-list'), 'withdrawal-id', w.id);
    $('withdrawals-status').textContent = message;
    if (!filter || w.status === filter) {
      withdrawals = withdrawals.map((x) => (x.id === w.id ? w : x));
      if (row) {
        const hadFocus = focusLostOrIn(row);
        row.replaceWith(withdrawalRow(w));
        $(`withdrawal-result-${w.id}`).textContent = message;
        if (hadFocus) $(`withdrawal-title-${w.id}`).focus();
      }
    } else {
      withdrawals = withdrawals.filter((x) => x.id !== w.id);
      if (row) removeRow(row, (next) => $(`withdrawal-title-${next.dataset.withdrawalId}`), $('withdrawals-heading'));
    }
    showCount('withdrawals', $('withdrawal-list'), 'withdrawal-count');
  }

  /**
   * Approves or rejects (`what`) a pending withdrawal: a rowAction with the
   * row busy meanwhile; `done(view)` answers the message that announces the
   * decision. Failures go to the row (or the top when the row is gone), and
   * focus back to the button.
   */
  function withdrawalAction(w, what, { done, ...action }) {
    const id = w.id;
    if (!payouts.canStart(id)) return;
    page.rowAction({
      ...action,
      errorBox: $(`withdrawal-error-${id}`),
      status: $('withdrawals-status'),
      lock: () => payouts.set(id, what),
      unlock: () => payouts.set(id, null),
      done: (view) => {
        payouts.running.delete(id);
        applyWithdrawal(view, done(view));
      },
      failed: (err) => {
        if (reasonRefused(err, action.input)) return;
        const prefix = DECISION_FAILED[what];
        rowFailed($(`withdrawal-error-${id}`), $('withdrawals-error'), err, prefix, `Withdrawal #${id}: ${prefix}`);
        const button = payouts.buttonOf(what, id);
        if (button) refocus(button, button);
      },
    });
  }

  function approveWithdrawal(w) {
    const id = w.id;
    withdrawalAction(w, 'approve', {
      clear: [$(`reject-withdrawal-reason-${id}`)],
      send: () => api('POST', `/api/admin/withdrawals/${id}/approve`, { body: {} }),
      done: (view) => `Withdrawal #${id} approved: ${tokens(view.amount)} paid out to ${view.address}`
        + (view.settle_transfer_id != null ? ` (transfer #${view.settle_transfer_id}).` : '.'),
    });
  }

  function rejectWithdrawal(w) {
    const id = w.id;
    withdrawalAction(w, 'reject', {
      input: $(`reject-withdrawal-reason-${id}`),
      missing: 'Give the requester a reason for the rejection.',
      send: (reason) => api('POST', `/api/admin/withdrawals/${id}/reject`, { body: { reason } }),
      done: (view) => {
        const who = w.email ? `${w.email}'s` : `user #${w.user_id}'s`;
        return `Withdrawal #${id} rejected: ${tokens(view.amount)} went back to ${who} wallet.`;
      },
    });
  }

  /** Forgets the list at sign-out; the next session starts at the pending queue. */
  function reset() {
    withdrawals = [];
    payouts.running.clear();
    clearList($('withdrawal-list'));
    clearSection({
      statuses: ['withdrawals-status', 'withdrawal-count'], errors: ['withdrawals-error'], hidden: ['withdrawals-empty'],
    });
    $('withdrawal-status-filter').value = 'pending';
  }

  return { refresh, reset };
}
