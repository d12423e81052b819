// @ts-check
// Users (filtered by role, newest first): suspend with a reason, unsuspend,
// unlock after failed sign-ins, verify a contributor (with what was
// checked, kept in the audit log), and mint tokens for one.

import { $, h, rowHead, fmtDate } from '../common.js';
import {
  showError, suspendForm, typedValues, rowOf, filterQuery, clearList, clearSection,
} from './page.js';

/** @typedef {import('../api-types').Role} Role */
/** @typedef {ReturnType<typeof usersPanel>} UsersPanel */

/** @type {Record<Role, string>} */
export const ROLE_TEXT = { contributor: 'contributor', buyer: 'buyer', admin: 'administrator' };

/** @param {import('./page.js').AdminPage} page */
export function usersPanel(page) {
  const { api } = page;
  /** @type {any[]} users of the list (current filter), newest first */
  let users = [];

  const refresh = page.listSection({
    name: 'users',
    list: 'user-list',
    filter: 'user-role-filter',
    filterKey: 'role',
    path: (role) => `/api/admin/users?limit=200${filterQuery('role', role)}`,
    typed: (list) => typedValues(list, '.suspend-reason', 'userId'),
    take: (data) => (users = data),
    row: userRow,
    done: 'Users refreshed.',
  });

  function userRow(u, typedReason = '') {
    const id = u.id;
    const titleId = `user-title-${id}`;
    const suspended = u.suspended_at != null;
    const actions = [];
    if (suspended) {
      actions.push(h('button', {
        type: 'button', id: `unsuspend-${id}`, 'aria-describedby': titleId, onclick: (e) => unsuspendUser(u, e.currentTarget),
      },
        'Unsuspend'));
    } else if (u.role !== 'admin') {
      actions.push(suspendForm({
        cls: 'suspend-form', label: `Suspend ${u.email}`, reasonId: `suspend-reason-${id}`, reasonClass: 'suspend-reason',
        typed: typedReason, data: { 'data-user-id': id }, buttonId: `suspend-${id}`, titleId, onsubmit: () => suspendUser(u),
      }));
    } else {
      actions.push(h('p', { class: 'hint' }, 'Administrators cannot be suspended.'));
    }
    const locked = u.locked_at != null;
    if (locked) {
      actions.push(h('button', {
        type: 'button', id: `unlock-${id}`, 'aria-describedby': titleId, onclick: (e) => unlockUser(u, e.currentTarget),
      }, 'Unlock'));
    }
    const verified = u.verified_at != null;
    if (u.role === 'contributor' && !verified && !suspended) {
      actions.push(suspendForm({
        cls: 'verify-form', label: `Verify ${u.email}`, reasonId: `verify-reason-${id}`, reasonClass: 'verify-reason',
        typed: '', data: { 'data-user-id': id }, buttonId: `verify-${id}`, titleId, onsubmit: () => verifyUser(u),
        verb: 'Verify', reasonLabel: 'What was checked ',
      }));
    }
    actions.push(h('button', {
      type: 'button', id: `mint-for-${id}`, 'aria-describedby': titleId,
      onclick: () => {
        page.panels.mint.forUser(id);
      },
    }, 'Mint tokens…'));

    return h('li', {
      class: 'item user', 'data-user-id': id, 'data-suspended': String(suspended), 'data-role': u.role,
      'aria-labelledby': titleId,
    },
    rowHead(titleId, u.email, id, h('span', {},
      h('span', { class: 'badge', 'data-role': u.role }, ROLE_TEXT[u.role] ?? u.role),
      suspended ? [' ', h('span', { class: 'badge', 'data-status': 'suspended' }, 'suspended')] : null,
      locked ? [' ', h('span', { class: 'badge', 'data-status': 'locked' }, 'locked')] : null,
      u.verified_at != null ? [' ', h('span', { class: 'badge', 'data-status': 'verified' }, 'verified')] : null)),
    h('p', { class: 'meta hint' }, `Joined ${fmtDate(u.created_at)}`,
      suspended ? ` · suspended since ${fmtDate(u.suspended_at)}` : '',
      locked ? ` · locked after failed sign-ins since ${fmtDate(u.locked_at)}` : ''),
    h('div', { class: 'actions' }, actions),
    h('p', { id: `user-error-${id}`, class: 'error', role: 'alert' }));
  }

  /** Puts a changed user into the list in place. */
  function replaceUser(u) {
    users = users.map((x) => (x.id === u.id ? u : x));
    const old = rowOf($('user-list'), 'user-id', u.id);
    const row = userRow(u);
    if (old) old.replaceWith(row);
    return row;
  }

  /**
   * Suspends or unsuspends (`action`) a user from the row's `button` (see
   * buttonAction): the status line then says the user `doneText`; failures go
   * to the row, prefixed with `prefix`.
   */
  function userAction(u, button, action, { doneText, prefix, input = null, missing = null }) {
    const id = u.id;
    page.buttonAction('user', id, button, {
      input,
      missing,
      status: $('users-status'),
      send: (reason) => api('POST', `/api/admin/users/${id}/${action}`, { body: input ? { reason } : {} }),
      done: (user) => {
        replaceUser(user);
        return `${user.email} (#${id}) ${doneText}`;
      },
      failed: (err) => showError($(`user-error-${id}`), err, prefix),
    });
  }

  function suspendUser(u) {
    userAction(u, $(`suspend-${u.id}`), 'suspend', {
      input: $(`suspend-reason-${u.id}`),
      missing: 'Give a reason for the suspension (it is kept in the audit log).',
      doneText: 'is suspended.',
      prefix: 'Suspending failed: ',
    });
  }

  function unsuspendUser(u, button) {
    userAction(u, button, 'unsuspend', { doneText: 'is no longer suspended.', prefix: 'Unsuspending failed: ' });
  }

  function verifyUser(u) {
    userAction(u, $(`verify-${u.id}`), 'verify', {
      input: $(`verify-reason-${u.id}`),
      missing: 'Say what was checked (it is kept in the audit log).',
      doneText: 'is verified: it may contribute to campaigns for verified accounts.',
      prefix: 'Verifying failed: ',
    });
  }

  function unlockUser(u, button) {
    userAction(u, button, 'unlock', { doneText: 'is unlocked: it can sign in again.', prefix: 'Unlocking failed: ' });
  }

  /** The e-mail of user `id`, when the list holds it. */
  const emailOf = (/** @type {number} */ id) => users.find((u) => u.id === id)?.email;

  /** Forgets the list at sign-out. */
  function reset() {
    users = [];
    clearList($('user-list'));
    clearSection({ statuses: ['users-status'], errors: ['users-error'], hidden: ['users-empty'] });
  }

  return { refresh, emailOf, reset };
}
