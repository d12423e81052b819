// The administration page: sign in as an admin, review the campaigns waiting
// for review (approve with an optional note, reject with a reason that
// refunds the escrow), follow all campaigns (suspend them with a reason and
// resume them, close them, look at their submission quality), decide the
// withdrawal requests (approve: paid out; reject with a reason: the tokens go
// back to the wallet), suspend and unsuspend accounts, mint tokens, audit the
// ledger, and read the audit log and the key holder's decryption log. Plain
// ES module, no framework; it only talks to this origin's /api.

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'cipherpool.admin.session';
const MAX_REASON = 2000;
const MAX_MEMO = 500;
const HOUR_MS = 3_600_000;
/** Hours between the first and last bar up to which empty hours are drawn as gaps. */
const MAX_FILLED_HOURS = 72;

const CAMPAIGN_STATUS_TEXT = {
  draft: 'draft',
  pending_review: 'pending review',
  approved: 'approved',
  rejected: 'rejected',
  open: 'open',
  suspended: 'suspended',
  closed: 'closed',
};

const WITHDRAWAL_STATUS_TEXT = { pending: 'pending', approved: 'approved (paid out)', rejected: 'rejected (returned)' };

const ROLE_TEXT = { contributor: 'contributor', buyer: 'buyer', admin: 'administrator' };

const ACTION_TEXT = {
  approve_campaign: 'approved campaign',
  reject_campaign: 'rejected campaign',
  close_campaign: 'closed campaign',
  mint: 'minted tokens',
  suspend_user: 'suspended user',
  unsuspend_user: 'unsuspended user',
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
  invalid_reason: 'Invalid reason.',
  invalid_amount: 'Invalid amount.',
  invalid_memo: 'Invalid memo.',
  too_many_attempts: 'Too many sign-in attempts.',
  account_suspended: 'This account is suspended.',
  idempotency_key_reused: 'This action was already sent with different details; try again.',
  forbidden: 'Only administrators may do this.',
};

// --- small helpers ------------------------------------------------------------------

function show(el, on = true) {
  el.hidden = !on;
}

/** Creates an element: h('p', {class: 'x', 'data-id': 3}, 'text', child). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

/** The same for SVG elements. */
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttrs(el, attrs);
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

const intFormat = new Intl.NumberFormat('en-US');
const epsFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 6, useGrouping: false });
const hourFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** Integers from the API: numbers, or decimal strings beyond ±2^53. */
function fmtInt(v) {
  if (v == null) return '—';
  if (typeof v === 'string') {
    try {
      return BigInt(v).toLocaleString('en-US');
    } catch {
      return v;
    }
  }
  return intFormat.format(v);
}

/** A number or a decimal string as a JS number (approximate beyond 2^53; only used for drawing). */
function toNumber(v) {
  const n = typeof v === 'string' ? Number(v) : v;
  return Number.isFinite(n) ? n : 0;
}

function tokens(n) {
  return `${fmtInt(n)} ${n === 1 ? 'token' : 'tokens'}`;
}

function fmtDate(s) {
  if (!s) return '—';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString();
}

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

/** A server message as a sentence: capitalised, with a full stop. */
function sentence(s) {
  const t = String(s ?? '').trim();
  if (!t) return '';
  const c = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(c) ? c : `${c}.`;
}

/** An API error as a sentence for the user. */
function describe(err) {
  const lead = ERROR_LEAD[err.code];
  const message = sentence(err.message);
  return lead && lead !== message ? `${lead} ${message}` : message;
}

/** Shows an error in a role="alert" element, keeping its code for styling and tests. */
function showError(el, err, prefix = '') {
  if (!el) return;
  el.textContent = prefix + describe(err);
  if (err.code) el.dataset.code = err.code;
  else delete el.dataset.code;
}

function clearError(el) {
  if (!el) return;
  el.textContent = '';
  delete el.dataset.code;
}

/** Marks a control invalid with a message in its `<id>-error` line, and focuses it. */
function invalid(el, message) {
  el.setAttribute('aria-invalid', 'true');
  const line = $(`${el.id}-error`);
  if (line) line.textContent = message;
  el.focus();
}

function clearInvalid(el) {
  if (!el) return;
  el.removeAttribute('aria-invalid');
  const line = $(`${el.id}-error`);
  if (line) line.textContent = '';
}

// Typing into a control marked invalid clears the mark and its message.
document.addEventListener('input', (event) => {
  const el = event.target;
  if (el instanceof Element && el.getAttribute('aria-invalid') === 'true') clearInvalid(el);
});

/** Number of characters as the server counts them (code points). */
const chars = (s) => [...s].length;

/** Moves focus to `el` when focus was lost (on the body) or inside `scope` (which is going away). */
function refocus(el, scope = null) {
  const active = document.activeElement;
  if (!el) return;
  if (!active || active === document.body || (scope && (scope === active || scope.contains(active)))
    || !active.isConnected) {
    el.focus();
  }
}

// --- HTTP -----------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || 'null');
    return s?.token && s.user?.role === 'admin' ? s : null;
  } catch {
    return null;
  }
}

let session = loadSession(); // {token, expires_at, user: {id, email, role}}
let generation = 0; // bumped at sign-out: answers that arrive for an older session are dropped

/**
 * Calls the API. `body` is sent as JSON; `idempotencyKey` as the
 * Idempotency-Key header. Errors become ApiError with the server's code; a
 * 401 ends the session.
 */
async function api(method, path, { body, idempotencyKey } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (session) headers.Authorization = `Bearer ${session.token}`;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError('The server could not be reached; check the connection and try again.', 0, 'network_error');
  }
  const data = resp.headers.get('content-type')?.includes('json') ? await resp.json().catch(() => null) : null;
  if (!resp.ok) {
    const err = new ApiError(data?.error?.message || `${method} ${path}: HTTP ${resp.status}`, resp.status, data?.error?.code);
    if (resp.status === 401 && session && path !== '/api/auth/login') {
      signOut('Your session has expired; please sign in again.');
    }
    throw err;
  }
  return data;
}

