// @ts-check
// What the panels of the admin page share: the page object (the session, the
// API, the panels, section loads where only the latest answer is shown),
// row actions with their forms and focus handling, and list sections.

import {
  $, show, h, errorLine, chars, sentence, errorText, clearError, invalid, clearInvalid, tooLong, latest, STALE,
  wireRefresh,
} from '../common.js';

/** @typedef {import('../common.js').StaffSession} StaffSession */

export const MAX_REASON = 2000;

/** A plain-language lead for the error codes an admin can act on; the server's message follows it. */
const ERROR_LEAD = {
  keyholder_unavailable: 'The key holder could not be reached.',
  invalid_state: 'Not possible in its current state (use "Refresh").',
  cannot_suspend_admin: 'Administrators cannot be suspended.',
  not_locked: 'This account is not locked.',
  invalid_reason: 'Invalid reason.',
  invalid_amount: 'Invalid amount.',
  invalid_memo: 'Invalid memo.',
  too_many_attempts: 'Too many failed sign-ins from your address; wait and retry.',
  rate_limited: 'Too many requests from your address; wait and retry.',
  account_locked: 'This account is locked after many failed sign-ins; an administrator can unlock it.',
  account_suspended: 'This account is suspended.',
  idempotency_key_reused: 'This action was already sent with different details; try again.',
  forbidden: 'Only administrators may do this.',
};

export const { showError } = errorText(ERROR_LEAD);

/** The start of the message when an approval or a rejection failed. */
export const DECISION_FAILED = { approve: 'Approval failed: ', reject: 'Rejection failed: ' };

/**
 * The panels of the page, each made by its module's factory from the page
 * object (see main.js). A panel reaches another one through `page.panels`
 * when it acts, never while it is made.
 * @typedef {object} Panels
 * @property {import('./review.js').ReviewPanel} review
 * @property {import('./campaigns.js').CampaignsPanel} campaigns
 * @property {import('./quality.js').QualityPanel} quality
 * @property {import('./withdrawals.js').WithdrawalsPanel} withdrawals
 * @property {import('./users.js').UsersPanel} users
 * @property {import('./mint.js').MintPanel} mint
 * @property {import('./ledger.js').LedgerPanel} ledger
 * @property {import('./audit.js').AuditPanel} audit
 * @property {import('./decryptions.js').DecryptionsPanel} decryptions
 */

// --- focus and rows ---------------------------------------------------------------------

/** Whether focus is lost (on the body, or nowhere) or inside `el`. */
export function focusLostOrIn(el) {
  const active = document.activeElement;
  return !active || active === document.body || el.contains(active);
}

/** Moves focus to `el` when focus was lost (on the body) or inside `scope` (which is going away). */
export function refocus(el, scope = null) {
  const active = document.activeElement;
  if (!el) return;
  if (!active || active === document.body || (scope && (scope === active || scope.contains(active)))
    || !active.isConnected) {
    el.focus();
  }
}

/** The item of `list` for one id: `attr` is the data attribute naming it (campaign-id, withdrawal-id, user-id). */
export function rowOf(list, attr, id) {
  return list.querySelector(`:scope > [data-${attr}="${id}"]`);
}

/** What the admin typed into the controls matching `selector` in `list`, by their `key` data attribute. */
export function typedValues(list, selector, key) {
  return new Map([...list.querySelectorAll(selector)].map((i) => [i.dataset[key], i.value]));
}

