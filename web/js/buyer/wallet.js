// @ts-check
// The wallet under the session: the balance and the recent transfers.

import { $, h, emptyRow, fmtInt, fmtDate, latest, STALE } from '../common.js';

/** @typedef {import('../api-types').WalletView} WalletView */
/** @typedef {ReturnType<typeof walletPanel>} WalletPanel */

/** @param {import('./page.js').BuyerPage} page */
export function walletPanel(page) {
  const { api } = page;
  /** @type {WalletView | null} */
  let wallet = null;
  // Only the latest load is shown; a sign-out drops them all.
  const fetchWallet = latest(page.auth.lifetime, () => api('GET', '/api/wallet?limit=10'));

  async function refreshWallet() {
    const loaded = await fetchWallet();
    if (loaded === STALE) return;
    wallet = loaded;
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

  /** Forgets the wallet at sign-out. */
  function reset() {
    wallet = null;
    $('balance').textContent = '…';
    $('balance').dataset.value = '';
  }

  return { refresh: refreshWallet, reset };
}