// Calls that move tokens carry an Idempotency-Key. One key stands for one
// user action: retrying the same action with the same body (after a network
// error or a refusal) sends the same key, so the server moves the tokens at
// most once; success forgets the key, and changing the body (another reason,
// another amount) gets a new one. The server stores nothing for failed
// requests, so reusing is safe.
const pendingKeys = new Map(); // action → {key, body}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID exists only in secure contexts (https, localhost): a v4 UUID by hand.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

async function pay(action, path, body) {
  const bodyText = JSON.stringify(body ?? null);
  let entry = pendingKeys.get(action);
  if (!entry || entry.body !== bodyText) {
    entry = { key: newKey(), body: bodyText };
    pendingKeys.set(action, entry);
  }
  const result = await api('POST', path, { body, idempotencyKey: entry.key });
  pendingKeys.delete(action);
  return result;
}

/**
 * Loads one section: only the answer to the latest request of `name` in the
 * current session is rendered (a quicker answer to an older filter is not).
 * Errors go to `errorBox`. Answers true when it rendered, false when it
 * failed (the error is shown), null when a newer request or a sign-out made
 * the answer moot.
 */
const latestRequest = new Map(); // name → request number
async function load(name, errorBox, fetcher, render) {
  const gen = generation;
  const n = (latestRequest.get(name) ?? 0) + 1;
  latestRequest.set(name, n);
  const current = () => gen === generation && latestRequest.get(name) === n;
  clearError(errorBox);
  try {
    const data = await fetcher();
    if (!current()) return null;
    render(data);
    return true;
  } catch (err) {
    if (!current()) return null;
    showError(errorBox, err);
    return false;
  }
}

// --- state --------------------------------------------------------------------------

let queue = []; // CampaignView[] pending review, oldest first
let campaigns = []; // CampaignView[] of the campaign list (current filter), newest first
let users = []; // users of the user list (current filter), newest first
let withdrawals = []; // admin withdrawal views (with email) of the withdrawal list (current filter), newest first
const busyReview = new Map(); // campaign id → 'approve' | 'reject' while its request runs
const busyWithdrawal = new Map(); // withdrawal id → 'approve' | 'reject' while its request runs
let qualityCampaignId = null;

// --- sign-in ----------------------------------------------------------------------

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const errorBox = $('login-error');
  clearError(errorBox);
  $('login-submit').disabled = true;
  try {
    session = null;
    const resp = await api('POST', '/api/auth/login', {
      body: { email: $('login-email').value.trim(), password: $('login-password').value },
    });
    if (resp.user?.role !== 'admin') {
      // This page cannot use the session: end it at once instead of keeping the token.
      await fetch('/api/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${resp.token}` } }).catch(() => {});
      errorBox.dataset.code = 'not_an_admin';
      errorBox.replaceChildren(`This page is for administrators; ${resp.user?.email ?? 'this account'} is a `
        + `${ROLE_TEXT[resp.user?.role] ?? 'different'} account.`);
      if (resp.user?.role === 'buyer') {
        errorBox.append(' Buyers use the ', h('a', { href: 'buyer.html' }, 'buyer dashboard'), '.');
      } else if (resp.user?.role === 'contributor') {
        errorBox.append(' Contributors use the ', h('a', { href: 'contribute.html' }, 'contributor page'), '.');
      }
      return;
    }
    session = { token: resp.token, expires_at: resp.expires_at, user: resp.user };
    sessionStorage.setItem(TOKEN_KEY, JSON.stringify(session));
    $('login-password').value = '';
    await afterSignIn();
  } catch (err) {
    showError(errorBox, err);
  } finally {
    $('login-submit').disabled = false;
  }
});

