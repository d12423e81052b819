// The administration page: sign in as an admin, review the campaigns waiting
// for review (approve with an optional note, reject with a reason that
// refunds the escrow), follow all campaigns (suspend them with a reason and
// resume them, close them, look at their submission quality), decide the
// withdrawal requests (approve: paid out; reject with a reason: the tokens go
// back to the wallet), suspend and unsuspend accounts, mint tokens, audit the
// ledger, and read the audit log and the key holder's decryption log. Plain
// ES module, no framework; it only talks to this origin's /api.

import {
  $, show, h, svg, rowHead, statusBadge, emptyRow, errorLine, fmtInt, toNumber, tokens, fmtDate, chars, sentence, errorText,
  clearError, invalid, clearInvalid, clearInvalidOnInput, refuseForm, tooLong, positiveInt, CAMPAIGN_STATUS_TEXT,
  StaffSession, wireSignIn, showSignedIn, showSignedOut, wireRefresh,
} from './common.js';

const TOKEN_KEY = 'cipherpool.admin.session';
const MAX_REASON = 2000;
const MAX_MEMO = 500;
const HOUR_MS = 3_600_000;
/** Hours between the first and last bar up to which empty hours are drawn as gaps. */
const MAX_FILLED_HOURS = 72;

const WITHDRAWAL_STATUS_TEXT = { pending: 'pending', approved: 'approved (paid out)', rejected: 'rejected (returned)' };

const ROLE_TEXT = { contributor: 'contributor', buyer: 'buyer', admin: 'administrator' };

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

// --- small helpers ------------------------------------------------------------------

const epsFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 6, useGrouping: false });
const hourFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

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

const { showError } = errorText(ERROR_LEAD);

// Typing into a control marked invalid clears the mark and its message.
clearInvalidOnInput(document);

/** Whether focus is lost (on the body, or nowhere) or inside `el`. */
function focusLostOrIn(el) {
  const active = document.activeElement;
  return !active || active === document.body || el.contains(active);
}

/** Moves focus to `el` when focus was lost (on the body) or inside `scope` (which is going away). */
function refocus(el, scope = null) {
  const active = document.activeElement;
  if (!el) return;
  if (!active || active === document.body || (scope && (scope === active || scope.contains(active)))
    || !active.isConnected) {
    el.focus();
  }
}

/** The item of `list` for one id: `attr` is the data attribute naming it (campaign-id, withdrawal-id, user-id). */
function rowOf(list, attr, id) {
  return list.querySelector(`:scope > [data-${attr}="${id}"]`);
}

/** What the admin typed into the controls matching `selector` in `list`, by their `key` data attribute. */
function typedValues(list, selector, key) {
  return new Map([...list.querySelectorAll(selector)].map((i) => [i.dataset[key], i.value]));
}

