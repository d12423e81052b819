// @ts-check
// The key holder's own log of every decryption asked of it, newest first.

import { $, h, emptyRow, fmtInt, fmtDate, wireRefresh } from '../common.js';
import { fill, clearList, clearSection } from './page.js';

/** @typedef {ReturnType<typeof decryptionsPanel>} DecryptionsPanel */

const epsFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 6, useGrouping: false });

/** ε from the key holder's micro-units (1,000,000 = ε 1), as a decimal. */
function fmtEps(micro) {
  if (micro == null) return '—';
  const n = Number(micro);
  return Number.isFinite(n) ? epsFormat.format(n / 1e6) : String(micro);
}

/** Any JSON value as short text for a table cell. */
function plain(v) {
  if (v == null || v === '') return '—';
  if (Array.isArray(v)) return v.length ? v.map(plain).join(', ') : '—';
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'number') return fmtInt(v);
  return String(v);
}

/** @param {import('./page.js').AdminPage} page */
export function decryptionsPanel(page) {
  async function refreshDecryptions() {
    const table = $('decryptions');
    const ok = await page.loadInto(table, 'decryptions', $('decryptions-error'), '/api/admin/decryptions', (entries) => {
      const rows = entries.map((d) => h('tr', { 'data-outcome': d.outcome, 'data-campaign-id': d.campaign ?? null },
        h('td', { class: 'when' }, fmtDate(d.at)),
        h('td', {}, d.campaign != null ? `#${d.campaign}` : '—'),
        h('td', {}, d.job != null ? String(d.job) : '—'),
        h('td', {}, typeof d.requested_by === 'number' ? `user #${d.requested_by}` : plain(d.requested_by)),
        h('td', {}, plain(d.caller)),
        h('td', {}, plain(d.statistics)),
        h('td', { class: 'num' }, fmtInt(d.records)),
        h('td', { class: 'num', 'data-epsilon': d.epsilon_micro != null ? Number(d.epsilon_micro) / 1e6 : null }, fmtEps(d.epsilon_micro)),
        h('td', {}, h('span', { class: 'badge', 'data-status': d.outcome }, d.outcome)),
        h('td', { class: 'detail' }, d.reason || '—')));
      if (!rows.length) rows.push(emptyRow(10, 'The key holder has not been asked to decrypt anything yet.'));
      fill(table, rows);
    });
    // The key holder may be down: its rows would be stale, so drop them; the message says why.
    if (ok === false) {
      table.tBodies[0].replaceChildren(emptyRow(10, 'Not available right now; use “Refresh” to try again.'));
      table.dataset.loaded = 'error';
    }
  }

  wireRefresh($('refresh-decryptions'), refreshDecryptions);

  /** Forgets the log at sign-out. */
  function reset() {
    clearList($('decryptions'));
    clearSection({ errors: ['decryptions-error'] });
  }

  return { refresh: refreshDecryptions, reset };
}