$('logout-button').addEventListener('click', async () => {
  const token = session?.token;
  signOut();
  $('login-email').focus();
  if (token) {
    await fetch('/api/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${token}` } }).catch(() => {});
  }
});

async function afterSignIn() {
  show($('login-form'), false);
  show($('session'));
  show($('dashboard'));
  $('session-email').textContent = session.user.email;
  clearError($('session-error'));
  // Each section shows its own errors: one failing (the key holder down) leaves the rest working.
  await Promise.all([refreshQueue(), refreshCampaigns(), refreshWithdrawals(), refreshUsers(), refreshAudit(),
    refreshDecryptions()]);
}

/** Forgets the session and everything shown for it. */
function signOut(message = '') {
  session = null;
  generation += 1;
  sessionStorage.removeItem(TOKEN_KEY);
  queue = [];
  campaigns = [];
  users = [];
  withdrawals = [];
  busyReview.clear();
  busyWithdrawal.clear();
  pendingKeys.clear();
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
  show($('dashboard'), false);
  show($('session'), false);
  show($('login-form'));
  $('login-password').value = '';
  const box = $('login-error');
  box.textContent = message;
  if (message) box.dataset.code = 'session_expired';
  else delete box.dataset.code;
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
  return h('dl', {}, items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
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

async function refreshQueue() {
  const list = $('review-queue');
  list.setAttribute('aria-busy', 'true');
  await load('queue', $('review-error'), () => api('GET', '/api/campaigns?status=pending_review&limit=200'), (data) => {
    queue = data.filter((c) => c.status === 'pending_review').sort((a, b) => a.id - b.id);
    // Keep what the admin typed into notes and reasons across the re-render.
    const typed = new Map([...list.children].map((li) => [li.dataset.campaignId, {
      note: li.querySelector('.approve-note')?.value,
      reason: li.querySelector('.reject-reason')?.value,
    }]));
    list.replaceChildren(...queue.map((c) => reviewRow(c, typed.get(String(c.id)))));
    list.dataset.loaded = 'true';
    updateQueueCount();
  });
  list.removeAttribute('aria-busy');
}

function updateQueueCount() {
  const n = $('review-queue').children.length;
  $('review-count').textContent = `(${n})`;
  show($('review-empty'), n === 0);
}

function reviewRow(c, typed = {}) {
  const id = c.id;
  const busy = busyReview.get(id);
  const noteId = `approve-note-${id}`;
  const reasonId = `reject-reason-${id}`;
  const reason = h('textarea', {
    id: reasonId, class: 'reject-reason', maxlength: MAX_REASON, rows: 3,
    'aria-describedby': `${reasonId}-hint ${reasonId}-error`,
  });
  reason.value = typed.reason ?? '';

  const approveForm = h('form', {
    class: 'approve-form', novalidate: true, 'aria-label': `Approve “${c.title}”`,
    onsubmit: (e) => { e.preventDefault(); approveCampaign(c); },
  },
  h('label', { for: noteId }, 'Approval note ', h('span', { class: 'hint inline' }, '(optional)')),
  h('input', {
    id: noteId, class: 'approve-note', type: 'text', maxlength: MAX_REASON, autocomplete: 'off',
    value: typed.note ?? '', 'aria-describedby': `${noteId}-error`,
  }),
  h('p', { id: `${noteId}-error`, class: 'error field-error' }),
  h('div', {}, h('button', { type: 'submit', id: `approve-${id}`, disabled: !!busy, 'aria-describedby': `review-title-${id}` },
    busy === 'approve' ? 'Approving…' : 'Approve')));

  const rejectForm = h('form', {
    class: 'reject-form', novalidate: true, 'aria-label': `Reject “${c.title}”`,
    onsubmit: (e) => { e.preventDefault(); rejectCampaign(c); },
  },
  h('label', { for: reasonId }, 'Reason for rejecting ', h('span', { class: 'hint inline' }, '(required)')),
  reason,
  h('span', { id: `${reasonId}-hint`, class: 'hint' },
    `Shown to the buyer; up to ${fmtInt(MAX_REASON)} characters. Their escrow (${tokens(c.escrow_balance)}) is refunded.`),
  h('p', { id: `${reasonId}-error`, class: 'error field-error' }),
  h('div', {}, h('button', { type: 'submit', id: `reject-${id}`, disabled: !!busy, 'aria-describedby': `review-title-${id}` },
    busy === 'reject' ? 'Rejecting…' : 'Reject and refund')));

  return h('li', {
    class: 'item', 'data-campaign-id': id, 'data-status': c.status, 'aria-labelledby': `review-title-${id}`,
    'aria-busy': busy ? 'true' : null,
  },
  h('div', { class: 'row-head' },
    h('h3', { id: `review-title-${id}`, tabindex: -1 }, c.title, ' ', h('span', { class: 'muted' }, `#${id}`)),
    h('span', { class: 'badge', 'data-status': c.status }, CAMPAIGN_STATUS_TEXT[c.status] ?? c.status)),
  c.description?.trim()
    ? h('p', { class: 'description' }, c.description)
    : h('p', { class: 'description muted' }, 'No description.'),
  campaignFacts(c, { review: true }),
  h('h4', {}, 'Record fields'),
  schemaView(c),
  h('div', { class: 'review-forms' }, approveForm, rejectForm),
  h('p', { id: `review-error-${id}`, class: 'error', role: 'alert' }));
}

/** Disables (or re-enables) a queue row's buttons while its approval or rejection runs. */
function setReviewBusy(id, what) {
  if (what) busyReview.set(id, what);
  else busyReview.delete(id);
  const row = $('review-queue').querySelector(`:scope > [data-campaign-id="${id}"]`);
  if (!row) return;
  if (what) row.setAttribute('aria-busy', 'true');
  else row.removeAttribute('aria-busy');
  const approve = $(`approve-${id}`);
  const reject = $(`reject-${id}`);
  if (approve) {
    approve.disabled = !!what;
    approve.textContent = what === 'approve' ? 'Approving…' : 'Approve';
  }
  if (reject) {
    reject.disabled = !!what;
    reject.textContent = what === 'reject' ? 'Rejecting…' : 'Reject and refund';
  }
}

/** Takes a campaign out of the queue; focus moves to the next one when it was in the row. */
function removeReviewRow(id) {
  queue = queue.filter((c) => c.id !== id);
  const row = $('review-queue').querySelector(`:scope > [data-campaign-id="${id}"]`);
  if (!row) return;
  const active = document.activeElement;
  const hadFocus = !active || active === document.body || row.contains(active);
  const next = row.nextElementSibling ?? row.previousElementSibling;
  row.remove();
  updateQueueCount();
  if (hadFocus) (next ? $(`review-title-${next.dataset.campaignId}`) : $('review-heading')).focus();
}

/** A refused review because the campaign moved on: say so at the top, and reload. */
function reviewConflict(err) {
  showError($('review-error'), err);
  refreshQueue();
  refreshCampaigns();
}

async function approveCampaign(c) {
  const id = c.id;
  if (busyReview.has(id) || !session) return;
  const gen = generation;
  const noteEl = $(`approve-note-${id}`);
  const errorBox = $(`review-error-${id}`);
  clearInvalid(noteEl);
  clearError(errorBox);
  const note = noteEl.value.trim();
  if (chars(note) > MAX_REASON) {
    invalid(noteEl, `The note is at most ${fmtInt(MAX_REASON)} characters (this one has ${fmtInt(chars(note))}).`);
    return;
  }
  setReviewBusy(id, 'approve');
  $('review-status').textContent = `Approving “${c.title}” (#${id}): the key holder is generating the campaign's keys; `
    + 'this can take a minute or two.';
  try {
    const view = await api('POST', `/api/admin/campaigns/${id}/approve`, { body: note ? { note } : {} });
    if (gen !== generation) return;
    busyReview.delete(id);
    applyCampaign(view);
    $('review-status').textContent = `“${view.title}” (#${id}) was approved; its buyer can now open it for contributions.`;
    refreshAudit();
  } catch (err) {
    if (gen !== generation) return;
    setReviewBusy(id, null);
    $('review-status').textContent = '';
    if (err.code === 'invalid_state' || err.status === 404) {
      reviewConflict(err);
    } else {
      if (err.code === 'invalid_reason') invalid(noteEl, sentence(err.message));
      showError(errorBox, err, 'Approval failed: ');
      refocus($(`approve-${id}`), $(`approve-${id}`));
    }
  }
}

async function rejectCampaign(c) {
  const id = c.id;
  if (busyReview.has(id) || !session) return;
  const gen = generation;
  const reasonEl = $(`reject-reason-${id}`);
  const errorBox = $(`review-error-${id}`);
  clearInvalid(reasonEl);
  clearError(errorBox);
  const reason = reasonEl.value.trim();
  if (!reason) {
    invalid(reasonEl, 'Give the buyer a reason for the rejection.');
    return;
  }
  if (chars(reason) > MAX_REASON) {
    invalid(reasonEl, `The reason is at most ${fmtInt(MAX_REASON)} characters (this one has ${fmtInt(chars(reason))}).`);
    return;
  }
  setReviewBusy(id, 'reject');
  $('review-status').textContent = `Rejecting “${c.title}” (#${id})…`;
  try {
    const { campaign, transfer } = await pay(`reject:${id}`, `/api/admin/campaigns/${id}/reject`, { reason });
    if (gen !== generation) return;
    busyReview.delete(id);
    applyCampaign(campaign);
    $('review-status').textContent = `“${campaign.title}” (#${id}) was rejected; `
      + (transfer ? `${tokens(transfer.amount)} of escrow went back to buyer #${campaign.buyer_id}.` : 'there was no escrow to refund.');
    refreshAudit();
  } catch (err) {
    if (gen !== generation) return;
    setReviewBusy(id, null);
    $('review-status').textContent = '';
    if (err.code === 'invalid_state' || err.status === 404) {
      reviewConflict(err);
    } else if (err.code === 'invalid_reason') {
      invalid(reasonEl, sentence(err.message));
    } else {
      showError(errorBox, err, 'Rejection failed: ');
      refocus($(`reject-${id}`), $(`reject-${id}`));
    }
  }
}

$('refresh-review').addEventListener('click', async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  $('review-status').textContent = '';
  await refreshQueue();
  button.disabled = false;
  if (!$('review-error').textContent) $('review-status').textContent = 'Review queue refreshed.';
});

// --- all campaigns ----------------------------------------------------------------------

async function refreshCampaigns() {
  const status = $('campaign-status-filter').value;
  const list = $('campaign-list');
  list.setAttribute('aria-busy', 'true');
  const query = status ? `&status=${encodeURIComponent(status)}` : '';
  await load('campaigns', $('campaigns-error'), () => api('GET', `/api/campaigns?limit=200${query}`), (data) => {
    campaigns = data.sort((a, b) => b.id - a.id);
    const typed = new Map([...list.querySelectorAll('.campaign-suspend-reason')].map((i) => [i.dataset.campaignId, i.value]));
    list.replaceChildren(...campaigns.map((c) => campaignRow(c, typed.get(String(c.id)))));
    list.dataset.loaded = 'true';
    list.dataset.filter = status;
    show($('campaigns-empty'), campaigns.length === 0);
  });
  list.removeAttribute('aria-busy');
}

function campaignRow(c, typedReason = '') {
  const id = c.id;
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
      type: 'button', id: `quality-${id}`, 'aria-controls': 'quality', 'aria-describedby': `campaign-title-${id}`,
      onclick: () => { showQuality(id); $('quality-title').focus(); },
    }, 'Quality signals'));
  }
  if (c.status === 'approved' || c.status === 'open') {
    const reasonId = `suspend-campaign-reason-${id}`;
    actions.push(h('form', {
      class: 'inline-form campaign-suspend-form', novalidate: true, 'aria-label': `Suspend “${c.title}”`,
      onsubmit: (e) => { e.preventDefault(); suspendCampaign(c); },
    },
    h('label', { for: reasonId }, 'Reason for suspending ', h('span', { class: 'hint inline' }, '(shown to the buyer)')),
    h('input', {
      id: reasonId, class: 'campaign-suspend-reason', type: 'text', maxlength: MAX_REASON, autocomplete: 'off',
      value: typedReason ?? '', 'data-campaign-id': id, 'aria-describedby': `${reasonId}-error`,
    }),
    h('button', { type: 'submit', id: `suspend-campaign-${id}`, 'aria-describedby': `campaign-title-${id}` }, 'Suspend'),
    h('p', { id: `${reasonId}-error`, class: 'error field-error', style: 'flex-basis: 100%' })));
  } else if (c.status === 'suspended') {
    actions.push(h('button', {
      type: 'button', id: `resume-campaign-${id}`, 'aria-describedby': `campaign-title-${id}`,
      onclick: (e) => resumeCampaign(c, e.currentTarget),
    }, 'Resume (open again)'));
  }
  let confirmBox = null;
  if (c.status === 'approved' || c.status === 'open' || c.status === 'suspended') {
    const boxId = `close-box-${id}`;
    const closeButton = h('button', {
      type: 'button', id: `close-${id}`, 'aria-expanded': 'false', 'aria-controls': boxId, 'aria-describedby': `campaign-title-${id}`,
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

  return h('li', { class: 'item', 'data-campaign-id': id, 'data-status': c.status, 'aria-labelledby': `campaign-title-${id}` },
    h('div', { class: 'row-head' },
      h('h3', { id: `campaign-title-${id}`, tabindex: -1 }, c.title, ' ', h('span', { class: 'muted' }, `#${id}`)),
      h('span', { class: 'badge status', 'data-status': c.status }, CAMPAIGN_STATUS_TEXT[c.status] ?? c.status)),
    campaignFacts(c),
    h('details', {}, h('summary', {}, 'Description and record fields'),
      c.description?.trim() ? h('p', { class: 'description' }, c.description) : null,
      schemaView(c)),
    notes,
    actions.length ? h('div', { class: 'actions' }, actions) : null,
    confirmBox,
    h('p', { id: `campaign-error-${id}`, class: 'error', role: 'alert' }));
}

async function closeCampaign(c, button) {
  const id = c.id;
  const gen = generation;
  clearError($(`campaign-error-${id}`));
  $('campaigns-status').textContent = '';
  button.disabled = true;
  try {
    const { campaign, transfer } = await pay(`close:${id}`, `/api/campaigns/${id}/close`);
    if (gen !== generation) return;
    applyCampaign(campaign);
    $('campaigns-status').textContent = `“${campaign.title}” (#${id}) is closed`
      + (transfer ? `; ${tokens(transfer.amount)} of escrow went back to buyer #${campaign.buyer_id}.` : '.');
    refocus($(`campaign-title-${id}`) ?? $('campaigns-heading'));
    refreshAudit();
  } catch (err) {
    if (gen !== generation) return;
    if ($(`campaign-error-${id}`)) showError($(`campaign-error-${id}`), err, 'Closing failed: ');
    else showError($('campaigns-error'), err, `Closing campaign #${id} failed: `);
    if (button.isConnected) {
      button.disabled = false;
      refocus(button);
    }
  }
}

async function suspendCampaign(c) {
  const id = c.id;
  const gen = generation;
  const reasonEl = $(`suspend-campaign-reason-${id}`);
  const button = $(`suspend-campaign-${id}`);
  if (!reasonEl || !button || button.disabled) return;
  clearInvalid(reasonEl);
  clearError($(`campaign-error-${id}`));
  $('campaigns-status').textContent = '';
  const reason = reasonEl.value.trim();
  if (!reason) {
    invalid(reasonEl, 'Give a reason for suspending the campaign (its buyer sees it).');
    return;
  }
  if (chars(reason) > MAX_REASON) {
    invalid(reasonEl, `The reason is at most ${fmtInt(MAX_REASON)} characters (this one has ${fmtInt(chars(reason))}).`);
    return;
  }
  button.disabled = true;
  try {
    const view = await api('POST', `/api/admin/campaigns/${id}/suspend`, { body: { reason } });
    if (gen !== generation) return;
    applyCampaign(view);
    $('campaigns-status').textContent = `“${view.title}” (#${id}) is suspended: it takes no contributions until it is resumed.`;
    refocus($(`campaign-title-${id}`) ?? $('campaigns-heading'), button);
    refreshAudit();
  } catch (err) {
    if (gen !== generation) return;
    if (button.isConnected) button.disabled = false;
    if (err.code === 'invalid_reason' && reasonEl.isConnected) invalid(reasonEl, sentence(err.message));
    else campaignActionFailed(id, err, 'Suspending failed: ', button);
  }
}

async function resumeCampaign(c, button) {
  const id = c.id;
  const gen = generation;
  clearError($(`campaign-error-${id}`));
  $('campaigns-status').textContent = '';
  button.disabled = true;
  try {
    const view = await api('POST', `/api/admin/campaigns/${id}/resume`, { body: {} });
    if (gen !== generation) return;
    applyCampaign(view);
    $('campaigns-status').textContent = `“${view.title}” (#${id}) is ${CAMPAIGN_STATUS_TEXT[view.status] ?? view.status} again.`;
    refocus($(`campaign-title-${id}`) ?? $('campaigns-heading'), button);
    refreshAudit();
  } catch (err) {
    if (gen !== generation) return;
    if (button.isConnected) button.disabled = false;
    campaignActionFailed(id, err, 'Resuming failed: ', button);
  }
}

/** Shows a failed campaign action in its row (or at the top when the row is gone). */
function campaignActionFailed(id, err, prefix, button) {
  if ($(`campaign-error-${id}`)) showError($(`campaign-error-${id}`), err, prefix);
  else showError($('campaigns-error'), err, `Campaign #${id}: ${prefix}`);
  if (button?.isConnected) refocus(button);
}

$('campaign-status-filter').addEventListener('change', () => {
  $('campaigns-status').textContent = '';
  refreshCampaigns();
});

$('refresh-campaigns').addEventListener('click', async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  $('campaigns-status').textContent = '';
  await refreshCampaigns();
  button.disabled = false;
  if (!$('campaigns-error').textContent) $('campaigns-status').textContent = 'Campaigns refreshed.';
});

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
  const ok = await load('quality', $('quality-error'), () => api('GET', `/api/admin/campaigns/${id}/quality`), (q) => {
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
  if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: 2 }, 'No submission was rejected.')));
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