/** A description list of [term, description] pairs. */
function factList(items) {
  return h('dl', {}, items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// --- HTTP -----------------------------------------------------------------------

// The session (auth.current), the API client (errors are ApiError with the
// server's code; a 401 ends the session) and payments: rejecting or closing
// a campaign and minting carry an Idempotency-Key that a retry of the same
// action with the same body reuses.
const auth = new StaffSession({ role: 'admin', storageKey: TOKEN_KEY, signOut });
const { api, pay } = auth;
let generation = 0; // bumped at sign-out: answers that arrive for an older session are dropped

/**
 * Loads one section (GET `path`): only the answer to the latest request of
 * `name` in the current session is rendered (a quicker answer to an older
 * filter is not). Errors go to `errorBox`. Answers true when it rendered,
 * false when it failed (the error is shown), null when a newer request or a
 * sign-out made the answer moot.
 */
const latestRequest = new Map(); // name → request number
async function load(name, errorBox, path, render) {
  const gen = generation;
  const n = (latestRequest.get(name) ?? 0) + 1;
  latestRequest.set(name, n);
  const current = () => gen === generation && latestRequest.get(name) === n;
  clearError(errorBox);
  try {
    const data = await api('GET', path);
    if (!current()) return null;
    render(data);
    return true;
  } catch (err) {
    if (!current()) return null;
    showError(errorBox, err);
    return false;
  }
}

/** load() into a list or table, which is aria-busy meanwhile. */
async function loadInto(el, name, errorBox, path, render) {
  el.setAttribute('aria-busy', 'true');
  const ok = await load(name, errorBox, path, render);
  el.removeAttribute('aria-busy');
  return ok;
}

/** Replaces a list's items (or a table's rows) and marks it loaded. */
function fill(el, rows) {
  (el.tBodies?.[0] ?? el).replaceChildren(...rows);
  el.dataset.loaded = 'true';
}

// --- row actions ----------------------------------------------------------------------

/** A form that does not submit itself: `onsubmit()` runs instead. */
function form(attrs, onsubmit, ...children) {
  return h('form', { ...attrs, novalidate: true, onsubmit: (e) => { e.preventDefault(); onsubmit(); } }, ...children);
}

/** A hint inside a label: "(optional)", "(required)". */
function inlineHint(text) {
  return h('span', { class: 'hint inline' }, text);
}

/** A one-line reason (or note) input holding `value`, described by its error line. */
function reasonInput(id, cls, value, attrs = {}) {
  return h('input', {
    id, class: cls, type: 'text', maxlength: MAX_REASON, autocomplete: 'off', value: value ?? '', ...attrs,
    'aria-describedby': `${id}-error`,
  });
}

/** The inline form suspending a campaign or a user with a reason (`note`: a hint after the label). */
function suspendForm({ cls, label, reasonId, reasonClass, typed, data, buttonId, titleId, note = null, onsubmit }) {
  return form({ class: `inline-form ${cls}`, 'aria-label': label }, onsubmit,
    h('label', { for: reasonId }, note ? ['Reason for suspending ', inlineHint(note)] : 'Reason for suspending'),
    reasonInput(reasonId, reasonClass, typed, data),
    h('button', { type: 'submit', id: buttonId, 'aria-describedby': titleId }, 'Suspend'),
    errorLine(reasonId, { style: 'flex-basis: 100%' }));
}

/**
 * The form rejecting a review or withdrawal row with a required reason: the
 * textarea (holding `typed`), its hint and error line, and `button`.
 */
function rejectForm({ cls, label, reasonId, reasonAttrs, typed, hint, button, onsubmit }) {
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
class Decisions {
  /** `buttons`: per action, the button's id prefix and its idle and busy texts. */
  constructor(listId, attr, buttons) {
    this.running = new Map();
    this.listId = listId;
    this.attr = attr;
    this.buttons = buttons;
  }

  /** Whether a decision on row `id` may start now. */
  canStart(id) {
    return !this.running.has(id) && auth.current != null;
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

/**
 * Runs an admin action on a list row: clears `errorBox`, the marks of
 * `input` and `clear` and the section's `status` line; reads `input` (see
 * readReason: `missing`, `what`) and stops when it is not valid; then
 * `lock()`, `send(text)`, and `done(answer)` and a refresh of the audit log;
 * or, when it fails, `unlock()` and `failed(err)`. Answers that arrive after
 * a sign-out are dropped.
 */
async function rowAction({
  input = null, missing = null, what, clear = [], errorBox, status = null, lock, unlock, send, done, failed,
}) {
  const gen = generation;
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
    if (gen !== generation) return;
    done(answer);
    refreshAudit();
  } catch (err) {
    if (gen !== generation) return;
    unlock();
    failed(err);
  }
}

/** rowAction's lock and unlock for an action with one button (enabled again only while it is on the page). */
function byButton(button) {
  return {
    lock: () => { button.disabled = true; },
    unlock: () => { if (button.isConnected) button.disabled = false; },
  };
}

/** A refused reason: marks `input` (while it is on the page) with the server's message; answers whether it did. */
function reasonRefused(err, input) {
  if (err.code !== 'invalid_reason' || !input?.isConnected) return false;
  invalid(input, sentence(err.message));
  return true;
}

/** A failed row action: the error goes to the row's box, or (the row is gone) to the section's with `topPrefix`. */
function rowFailed(rowBox, topBox, err, prefix, topPrefix) {
  if (rowBox) showError(rowBox, err, prefix);
  else showError(topBox, err, topPrefix);
}

/** Removes a list row; focus, when it was lost or in the row, moves to the next row's title (`titleOf`), else to `fallback`. */
function removeRow(row, titleOf, fallback) {
  const hadFocus = focusLostOrIn(row);
  const next = row.nextElementSibling ?? row.previousElementSibling;
  row.remove();
  if (hadFocus) (next ? titleOf(next) : fallback).focus();
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
 */
function listSection({ name, list, count = null, filter = null, filterKey = 'filter', path, typed, take, row, done }) {
  const el = $(list);
  const status = $(`${name}-status`);
  const error = $(`${name}-error`);
  async function refresh() {
    const value = filter ? $(filter).value : null;
    await loadInto(el, name, error, path(value), (data) => {
      const kept = typed(el);
      fill(el, take(data).map((item) => row(item, kept.get(String(item.id)))));
      if (filter) el.dataset[filterKey] = value;
      showCount(name, el, count);
    });
  }
  if (filter) {
    $(filter).addEventListener('change', () => {
      status.textContent = '';
      refresh();
    });
  }
  wireRefresh($(`refresh-${name}`), refresh, status, done, () => !error.textContent);
  return refresh;
}

/** Shows how many items `list` of section `name` holds: in #<count> as "(n)" (when given), and #<name>-empty when none. */
function showCount(name, list, count = null) {
  const n = list.children.length;
  if (count) $(count).textContent = `(${n})`;
  show($(`${name}-empty`), n === 0);
}

/** A query parameter for a filter's value: `&key=value` (`?` first), or nothing when it is empty. */
function filterQuery(key, value, first = '&') {
  return value ? `${first}${key}=${encodeURIComponent(value)}` : '';
}

// --- state --------------------------------------------------------------------------

let queue = []; // CampaignView[] pending review, oldest first
let campaigns = []; // CampaignView[] of the campaign list (current filter), newest first
let users = []; // users of the user list (current filter), newest first
let withdrawals = []; // admin withdrawal views (with email) of the withdrawal list (current filter), newest first
const reviews = new Decisions('review-queue', 'campaign-id', {
  approve: { prefix: 'approve', idle: 'Approve', busy: 'Approving…' },
  reject: { prefix: 'reject', idle: 'Reject and refund', busy: 'Rejecting…' },
});
const payouts = new Decisions('withdrawal-list', 'withdrawal-id', {
  approve: { prefix: 'approve-withdrawal', idle: 'Approve and pay out', busy: 'Approving…' },
  reject: { prefix: 'reject-withdrawal', idle: 'Reject and return tokens', busy: 'Rejecting…' },
});
let qualityCampaignId = null;

/** The start of the message when an approval or a rejection failed. */
const DECISION_FAILED = { approve: 'Approval failed: ', reject: 'Rejection failed: ' };

// --- sign-in ----------------------------------------------------------------------

wireSignIn(auth, {
  showError,
  afterSignIn,
  signOut,
  refusal: {
    code: 'not_an_admin',
    text: (user) => `This page is for administrators; ${user?.email ?? 'this account'} is a `
      + `${ROLE_TEXT[user?.role] ?? 'different'} account.`,
  },
});

async function afterSignIn() {
  showSignedIn(auth.current.user.email);
  // Each section shows its own errors: one failing (the key holder down) leaves the rest working.
  await Promise.all([refreshQueue(), refreshCampaigns(), refreshWithdrawals(), refreshUsers(), refreshAudit(),
    refreshDecryptions()]);
}

/** Forgets the session and everything shown for it. */
function signOut(message = '') {
  auth.end();
  generation += 1;
  queue = [];
  campaigns = [];
  users = [];
  withdrawals = [];
  reviews.running.clear();
  payouts.running.clear();
  qualityCampaignId = null;
  for (const id of ['review-queue', 'campaign-list', 'withdrawal-list', 'user-list']) {
    $(id).replaceChildren();
    delete $(id).dataset.loaded;
    $(id).removeAttribute('aria-busy');
  }
  for (const id of ['audit-log', 'decryptions', 'quality-rejections']) {
    $(id).tBodies[0].replaceChildren();
    delete $(id).dataset.loaded;
    $(id).removeAttribute('aria-busy');
  }
  $('quality').removeAttribute('aria-busy');
  for (const id of ['review-status', 'campaigns-status', 'withdrawals-status', 'users-status', 'mint-result', 'ledger-status',
    'quality-status', 'review-count', 'withdrawal-count']) {
    $(id).textContent = '';
  }
  for (const id of ['review-error', 'campaigns-error', 'withdrawals-error', 'users-error', 'mint-error', 'ledger-error',
    'audit-error', 'decryptions-error', 'quality-error', 'session-error']) {
    clearError($(id));
  }
  for (const id of ['review-empty', 'campaigns-empty', 'withdrawals-empty', 'users-empty', 'ledger-result', 'quality']) {
    show($(id), false);
  }
  $('withdrawal-status-filter').value = 'pending'; // the next session starts at the queue
  delete $('quality').dataset.campaignId;
  delete $('quality').dataset.state;
  delete $('mint-result').dataset.transferId;
  $('mint-form').reset();
  for (const el of $('mint-form').querySelectorAll('[aria-invalid]')) clearInvalid(el);
  showSignedOut(message);
}

// --- campaigns: shared pieces -----------------------------------------------------------

function describeField(f) {
  if (f.type === 'categorical') {
    return [h('code', {}, f.name), ` — categorical, ${f.categories.length} categories: ${f.categories.join(' / ')}`];
  }
  const top = 2 ** f.bits - 1;
  const range = f.range
    ? `range ${fmtInt(f.range.min)}–${fmtInt(f.range.max)}`
    : `full range 0–${fmtInt(top)}`;
  return [h('code', {}, f.name), ` — numeric, ${f.bits}-bit, ${range}`];
}

/** The schema: one line per field (width, range or categories) and the regression, if any. */
function schemaView(c) {
  const fields = c.schema?.fields ?? [];
  const reg = c.schema?.regression;
  return [
    h('ul', { class: 'schema' }, fields.map((f) => h('li', { 'data-field': f.name }, describeField(f)))),
    reg ? h('p', { class: 'regression' }, 'Linear regression: ', h('code', {}, reg.target), ' from ',
      reg.features.flatMap((f, i) => [i ? ', ' : null, h('code', {}, f)]), '.') : null,
  ];
}

/** The facts an admin needs about a campaign, as a description list. */
function campaignFacts(c, { review = false } = {}) {
  const perReward = c.reward > 0 ? Math.floor(toNumber(c.budget) / toNumber(c.reward)) : 0;
  const enough = toNumber(c.contributions) >= toNumber(c.min_contributors);
  const items = [
    ['Buyer', `user #${c.buyer_id}`],
    ['Statistics', (c.statistics ?? []).join(', ') || '—'],
    ['Privacy ε', String(c.epsilon)],
    ['Minimum contributors (k)', fmtInt(c.min_contributors)],
    ['Reward', `${tokens(c.reward)} per contribution`],
    ['Budget', `${tokens(c.budget)}${perReward ? ` (pays up to ${fmtInt(perReward)} contributions)` : ''}`],
    ['Escrow', tokens(c.escrow_balance)],
  ];
  if (!review) {
    items.splice(1, 0, ['Contributions', h('span', { class: 'contributions', 'data-count': c.contributions },
      `${fmtInt(c.contributions)} of ${fmtInt(c.min_contributors)} needed`, enough ? ' — enough for a report' : '')]);
    items.push(['Encrypted values', fmtInt(c.encrypted_values)]);
    items.push(['Updated', fmtDate(c.updated_at)]);
  } else {
    items.push(['Submitted', fmtDate(c.updated_at)]);
  }
  return factList(items);
}

/**
 * Takes in a campaign that changed (approved, rejected, closed): updates the
 * campaign list (in place, inserted, or dropped when the filter no longer
 * matches), the review queue, and the quality panel's title.
 */
function applyCampaign(view) {
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
  if (view.status !== 'pending_review') removeReviewRow(view.id);
  if (qualityCampaignId === view.id) $('quality-campaign').textContent = view.title;
}

// --- review queue ---------------------------------------------------------------------

const refreshQueue = listSection({
  name: 'review',
  list: 'review-queue',
  path: () => '/api/campaigns?status=pending_review&limit=200',
  // Keep what the admin typed into notes and reasons across the re-render.
  typed: (list) => new Map([...list.children].map((li) => [li.dataset.campaignId, {
    note: li.querySelector('.approve-note')?.value,
    reason: li.querySelector('.reject-reason')?.value,
  }])),
  take: (data) => (queue = data.filter((c) => c.status === 'pending_review').sort((a, b) => a.id - b.id)),
  row: reviewRow,
  count: 'review-count',
  done: 'Review queue refreshed.',
});

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
function removeReviewRow(id) {
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
  rowAction({
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
        refreshQueue();
        refreshCampaigns();
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

function approveCampaign(c) {
  const id = c.id;
  reviewAction(c, 'approve', {
    input: $(`approve-note-${id}`),
    what: 'note',
    pending: `Approving “${c.title}” (#${id}): the key holder is generating the campaign's keys; `
      + 'this can take a minute or two.',
    send: (note) => api('POST', `/api/admin/campaigns/${id}/approve`, { body: note ? { note } : {} }),
    done: (view) => {
      applyCampaign(view);
      return `“${view.title}” (#${id}) was approved; its buyer can now open it for contributions.`;
    },
  });
}

function rejectCampaign(c) {
  const id = c.id;
  reviewAction(c, 'reject', {
    input: $(`reject-reason-${id}`),
    missing: 'Give the buyer a reason for the rejection.',
    pending: `Rejecting “${c.title}” (#${id})…`,
    send: (reason) => pay(`reject:${id}`, `/api/admin/campaigns/${id}/reject`, { reason }),
    done: ({ campaign, transfer }) => {
      applyCampaign(campaign);
      return `“${campaign.title}” (#${id}) was rejected; `
        + (transfer ? `${tokens(transfer.amount)} of escrow went back to buyer #${campaign.buyer_id}.` : 'there was no escrow to refund.');
    },
  });
}

// --- all campaigns ----------------------------------------------------------------------

const refreshCampaigns = listSection({
  name: 'campaigns',
  list: 'campaign-list',
  filter: 'campaign-status-filter',
  path: (status) => `/api/campaigns?limit=200${filterQuery('status', status)}`,
  typed: (list) => typedValues(list, '.campaign-suspend-reason', 'campaignId'),
  take: (data) => (campaigns = data.sort((a, b) => b.id - a.id)),
  row: campaignRow,
  done: 'Campaigns refreshed.',
});

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
      onclick: () => { showQuality(id); $('quality-title').focus(); },
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
 * An action from a button in row `id` of the `kind` list (campaign, user): a
 * rowAction with its errors in #<kind>-error-<id>; `done(answer)` takes the
 * answer in and answers the message for `status` (the section's status
 * line); focus then goes back to the row's title (or `heading`) when it was
 * lost or on `scope`. A refused reason is marked at the reason; other
 * failures go to `failed(err)`.
 */
function buttonAction(kind, id, button, { status, heading = null, scope = button, done, failed, ...action }) {
  rowAction({
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
 * An action on a row of the campaign list (see buttonAction). Failures go to
 * the row, prefixed with `prefix` (at the top with `topPrefix` when the row
 * is gone), and focus back to the button.
 */
function campaignAction(c, button, { prefix, topPrefix = `Campaign #${c.id}: ${prefix}`, ...action }) {
  const id = c.id;
  buttonAction('campaign', id, button, {
    ...action,
    status: $('campaigns-status'),
    heading: $('campaigns-heading'),
    failed: (err) => {
      rowFailed($(`campaign-error-${id}`), $('campaigns-error'), err, prefix, topPrefix);
      if (button.isConnected) refocus(button);
    },
  });
}

function closeCampaign(c, button) {
  const id = c.id;
  campaignAction(c, button, {
    send: () => pay(`close:${id}`, `/api/campaigns/${id}/close`),
    done: ({ campaign, transfer }) => {
      applyCampaign(campaign);
      return `“${campaign.title}” (#${id}) is closed`
        + (transfer ? `; ${tokens(transfer.amount)} of escrow went back to buyer #${campaign.buyer_id}.` : '.');
    },
    prefix: 'Closing failed: ',
    topPrefix: `Closing campaign #${id} failed: `,
    scope: null,
  });
}

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
      applyCampaign(view);
      return `“${view.title}” (#${id}) is suspended: it takes no contributions until it is resumed.`;
    },
    prefix: 'Suspending failed: ',
  });
}

function resumeCampaign(c, button) {
  const id = c.id;
  campaignAction(c, button, {
    send: () => api('POST', `/api/admin/campaigns/${id}/resume`, { body: {} }),
    done: (view) => {
      applyCampaign(view);
      return `“${view.title}” (#${id}) is ${CAMPAIGN_STATUS_TEXT[view.status] ?? view.status} again.`;
    },
    prefix: 'Resuming failed: ',
  });
}

// --- quality signals ----------------------------------------------------------------------

async function showQuality(id) {
  const section = $('quality');
  const c = campaigns.find((x) => x.id === id);
  const other = qualityCampaignId !== id;
  qualityCampaignId = id;
  show(section);
  section.dataset.campaignId = String(id);
  section.dataset.state = 'loading';
  section.setAttribute('aria-busy', 'true');
  $('quality-campaign').textContent = c ? `“${c.title}” (#${id})` : `campaign #${id}`;
  $('quality-status').textContent = '';
  if (other) show($('quality-body'), false);
  const ok = await load('quality', $('quality-error'), `/api/admin/campaigns/${id}/quality`, (q) => {
    renderQuality(q);
    section.dataset.state = 'loaded';
    const rejected = (q.rejected ?? []).reduce((s, r) => s + toNumber(r.count), 0);
    $('quality-status').textContent = `Quality signals loaded: ${fmtInt(q.accepted)} accepted, ${fmtInt(rejected)} rejected.`;
  });
  if (ok === null) return; // a newer request (or a sign-out) took over
  section.removeAttribute('aria-busy');
  if (!ok) section.dataset.state = 'error';
}

$('quality-refresh').addEventListener('click', () => {
  if (qualityCampaignId != null) showQuality(qualityCampaignId);
});

function renderQuality(q) {
  const accepted = $('quality-accepted');
  accepted.textContent = fmtInt(q.accepted);
  accepted.dataset.value = String(q.accepted);
  const rejections = [...(q.rejected ?? [])].sort((a, b) => toNumber(b.count) - toNumber(a.count));
  const rejectedTotal = rejections.reduce((s, r) => s + toNumber(r.count), 0);
  $('quality-rejected-total').textContent = fmtInt(rejectedTotal);
  $('quality-rejected-total').dataset.value = String(rejectedTotal);

  const rows = rejections.map((r) => h('tr', { 'data-reason': r.reason },
    h('td', {}, h('code', {}, String(r.reason))),
    h('td', { class: 'num' }, fmtInt(r.count))));
  if (!rows.length) rows.push(emptyRow(2, 'No submission was rejected.'));
  $('quality-rejections').tBodies[0].replaceChildren(...rows);

  const hours = perHourData(q.per_hour ?? []);
  if (hours.length) {
    const total = (k) => hours.reduce((s, r) => s + r[k], 0);
    $('quality-per-hour').replaceChildren(
      h('figure', {},
        h('div', { class: 'scroll' }, perHourSvg(hours)),
        h('figcaption', {},
          h('ul', { class: 'legend', 'aria-hidden': 'true' },
            h('li', {}, h('span', { class: 'swatch accepted' }), 'accepted'),
            h('li', {}, h('span', { class: 'swatch rejected' }), 'rejected')),
          `Submissions per hour (local time): ${fmtInt(total('accepted'))} accepted and ${fmtInt(total('rejected'))} rejected`
          + ` from ${fmtDate(new Date(hours[0].t).toISOString())}`
          + (hours.length > 1 && hours.at(-1).t - hours[0].t >= hours.length * HOUR_MS
            ? '; hours without submissions are left out.' : '.'))),
      h('details', {},
        h('summary', {}, 'The same as a table'),
        h('div', { class: 'scroll' },
          h('table', { id: 'quality-per-hour-table', 'aria-labelledby': 'quality-per-hour-title' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Hour starting'),
              h('th', { scope: 'col', class: 'num' }, 'Accepted'), h('th', { scope: 'col', class: 'num' }, 'Rejected'))),
            h('tbody', {}, hours.map((r) => h('tr', {},
              h('td', { class: 'when' }, new Date(r.t).toLocaleString()),
              h('td', { class: 'num' }, fmtInt(r.accepted)),
              h('td', { class: 'num' }, fmtInt(r.rejected)))))))));
  } else {
    $('quality-per-hour').replaceChildren(h('p', {}, 'No submissions yet.'));
  }

  const outOfRange = q.out_of_range ?? [];
  if (outOfRange.length) {
    $('quality-out-of-range').replaceChildren(
      h('div', { class: 'scroll' },
        h('table', { id: 'quality-out-of-range-table', 'aria-labelledby': 'quality-out-of-range-title', 'aria-describedby': 'quality-out-of-range-note' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col', class: 'num' }, 'Count'),
            h('th', { scope: 'col' }, 'Report'))),
          h('tbody', {}, outOfRange.map((o) => h('tr', { 'data-field': o.field },
            h('th', { scope: 'row' }, o.field),
            h('td', { class: 'num' }, fmtInt(o.count)),
            h('td', {}, o.report_id != null ? `#${o.report_id}` : '—')))))),
      h('p', { id: 'quality-out-of-range-note', class: 'hint' },
        'Contributions whose value was outside the field\'s declared range, from the latest released report; the counts are noised.'));
  } else {
    $('quality-out-of-range').replaceChildren(h('p', {},
      'None reported. Out-of-range counts come from the latest released report (noised), for campaigns asking for the quality statistic.'));
  }
  show($('quality-body'));
}

/** The per-hour rows, sorted, with the empty hours between them filled in (up to three days). */
function perHourData(perHour) {
  const rows = perHour
    .map((r) => ({ t: Date.parse(r.hour), accepted: toNumber(r.accepted), rejected: toNumber(r.rejected) }))
    .filter((r) => Number.isFinite(r.t))
    .sort((a, b) => a.t - b.t);
  if (rows.length < 2) return rows;
  const first = rows[0].t;
  const last = rows[rows.length - 1].t;
  const span = Math.round((last - first) / HOUR_MS);
  if (span > MAX_FILLED_HOURS || span * HOUR_MS !== last - first) return rows;
  const byTime = new Map(rows.map((r) => [r.t, r]));
  const filled = [];
  for (let t = first; t <= last; t += HOUR_MS) filled.push(byTime.get(t) ?? { t, accepted: 0, rejected: 0 });
  return filled;
}

/**
 * A grouped bar chart of accepted and rejected submissions per hour. Bars
 * scale to the largest count; every bar has a <title>, the chart an
 * aria-label summary (and the page a table of the same numbers).
 */
function perHourSvg(hours) {
  const n = hours.length;
  const barW = 10;
  const groupGap = 10;
  const groupW = 2 * barW + 2 + groupGap;
  const left = 40;
  const right = 30; // room for the last hour's label
  const top = 12;
  const plotH = 120;
  const labelH = 32;
  const width = left + n * groupW + right;
  const height = top + plotH + labelH;
  const baseY = top + plotH;
  const max = Math.max(1, ...hours.map((r) => Math.max(r.accepted, r.rejected)));
  const y = (v) => baseY - (Math.max(0, v) / max) * plotH;
  const busiest = hours.reduce((a, b) => (b.accepted + b.rejected > a.accepted + a.rejected ? b : a));
  const label = (t) => `${dayFormat.format(t)} ${hourFormat.format(t)}`;

  const chart = svg('svg', {
    class: 'per-hour', role: 'img', viewBox: `0 0 ${width} ${height}`,
    'aria-label': `Submissions per hour over ${n} ${n === 1 ? 'hour' : 'hours'} from ${label(hours[0].t)}: `
      + `${fmtInt(hours.reduce((s, r) => s + r.accepted, 0))} accepted, ${fmtInt(hours.reduce((s, r) => s + r.rejected, 0))} rejected; `
      + `busiest hour ${label(busiest.t)} with ${fmtInt(busiest.accepted)} accepted and ${fmtInt(busiest.rejected)} rejected.`,
    // Natural size at most 1.5×; never squeezed below 80 % (the box scrolls instead).
    style: `width: 100%; min-width: ${Math.round(width * 0.8)}px; max-width: ${Math.round(width * 1.5)}px`,
  });
  // Horizontal grid: 0, half and the maximum.
  for (const v of [0, max / 2, max]) {
    const gy = y(v);
    chart.append(
      svg('line', { class: v === 0 ? 'axis' : 'grid', x1: left - 4, x2: width - right, y1: gy, y2: gy }),
      svg('text', { x: left - 6, y: gy + 4, 'text-anchor': 'end' }, fmtInt(Math.round(v))));
  }
  // Hour labels: as many as fit, the day under the first and wherever it changes.
  const every = Math.max(1, Math.ceil(44 / groupW));
  let lastDay = '';
  hours.forEach((r, i) => {
    const x0 = left + groupGap / 2 + i * groupW;
    const when = label(r.t);
    chart.append(
      svg('rect', {
        class: 'bar accepted', x: x0, y: y(r.accepted), width: barW, height: baseY - y(r.accepted),
        'data-hour': new Date(r.t).toISOString(), 'data-count': r.accepted,
      }, svg('title', {}, `${when}: ${fmtInt(r.accepted)} accepted`)),
      svg('rect', {
        class: 'bar rejected', x: x0 + barW + 2, y: y(r.rejected), width: barW, height: baseY - y(r.rejected),
        'data-hour': new Date(r.t).toISOString(), 'data-count': r.rejected,
      }, svg('title', {}, `${when}: ${fmtInt(r.rejected)} rejected`)));
    if (i % every === 0) {
      const cx = x0 + barW + 1;
      chart.append(svg('text', { x: cx, y: baseY + 13, 'text-anchor': 'middle' }, hourFormat.format(r.t)));
      const day = dayFormat.format(r.t);
      if (day !== lastDay) {
        chart.append(svg('text', { x: cx, y: baseY + 27, 'text-anchor': 'middle' }, day));
        lastDay = day;
      }
    }
  });
  return chart;
}

// --- withdrawals ----------------------------------------------------------------------

const refreshWithdrawals = listSection({
  name: 'withdrawals',
  list: 'withdrawal-list',
  filter: 'withdrawal-status-filter',
  path: (status) => `/api/admin/withdrawals${filterQuery('status', status, '?')}`,
  // Keep what the admin typed into rejection reasons across the re-render.
  typed: (list) => typedValues(list, '.reject-withdrawal-reason', 'withdrawalId'),
  take: (data) => (withdrawals = [...data].sort((a, b) => b.id - a.id)),
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
  rowAction({
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

// --- users ----------------------------------------------------------------------------

const refreshUsers = listSection({
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
  actions.push(h('button', {
    type: 'button', id: `mint-for-${id}`, 'aria-describedby': titleId,
    onclick: () => {
      $('mint-user').value = String(id);
      clearInvalid($('mint-user'));
      $('mint-amount').focus();
    },
  }, 'Mint tokens…'));

  return h('li', {
    class: 'item user', 'data-user-id': id, 'data-suspended': String(suspended), 'data-role': u.role,
    'aria-labelledby': titleId,
  },
  rowHead(titleId, u.email, id, h('span', {},
    h('span', { class: 'badge', 'data-role': u.role }, ROLE_TEXT[u.role] ?? u.role),
    suspended ? [' ', h('span', { class: 'badge', 'data-status': 'suspended' }, 'suspended')] : null,
    locked ? [' ', h('span', { class: 'badge', 'data-status': 'locked' }, 'locked')] : null)),
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
  buttonAction('user', id, button, {
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

function unlockUser(u, button) {
  userAction(u, button, 'unlock', { doneText: 'is unlocked: it can sign in again.', prefix: 'Unlocking failed: ' });
}

// --- mint -------------------------------------------------------------------------------

/** Reads a whole number ≥ 1 from an input, or adds [input, message] to `errors` and answers null. */
function readPositive(input, what, errors) {
  const v = positiveInt(input);
  if (v === null) errors.push([input, `${what} must be a whole number, 1 or more.`]);
  return v;
}

$('mint-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const gen = generation;
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

  const body = { user_id: userId, amount };
  if (memo) body.memo = memo;
  const button = $('mint-submit');
  button.disabled = true;
  try {
    const resp = await pay('mint', '/api/admin/mint', body);
    if (gen !== generation) return;
    const transfer = resp?.transfer ?? resp;
    const who = users.find((u) => u.id === userId)?.email;
    const result = $('mint-result');
    result.textContent = `Minted ${tokens(transfer?.amount ?? amount)} to ${who ? `${who} (#${userId})` : `user #${userId}`}`
      + (transfer?.id != null ? ` — transfer #${transfer.id}` : '')
      + (resp?.balance != null ? `; their balance is now ${tokens(resp.balance)}.` : '.');
    if (transfer?.id != null) result.dataset.transferId = String(transfer.id);
    result.dataset.amount = String(transfer?.amount ?? amount);
    // Clear the amount and memo so a second press does not mint again by accident.
    amountEl.value = '';
    memoEl.value = '';
    refreshAudit();
  } catch (err) {
    if (gen !== generation) return;
    showError($('mint-error'), err, 'Minting failed: ');
    if (err.status === 404) invalid(userEl, sentence(err.message));
    else if (err.code === 'invalid_amount') invalid(amountEl, sentence(err.message));
    else if (err.code === 'invalid_memo') invalid(memoEl, sentence(err.message));
  } finally {
    button.disabled = false;
  }
});

// --- ledger audit -------------------------------------------------------------------------

$('ledger-audit').addEventListener('click', async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  $('ledger-status').textContent = 'Auditing the ledger…';
  const ok = await load('ledger', $('ledger-error'), '/api/admin/ledger/audit', renderLedger);
  if (ok === false) $('ledger-status').textContent = '';
  button.disabled = false;
});

function renderLedger(a) {
  const mismatched = a.mismatched_accounts ?? [];
  const consistent = String(a.total) === '0' && Number(a.negative_accounts) === 0 && mismatched.length === 0;
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

// --- audit log ----------------------------------------------------------------------------

async function refreshAudit() {
  const table = $('audit-log');
  await loadInto(table, 'audit', $('audit-error'), '/api/admin/audit?limit=100', (entries) => {
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

/** An audit entry's detail object as "key: value; …", leaving out empty values. */
function describeDetail(detail) {
  if (detail == null) return '—';
  if (typeof detail !== 'object') return String(detail);
  const parts = Object.entries(detail)
    .filter(([, v]) => v != null && v !== '')
    .map(([k, v]) => `${k.replaceAll('_', ' ')}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join('; ') : '—';
}

wireRefresh($('refresh-audit'), refreshAudit);

// --- keyholder decryptions ----------------------------------------------------------------

async function refreshDecryptions() {
  const table = $('decryptions');
  const ok = await loadInto(table, 'decryptions', $('decryptions-error'), '/api/admin/decryptions', (entries) => {
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

// --- start --------------------------------------------------------------------------

if (auth.current) afterSignIn();
