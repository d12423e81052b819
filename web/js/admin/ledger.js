// @ts-check
// The ledger audit: every balance matches its transfers, only the mint is
// negative, all balances add up to 0, and the unclaimed-rewards account
// holds exactly the rewards paid into notes less those claimed.

import { $, show, fmtInt } from '../common.js';
import { clearSection } from './page.js';

/** @typedef {ReturnType<typeof ledgerPanel>} LedgerPanel */

/** @param {import('./page.js').AdminPage} page */
export function ledgerPanel(page) {
  $('ledger-audit').addEventListener('click', async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    $('ledger-status').textContent = 'Auditing the ledger…';
    const ok = await page.load('ledger', $('ledger-error'), '/api/admin/ledger/audit', renderLedger);
    if (ok === false) $('ledger-status').textContent = '';
    button.disabled = false;
  });

  function renderLedger(a) {
    const mismatched = a.mismatched_accounts ?? [];
    const consistent = String(a.total) === '0' && Number(a.negative_accounts) === 0 && mismatched.length === 0
      && a.unclaimed_consistent !== false;
    const verdict = $('ledger-verdict');
    verdict.textContent = consistent ? 'consistent' : 'inconsistent';
    verdict.dataset.status = consistent ? 'consistent' : 'inconsistent';
    const set = (id, value, text = fmtInt(value)) => {
      $(id).textContent = text;
      $(id).dataset.value = String(value);
    };
    set('ledger-total', a.total, `${fmtInt(a.total)}${String(a.total) === '0' ? '' : ' (should be 0)'}`);
    set('ledger-negative', a.negative_accounts);
    set('ledger-mismatched', mismatched.length, mismatched.length
      ? `${fmtInt(mismatched.length)}: ${mismatched.map((m) => (typeof m === 'object' ? JSON.stringify(m) : `#${m}`)).join(', ')}`
      : '0');
    set('ledger-unclaimed', a.unclaimed, `${fmtInt(a.unclaimed)} (paid into notes ${fmtInt(a.notes_paid)}, claimed ${
      fmtInt(a.notes_claimed)})${a.unclaimed_consistent ? '' : ': does not add up'}`);
    const hasAccounts = a.accounts != null;
    show($('ledger-accounts-label'), hasAccounts);
    show($('ledger-accounts-value'), hasAccounts);
    if (hasAccounts) set('ledger-accounts', a.accounts);
    $('ledger-checked').textContent = `Checked ${new Date().toLocaleString()}.`;
    show($('ledger-result'));
    $('ledger-status').textContent = consistent
      ? 'Ledger audit: consistent; the balances add up to 0.'
      : 'Ledger audit: inconsistent; see the numbers below.';
  }

  /** Forgets the result at sign-out. */
  function reset() {
    clearSection({ statuses: ['ledger-status'], errors: ['ledger-error'], hidden: ['ledger-result'] });
  }

  return { reset };
}