async function refreshWithdrawals() {
  const status = $('withdrawal-status-filter').value;
  const list = $('withdrawal-list');
  list.setAttribute('aria-busy', 'true');
  const query = status ? `?status=${encodeURIComponent(status)}` : '';
  await load('withdrawals', $('withdrawals-error'), () => api('GET', `/api/admin/withdrawals${query}`), (data) => {
    withdrawals = [...data].sort((a, b) => b.id - a.id);
    // Keep what the admin typed into rejection reasons across the re-render.
    const typed = new Map([...list.querySelectorAll('.reject-withdrawal-reason')].map((t) => [t.dataset.withdrawalId, t.value]));
    list.replaceChildren(...withdrawals.map((w) => withdrawalRow(w, typed.get(String(w.id)))));
    list.dataset.loaded = 'true';
    list.dataset.filter = status;
    updateWithdrawalCount();
  });
  list.removeAttribute('aria-busy');
}

function updateWithdrawalCount() {
  const n = $('withdrawal-list').children.length;
  $('withdrawal-count').textContent = `(${n})`;
  show($('withdrawals-empty'), n === 0);
}

function withdrawalRow(w, typedReason = '') {
  const id = w.id;
  const busy = busyWithdrawal.get(id);
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
    const reasonId = `reject-withdrawal-reason-${id}`;
    const reason = h('textarea', {
      id: reasonId, class: 'reject-withdrawal-reason', maxlength: MAX_REASON, rows: 2, 'data-withdrawal-id': id,
      'aria-describedby': `${reasonId}-hint ${reasonId}-error`,
    });
    reason.value = typedReason ?? '';
    forms = h('div', { class: 'withdrawal-forms' },
      h('div', {},
        h('button', {
          type: 'button', id: `approve-withdrawal-${id}`, disabled: !!busy, 'aria-describedby': titleId,
          onclick: () => approveWithdrawal(w),
        }, busy === 'approve' ? 'Approving…' : 'Approve and pay out')),
      h('form', {
        class: 'reject-withdrawal-form', novalidate: true, 'aria-label': `Reject withdrawal #${id}`,
        onsubmit: (e) => { e.preventDefault(); rejectWithdrawal(w); },
      },
      h('label', { for: reasonId }, 'Reason for rejecting ', h('span', { class: 'hint inline' }, '(required)')),
      reason,
      h('span', { id: `${reasonId}-hint`, class: 'hint' },
        `Shown to the requester; up to ${fmtInt(MAX_REASON)} characters. The ${tokens(w.amount)} go back to their wallet.`),
      h('p', { id: `${reasonId}-error`, class: 'error field-error' }),
      h('div', {}, h('button', { type: 'submit', id: `reject-withdrawal-${id}`, disabled: !!busy, 'aria-describedby': titleId },
        busy === 'reject' ? 'Rejecting…' : 'Reject and return tokens'))));
  }

  return h('li', {
    class: 'item withdrawal', 'data-withdrawal-id': id, 'data-status': w.status, 'aria-labelledby': titleId,
    'aria-busy': busy ? 'true' : null,
  },
  h('div', { class: 'row-head' },
    h('h3', { id: titleId, tabindex: -1 }, `Withdrawal #${id}: ${tokens(w.amount)}`),
    h('span', { class: 'badge status', 'data-status': w.status }, WITHDRAWAL_STATUS_TEXT[w.status] ?? w.status)),
  h('dl', {}, facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
  forms,
  h('p', { id: `withdrawal-result-${id}`, class: 'status ok' }),
  h('p', { id: `withdrawal-error-${id}`, class: 'error', role: 'alert' }));
}

