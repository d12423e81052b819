// @ts-check
// The audit log: every administrator action, newest first.

import { $, h, emptyRow, fmtDate, wireRefresh } from '../common.js';
import { fill, clearList, clearSection } from './page.js';

/** @typedef {ReturnType<typeof auditPanel>} AuditPanel */

/** What the audit log's actions (free text in the API) read as. @type {Record<string, string>} */
const ACTION_TEXT = {
  approve_campaign: 'approved campaign',
  reject_campaign: 'rejected campaign',
  close_campaign: 'closed campaign',
  mint: 'minted tokens',
  suspend_user: 'suspended user',
  unsuspend_user: 'unsuspended user',
  unlock_user: 'unlocked user',
  suspend_campaign: 'suspended campaign',
  resume_campaign: 'resumed campaign',
  approve_withdrawal: 'approved withdrawal',
  reject_withdrawal: 'rejected withdrawal',
};

/** An audit entry's detail object as "key: value; …", leaving out empty values. */
function describeDetail(detail) {
  if (detail == null) return '—';
  if (typeof detail !== 'object') return String(detail);
  const parts = Object.entries(detail)
    .filter(([, v]) => v != null && v !== '')
    .map(([k, v]) => `${k.replaceAll('_', ' ')}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join('; ') : '—';
}

/** @param {import('./page.js').AdminPage} page */
export function auditPanel(page) {
  async function refreshAudit() {
    const table = $('audit-log');
    await page.loadInto(table, 'audit', $('audit-error'), '/api/admin/audit?limit=100', (entries) => {
      const rows = entries.map((e) => h('tr', { 'data-action': e.action, 'data-audit-id': e.id },
        h('td', { class: 'when' }, fmtDate(e.created_at)),
        h('td', {}, e.actor_email ?? (e.actor_id != null ? `user #${e.actor_id}` : 'system')),
        h('td', {}, ACTION_TEXT[e.action] ?? String(e.action).replaceAll('_', ' ')),
        h('td', {}, e.subject ?? '—'),
        h('td', { class: 'detail' }, describeDetail(e.detail))));
      if (!rows.length) rows.push(emptyRow(5, 'No administrator actions yet.'));
      fill(table, rows);
    });
  }

  wireRefresh($('refresh-audit'), refreshAudit);

  /** Forgets the log at sign-out. */
  function reset() {
    clearList($('audit-log'));
    clearSection({ errors: ['audit-error'] });
  }

  return { refresh: refreshAudit, reset };
}