/** A description list of [term, description] pairs. */
export function factList(items) {
  return h('dl', {}, items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** Replaces a list's items (or a table's rows) and marks it loaded. */
export function fill(el, rows) {
  (el.tBodies?.[0] ?? el).replaceChildren(...rows);
  el.dataset.loaded = 'true';
}

/** Empties a list (or a table's rows) at sign-out: no longer loaded, nor busy. */
export function clearList(el) {
  (el.tBodies?.[0] ?? el).replaceChildren();
  delete el.dataset.loaded;
  el.removeAttribute('aria-busy');
}

/** Removes a list row; focus, when it was lost or in the row, moves to the next row's title (`titleOf`), else to `fallback`. */
export function removeRow(row, titleOf, fallback) {
  const hadFocus = focusLostOrIn(row);
  const next = row.nextElementSibling ?? row.previousElementSibling;
  row.remove();
  if (hadFocus) (next ? titleOf(next) : fallback).focus();
}

/** Shows how many items `list` of section `name` holds: in #<count> as "(n)" (when given), and #<name>-empty when none. */
export function showCount(name, list, count = null) {
  const n = list.children.length;
  if (count) $(count).textContent = `(${n})`;
  show($(`${name}-empty`), n === 0);
}

/** A query parameter for a filter's value: `&key=value` (`?` first), or nothing when it is empty. */
export function filterQuery(key, value, first = '&') {
  return value ? `${first}${key}=${encodeURIComponent(value)}` : '';
}

// --- row forms ----------------------------------------------------------------------------

/** A form that does not submit itself: `onsubmit()` runs instead. */
export function form(attrs, onsubmit, ...children) {
  return h('form', { ...attrs, novalidate: true, onsubmit: (e) => { e.preventDefault(); onsubmit(); } }, ...children);
}

/** A hint inside a label: "(optional)", "(required)". */
export function inlineHint(text) {
  return h('span', { class: 'hint inline' }, text);
}

/** A one-line reason (or note) input holding `value`, described by its error line. */
export function reasonInput(id, cls, value, attrs = {}) {
  return h('input', {
    id, class: cls, type: 'text', maxlength: MAX_REASON, autocomplete: 'off', value: value ?? '', ...attrs,
    'aria-describedby': `${id}-error`,
  });
}

/** The inline form suspending a campaign or a user with a reason (`note`: a hint after the label). */
export function suspendForm({
  cls, label, reasonId, reasonClass, typed, data, buttonId, titleId, note = null, onsubmit,
  verb = 'Suspend', reasonLabel = 'Reason for suspending ',
}) {
  return form({ class: `inline-form ${cls}`, 'aria-label': label }, onsubmit,
    h('label', { for: reasonId }, note ? [reasonLabel, inlineHint(note)] : reasonLabel.trim()),
    reasonInput(reasonId, reasonClass, typed, data),
    h('button', { type: 'submit', id: buttonId, 'aria-describedby': titleId }, verb),
    errorLine(reasonId));
}

/**
 * The form rejecting a review or withdrawal row with a required reason: the
 * textarea (holding `typed`), its hint and error line, and `button`.
 */
export function rejectForm({ cls, label, reasonId, reasonAttrs, typed, hint, button, onsubmit }) {
  const reason = h('textarea', {
    id: reasonId, maxlength: MAX_REASON, ...reasonAttrs, 'aria-describedby': `${reasonId}-hint ${reasonId}-error`,
  });
  reason.value = typed ?? '';
  return form({ class: cls, 'aria-label': label }, onsubmit,
    h('label', { for: reasonId }, 'Reason for rejecting ', inlineHint('(required)')),
    reason,
    h('span', { id: `${reasonId}-hint`, class: 'hint' }, hint),
    errorLine(reasonId),
    h('div', {}, button));
}

/**
 * The approve / reject buttons of the rows of one list (the review queue,
 * the withdrawals) and the rows whose decision is under way (id → 'approve'
 * | 'reject'): meanwhile the row is aria-busy and both its buttons are
 * disabled, the running one saying so.
 */
export class Decisions {
  /**
   * `buttons`: per action, the button's id prefix and its idle and busy texts.
   * @param {StaffSession} auth
   * @param {string} listId
   * @param {string} attr
   * @param {Record<string, {prefix: string, idle: string, busy: string}>} buttons
   */
  constructor(auth, listId, attr, buttons) {
    /** @type {Map<number, string>} */
    this.running = new Map();
    this.auth = auth;
    this.listId = listId;
    this.attr = attr;
    this.buttons = buttons;
  }

  /** Whether a decision on row `id` may start now. */
  canStart(id) {
    return !this.running.has(id) && this.auth.current != null;
  }

  /** Row `id`'s button for `action` (with `attrs`), disabled while a decision runs. */
  button(action, id, attrs) {
    const busy = this.running.get(id);
    const b = this.buttons[action];
    return h('button', { ...attrs, id: `${b.prefix}-${id}`, disabled: !!busy }, busy === action ? b.busy : b.idle);
  }

  /** Row `id`'s button for `action`, if it is on the page. */
  buttonOf(action, id) {
    return $(`${this.buttons[action].prefix}-${id}`);
  }

  /** Marks row `id` busy with `what` (or, with null, no longer busy) and updates its buttons. */
  set(id, what) {
    if (what) this.running.set(id, what);
    else this.running.delete(id);
    const row = rowOf($(this.listId), this.attr, id);
    if (!row) return;
    if (what) row.setAttribute('aria-busy', 'true');
    else row.removeAttribute('aria-busy');
    for (const [action, b] of Object.entries(this.buttons)) {
      const button = this.buttonOf(action, id);
      if (!button) continue;
      button.disabled = !!what;
      button.textContent = what === action ? b.busy : b.idle;
    }
  }
}

/**
 * Reads a reason (or a note: `what`) from a control: trimmed, at most
 * MAX_REASON characters, and required when `missing` (the message for an
 * empty one) is given. Marks the control and answers null when it is not valid.
 */
function readReason(el, missing = null, what = 'reason') {
  const text = el.value.trim();
  if (!text && missing) {
    invalid(el, missing);
    return null;
  }
  if (chars(text) > MAX_REASON) {
    invalid(el, tooLong(what, MAX_REASON, text));
    return null;
  }
  return text;
}

/** rowAction's lock and unlock for an action with one button (enabled again only while it is on the page). */
function byButton(button) {
  return {
    lock: () => { button.disabled = true; },
    unlock: () => { if (button.isConnected) button.disabled = false; },
  };
}

/** A refused reason: marks `input` (while it is on the page) with the server's message; answers whether it did. */
export function reasonRefused(err, input) {
  if (err.code !== 'invalid_reason' || !input?.isConnected) return false;
  invalid(input, sentence(err.message));
  return true;
}

/** A failed row action: the error goes to the row's box, or (the row is gone) to the section's with `topPrefix`. */
export function rowFailed(rowBox, topBox, err, prefix, topPrefix) {
  if (rowBox) showError(rowBox, err, prefix);
  else showError(topBox, err, topPrefix);
}

// --- the page -------------------------------------------------------------------------------

/**
 * The admin page: its session (`auth`: the API client, payments and the
 * session's lifetime), its panels, and what they do alike: loading a
 * section, row actions, list sections.
 */
export class AdminPage {
  /** @type {Map<string, ReturnType<typeof latest<[string], any>>>} */
  #loads = new Map();

  /** @param {StaffSession} auth */
  constructor(auth) {
    this.auth = auth;
    this.api = auth.api;
    this.pay = auth.pay;
    /** @type {Panels} */
    this.panels = /** @type {any} */ ({});
  }

  /**
   * Loads one section (GET `path`): only the answer to the latest request of
   * `name` in the current session is rendered (a quicker answer to an older
   * filter is not). Errors go to `errorBox`. Answers true when it rendered,
   * false when it failed (the error is shown), null when a newer request or a
   * sign-out made the answer moot.
   * @param {string} name
   * @param {HTMLElement} errorBox
   * @param {string} path
   * @param {(data: any) => void} render
   * @returns {Promise<boolean | null>}
   */
  async load(name, errorBox, path, render) {
    let get = this.#loads.get(name);
    if (!get) {
      get = latest(this.auth.lifetime, (_, /** @type {string} */ p) => this.api('GET', p));
      this.#loads.set(name, get);
    }
    clearError(errorBox);
    try {
      const data = await get(path);
      if (data === STALE) return null;
      render(data);
      return true;
    } catch (err) {
      showError(errorBox, err);
      return false;
    }
  }

  /** load() into a list or table, which is aria-busy meanwhile. */
  async loadInto(el, name, errorBox, path, render) {
    el.setAttribute('aria-busy', 'true');
    const ok = await this.load(name, errorBox, path, render);
    el.removeAttribute('aria-busy');
    return ok;
  }

  /**
   * Runs an admin action on a list row: clears `errorBox`, the marks of
   * `input` and `clear` and the section's `status` line; reads `input` (see
   * readReason: `missing`, `what`) and stops when it is not valid; then
   * `lock()`, `send(text)`, and `done(answer)` and a refresh of the audit log;
   * or, when it fails, `unlock()` and `failed(err)`. Answers that arrive after
   * a sign-out are dropped.
   * @param {object} action
   */
  async rowAction({
    input = null, missing = null, what = undefined, clear = [], errorBox, status = null, lock, unlock, send, done, failed,
  }) {
    const alive = this.auth.lifetime.ticket();
    for (const el of [input, ...clear]) clearInvalid(el);
    clearError(errorBox);
    if (status) status.textContent = '';
    let text;
    if (input) {
      text = readReason(input, missing, what);
      if (text === null) return;
    }
    lock();
    try {
      const answer = await send(text);
      if (!alive()) return;
      done(answer);
      this.panels.audit.refresh();
    } catch (err) {
      if (!alive()) return;
      unlock();
      failed(err);
    }
  }

  /**
   * An action from a button in row `id` of the `kind` list (campaign, user): a
   * rowAction with its errors in #<kind>-error-<id>; `done(answer)` takes the
   * answer in and answers the message for `status` (the section's status
   * line); focus then goes back to the row's title (or `heading`) when it was
   * lost or on `scope`. A refused reason is marked at the reason; other
   * failures go to `failed(err)`.
   * @param {string} kind
   * @param {number} id
   * @param {HTMLButtonElement} button
   * @param {object} action
   */
  buttonAction(kind, id, button, { status, heading = null, scope = button, done, failed, ...action }) {
    return this.rowAction({
      ...action,
      ...byButton(button),
      errorBox: $(`${kind}-error-${id}`),
      status,
      done: (answer) => {
        status.textContent = done(answer);
        refocus($(`${kind}-title-${id}`) ?? heading, scope);
      },
      failed: (err) => {
        if (!reasonRefused(err, action.input)) failed(err);
      },
    });
  }

  /**
   * A list section (the review queue, campaigns, withdrawals, users): the list
   * `list`, #<name>-error, #<name>-status, #<name>-empty, a #refresh-<name>
   * button, maybe a `count` of the items and a `filter` (a select), whose
   * value `path(value)` puts into the query and the list records as
   * data-<filterKey>. Answers the section's refresh(): `take(data)` keeps and
   * answers the items; each is rendered by `row(item, typed)` with what the
   * admin had typed into it (`typed(list)`: a map by id), so that it survives
   * the re-render. Changing the filter and the button clear the status line
   * and reload; the button then says `done` unless loading failed.
   * @returns {() => Promise<void>}
   */
  listSection({ name, list, count = null, filter = null, filterKey = 'filter', path, typed, take, row, done }) {
    const el = $(list);
    const status = $(`${name}-status`);
    const error = $(`${name}-error`);
    const refresh = async () => {
      const value = filter ? $(filter).value : null;
      await this.loadInto(el, name, error, path(value), (data) => {
        const kept = typed(el);
        fill(el, take(data).map((item) => row(item, kept.get(String(item.id)))));
        if (filter) el.dataset[filterKey] = value;
        showCount(name, el, count);
      });
    };
    if (filter) {
      $(filter).addEventListener('change', () => {
        status.textContent = '';
        refresh();
      });
    }
    wireRefresh($(`refresh-${name}`), refresh, status, done, () => !error.textContent);
    return refresh;
  }
}

/** Clears a section's status lines (`statuses`), its error boxes (`errors`) and hides `hidden`, at sign-out. */
export function clearSection({ statuses = [], errors = [], hidden = [] }) {
  for (const id of statuses) $(id).textContent = '';
  for (const id of errors) clearError($(id));
  for (const id of hidden) show($(id), false);
}

