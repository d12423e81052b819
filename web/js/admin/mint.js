// @ts-check
// Minting tokens into a user's wallet (recorded in the audit log).

import {
  $, chars, sentence, clearError, invalid, clearInvalid, refuseForm, tooLong, positiveInt, tokens,
} from '../common.js';
import { showError, clearSection } from './page.js';

const MAX_MEMO = 500;

/** @typedef {ReturnType<typeof mintPanel>} MintPanel */

/** Reads a whole number ≥ 1 from an input, or adds [input, message] to `errors` and answers null. */
function readPositive(input, what, errors) {
  const v = positiveInt(input);
  if (v === null) errors.push([input, `${what} must be a whole number, 1 or more.`]);
  return v;
}

/** @param {import('./page.js').AdminPage} page */
export function mintPanel(page) {
  $('mint-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const alive = page.auth.lifetime.ticket();
    const userEl = $('mint-user');
    const amountEl = $('mint-amount');
    const memoEl = $('mint-memo');
    for (const el of [userEl, amountEl, memoEl]) clearInvalid(el);
    clearError($('mint-error'));
    $('mint-result').textContent = '';
    delete $('mint-result').dataset.transferId;

    const errors = [];
    const userId = readPositive(userEl, 'The user id', errors);
    const amount = readPositive(amountEl, 'The amount', errors);
    const memo = memoEl.value.trim();
    if (chars(memo) > MAX_MEMO) errors.push([memoEl, tooLong('memo', MAX_MEMO, memo)]);
    if (errors.length) {
      refuseForm($('mint-error'), errors);
      return;
    }

    /** @type {{user_id: number | null, amount: number | null, memo?: string}} */
    const body = { user_id: userId, amount };
    if (memo) body.memo = memo;
    const button = $('mint-submit');
    button.disabled = true;
    try {
      const resp = await page.pay('mint', '/api/admin/mint', body);
      if (!alive()) return;
      const transfer = resp?.transfer ?? resp;
      const who = page.panels.users.emailOf(userId);
      const result = $('mint-result');
      result.textContent = `Minted ${tokens(transfer?.amount ?? amount)} to ${who ? `${who} (#${userId})` : `user #${userId}`}`
        + (transfer?.id != null ? ` — transfer #${transfer.id}` : '')
        + (resp?.balance != null ? `; their balance is now ${tokens(resp.balance)}.` : '.');
      if (transfer?.id != null) result.dataset.transferId = String(transfer.id);
      result.dataset.amount = String(transfer?.amount ?? amount);
      // Clear the amount and memo so a second press does not mint again by accident.
      amountEl.value = '';
      memoEl.value = '';
      page.panels.audit.refresh();
    } catch (err) {
      if (!alive()) return;
      showError($('mint-error'), err, 'Minting failed: ');
      if (err.status === 404) invalid(userEl, sentence(err.message));
      else if (err.code === 'invalid_amount') invalid(amountEl, sentence(err.message));
      else if (err.code === 'invalid_memo') invalid(memoEl, sentence(err.message));
    } finally {
      button.disabled = false;
    }
  });

  /** Fills in user `id` (a user row's "Mint tokens…") and moves on to the amount. */
  function forUser(/** @type {number} */ id) {
    $('mint-user').value = String(id);
    clearInvalid($('mint-user'));
    $('mint-amount').focus();
  }

  /** Forgets the form at sign-out. */
  function reset() {
    clearSection({ statuses: ['mint-result'], errors: ['mint-error'] });
    delete $('mint-result').dataset.transferId;
    $('mint-form').reset();
    for (const el of $('mint-form').querySelectorAll('[aria-invalid]')) clearInvalid(el);
  }

  return { forUser, reset };
}