/** Disables (or re-enables) a withdrawal row's buttons while its approval or rejection runs. */
function setWithdrawalBusy(id, what) {
  if (what) busyWithdrawal.set(id, what);
  else busyWithdrawal.delete(id);
  const row = $('withdrawal-list').querySelector(`:scope > [data-withdrawal-id="${id}"]`);
  if (!row) return;
  if (what) row.setAttribute('aria-busy', 'true');
  else row.removeAttribute('aria-busy');
  const approve = $(`approve-withdrawal-${id}`);
  const reject = $(`reject-withdrawal-${id}`);
  if (approve) {
    approve.disabled = !!what;
    approve.textContent = what === 'approve' ? 'Approving…' : 'Approve and pay out';
  }
  if (reject) {
    reject.disabled = !!what;
    reject.textContent = what === 'reject' ? 'Rejecting…' : 'Reject and return tokens';
  }
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
  const list = $('withdrawal-list');
  const row = list.querySelector(`:scope > [data-withdrawal-id="${w.id}"]`);
  $('withdrawals-status').textContent = message;
  if (!filter || w.status === filter) {
    withdrawals = withdrawals.map((x) => (x.id === w.id ? w : x));
    if (row) {
      const active = document.activeElement;
      const hadFocus = !active || active === document.body || row.contains(active);
      const fresh = withdrawalRow(w);
      row.replaceWith(fresh);
      $(`withdrawal-result-${w.id}`).textContent = message;
      if (hadFocus) $(`withdrawal-title-${w.id}`).focus();
    }
  } else {
    withdrawals = withdrawals.filter((x) => x.id !== w.id);
    if (row) {
      const active = document.activeElement;
      const hadFocus = !active || active === document.body || row.contains(active);
      const next = row.nextElementSibling ?? row.previousElementSibling;
      row.remove();
      if (hadFocus) (next ? $(`withdrawal-title-${next.dataset.withdrawalId}`) : $('withdrawals-heading')).focus();
    }
  }
  updateWithdrawalCount();
}

/** A failed decision: the error goes to the row (or the top when the row is gone). */
function withdrawalFailed(id, err, prefix) {
  if ($(`withdrawal-error-${id}`)) showError($(`withdrawal-error-${id}`), err, prefix);
  else showError($('withdrawals-error'), err, `Withdrawal #${id}: ${prefix}`);
}

async function approveWithdrawal(w) {
  const id = w.id;
  if (busyWithdrawal.has(id) || !session) return;
  const gen = generation;
  clearError($(`withdrawal-error-${id}`));
  clearInvalid($(`reject-withdrawal-reason-${id}`));
  $('withdrawals-status').textContent = '';
  setWithdrawalBusy(id, 'approve');
  try {
    const view = await api('POST', `/api/admin/withdrawals/${id}/approve`, { body: {} });
    if (gen !== generation) return;
    busyWithdrawal.delete(id);
    applyWithdrawal(view, `Withdrawal #${id} approved: ${tokens(view.amount)} paid out to ${view.address}`
      + (view.settle_transfer_id != null ? ` (transfer #${view.settle_transfer_id}).` : '.'));
    refreshAudit();
  } catch (err) {
    if (gen !== generation) return;
    setWithdrawalBusy(id, null);
    withdrawalFailed(id, err, 'Approval failed: ');
    const button = $(`approve-withdrawal-${id}`);
    if (button) refocus(button, button);
  }
}

async function rejectWithdrawal(w) {
  const id = w.id;
  if (busyWithdrawal.has(id) || !session) return;
  const gen = generation;
  const reasonEl = $(`reject-withdrawal-reason-${id}`);
  clearInvalid(reasonEl);
  clearError($(`withdrawal-error-${id}`));
  $('withdrawals-status').textContent = '';
  const reason = reasonEl.value.trim();
  if (!reason) {
    invalid(reasonEl, 'Give the requester a reason for the rejection.');
    return;
  }
  if (chars(reason) > MAX_REASON) {
    invalid(reasonEl, `The reason is at most ${fmtInt(MAX_REASON)} characters (this one has ${fmtInt(chars(reason))}).`);
    return;
  }
  setWithdrawalBusy(id, 'reject');
  try {
    const view = await api('POST', `/api/admin/withdrawals/${id}/reject`, { body: { reason } });
    if (gen !== generation) return;
    busyWithdrawal.delete(id);
    const who = w.email ? `${w.email}'s` : `user #${w.user_id}'s`;
    applyWithdrawal(view, `Withdrawal #${id} rejected: ${tokens(view.amount)} went back to ${who} wallet.`);
    refreshAudit();
  } catch (err) {
    if (gen !== generation) return;
    setWithdrawalBusy(id, null);
    if (err.code === 'invalid_reason' && reasonEl.isConnected) {
      invalid(reasonEl, sentence(err.message));
    } else {
      withdrawalFailed(id, err, 'Rejection failed: ');
      const button = $(`reject-withdrawal-${id}`);
      if (button) refocus(button, button);
    }
  }
}

$('withdrawal-status-filter').addEventListener('change', () => {
  $('withdrawals-status').textContent = '';
  refreshWithdrawals();
});

$('refresh-withdrawals').addEventListener('click', async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  $('withdrawals-status').textContent = '';
  await refreshWithdrawals();
  button.disabled = false;
  if (!$('withdrawals-error').textContent) $('withdrawals-status').textContent = 'Withdrawals refreshed.';
});

// --- users ----------------------------------------------------------------------------

async function refreshUsers() {
  const role = $('user-role-filter').value;
  const list = $('user-list');
  list.setAttribute('aria-busy', 'true');
  const query = role ? `&role=${encodeURIComponent(role)}` : '';
  await load('users', $('users-error'), () => api('GET', `/api/admin/users?limit=200${query}`), (data) => {
    users = data;
    const typed = new Map([...list.querySelectorAll('.suspend-reason')].map((i) => [i.dataset.userId, i.value]));
    list.replaceChildren(...users.map((u) => userRow(u, typed.get(String(u.id)))));
    list.dataset.loaded = 'true';
    list.dataset.role = role;
    show($('users-empty'), users.length === 0);
  });
  list.removeAttribute('aria-busy');
}

function userRow(u, typedReason = '') {
  const id = u.id;
  const suspended = u.suspended_at != null;
  const reasonId = `suspend-reason-${id}`;
  const actions = [];
  if (suspended) {
    actions.push(h('button', {
      type: 'button', id: `unsuspend-${id}`, 'aria-describedby': `user-title-${id}`, onclick: (e) => unsuspendUser(u, e.currentTarget),
    },
      'Unsuspend'));
  } else if (u.role !== 'admin') {
    actions.push(h('form', {
      class: 'inline-form suspend-form', novalidate: true, 'aria-label': `Suspend ${u.email}`,
      onsubmit: (e) => { e.preventDefault(); suspendUser(u); },
    },
    h('label', { for: reasonId }, 'Reason for suspending'),
    h('input', {
      id: reasonId, class: 'suspend-reason', type: 'text', maxlength: MAX_REASON, autocomplete: 'off',
      value: typedReason ?? '', 'data-user-id': id, 'aria-describedby': `${reasonId}-error`,
    }),
    h('button', { type: 'submit', id: `suspend-${id}`, 'aria-describedby': `user-title-${id}` }, 'Suspend'),
    h('p', { id: `${reasonId}-error`, class: 'error field-error', style: 'flex-basis: 100%' })));
  } else {
    actions.push(h('p', { class: 'hint' }, 'Administrators cannot be suspended.'));
  }
  actions.push(h('button', {
    type: 'button', id: `mint-for-${id}`, 'aria-describedby': `user-title-${id}`,
    onclick: () => {
      $('mint-user').value = String(id);
      clearInvalid($('mint-user'));
      $('mint-amount').focus();
    },
  }, 'Mint tokens…'));

  return h('li', {
    class: 'item user', 'data-user-id': id, 'data-suspended': String(suspended), 'data-role': u.role,
    'aria-labelledby': `user-title-${id}`,
  },
  h('div', { class: 'row-head' },
    h('h3', { id: `user-title-${id}`, tabindex: -1 }, u.email, ' ', h('span', { class: 'muted' }, `#${id}`)),
    h('span', {},
      h('span', { class: 'badge', 'data-role': u.role }, ROLE_TEXT[u.role] ?? u.role),
      suspended ? [' ', h('span', { class: 'badge', 'data-status': 'suspended' }, 'suspended')] : null)),
  h('p', { class: 'meta hint' }, `Joined ${fmtDate(u.created_at)}`,
    suspended ? ` · suspended since ${fmtDate(u.suspended_at)}` : ''),
  h('div', { class: 'actions' }, actions),
  h('p', { id: `user-error-${id}`, class: 'error', role: 'alert' }));
}

/** Puts a changed user into the list in place. */
function replaceUser(u) {
  users = users.map((x) => (x.id === u.id ? u : x));
  const old = $('user-list').querySelector(`:scope > [data-user-id="${u.id}"]`);
  const row = userRow(u);
  if (old) old.replaceWith(row);
  return row;
}

async function suspendUser(u) {
  const id = u.id;
  const gen = generation;
  const reasonEl = $(`suspend-reason-${id}`);
  const button = $(`suspend-${id}`);
  clearInvalid(reasonEl);
  clearError($(`user-error-${id}`));
  $('users-status').textContent = '';
  const reason = reasonEl.value.trim();
  if (!reason) {
    invalid(reasonEl, 'Give a reason for the suspension (it is kept in the audit log).');
    return;
  }
  if (chars(reason) > MAX_REASON) {
    invalid(reasonEl, `The reason is at most ${fmtInt(MAX_REASON)} characters (this one has ${fmtInt(chars(reason))}).`);
    return;
  }
  button.disabled = true;
  try {
    const user = await api('POST', `/api/admin/users/${id}/suspend`, { body: { reason } });
    if (gen !== generation) return;
    replaceUser(user);
    $('users-status').textContent = `${user.email} (#${id}) is suspended.`;
    refocus($(`user-title-${id}`), button);
    refreshAudit();
  } catch (err) {
    if (gen !== generation) return;
    if (button.isConnected) button.disabled = false;
    if (err.code === 'invalid_reason' && reasonEl.isConnected) invalid(reasonEl, sentence(err.message));
    else showError($(`user-error-${id}`), err, 'Suspending failed: ');
  }
}

async function unsuspendUser(u, button) {
  const id = u.id;
  const gen = generation;
  clearError($(`user-error-${id}`));
  $('users-status').textContent = '';
  button.disabled = true;
  try {
    const user = await api('POST', `/api/admin/users/${id}/unsuspend`, { body: {} });
    if (gen !== generation) return;
    replaceUser(user);
    $('users-status').textContent = `${user.email} (#${id}) is no longer suspended.`;
    refocus($(`user-title-${id}`), button);
    refreshAudit();
  } catch (err) {
    if (gen !== generation) return;
    if (button.isConnected) button.disabled = false;
    showError($(`user-error-${id}`), err, 'Unsuspending failed: ');
  }
}

$('user-role-filter').addEventListener('change', () => {
  $('users-status').textContent = '';
  refreshUsers();
});

$('refresh-users').addEventListener('click', async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  $('users-status').textContent = '';
  await refreshUsers();
  button.disabled = false;
  if (!$('users-error').textContent) $('users-status').textContent = 'Users refreshed.';
});

// --- mint -------------------------------------------------------------------------------

/** Reads a whole number ≥ 1 from an input, or marks it invalid and answers null. */
function readPositive(input, what, errors) {
  const text = input.value.trim();
  const v = Number(text);
  if (input.validity.badInput || text === '' || !Number.isSafeInteger(v) || v < 1) {
    errors.push([input, `${what} must be a whole number, 1 or more.`]);
    return null;
  }
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
  if (chars(memo) > MAX_MEMO) errors.push([memoEl, `The memo is at most ${MAX_MEMO} characters (this one has ${fmtInt(chars(memo))}).`]);
  if (errors.length) {
    for (const [el, msg] of [...errors].reverse()) invalid(el, msg); // the first one keeps the focus
    $('mint-error').textContent = errors.length === 1 ? 'Please fix the problem marked above.' : `Please fix the ${errors.length} problems marked above.`;
    $('mint-error').dataset.code = 'client_validation';
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
  const ok = await load('ledger', $('ledger-error'), () => api('GET', '/api/admin/ledger/audit'), renderLedger);
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
  table.setAttribute('aria-busy', 'true');
  await load('audit', $('audit-error'), () => api('GET', '/api/admin/audit?limit=100'), (entries) => {
    const rows = entries.map((e) => h('tr', { 'data-action': e.action, 'data-audit-id': e.id },
      h('td', { class: 'when' }, fmtDate(e.created_at)),
      h('td', {}, e.actor_email ?? (e.actor_id != null ? `user #${e.actor_id}` : 'system')),
      h('td', {}, ACTION_TEXT[e.action] ?? String(e.action).replaceAll('_', ' ')),
      h('td', {}, e.subject ?? '—'),
      h('td', { class: 'detail' }, describeDetail(e.detail))));
    if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: 5 }, 'No administrator actions yet.')));
    table.tBodies[0].replaceChildren(...rows);
    table.dataset.loaded = 'true';
  });
  table.removeAttribute('aria-busy');
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

$('refresh-audit').addEventListener('click', async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  await refreshAudit();
  button.disabled = false;
});

// --- keyholder decryptions ----------------------------------------------------------------

async function refreshDecryptions() {
  const table = $('decryptions');
  table.setAttribute('aria-busy', 'true');
  const ok = await load('decryptions', $('decryptions-error'), () => api('GET', '/api/admin/decryptions'), (entries) => {
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
    if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: 10 }, 'The key holder has not been asked to decrypt anything yet.')));
    table.tBodies[0].replaceChildren(...rows);
    table.dataset.loaded = 'true';
  });
  // The key holder may be down: its rows would be stale, so drop them; the message says why.
  if (ok === false) {
    table.tBodies[0].replaceChildren(h('tr', {}, h('td', { colspan: 10 }, 'Not available right now; use “Refresh” to try again.')));
    table.dataset.loaded = 'error';
  }
  table.removeAttribute('aria-busy');
}

$('refresh-decryptions').addEventListener('click', async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  await refreshDecryptions();
  button.disabled = false;
});

// --- start --------------------------------------------------------------------------

if (session) afterSignIn();
