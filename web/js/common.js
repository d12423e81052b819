// @ts-check
// What the contributor page, the buyer dashboard and the admin page share:
// DOM and formatting helpers, the API client (bearer token, JSON errors as
// ApiError), Idempotency-Keys for calls that move tokens, error and
// validation messages, latest() for answers that a newer request or a
// sign-out made stale, the sign-in form of the three pages and the sign-out
// of the buyer and admin pages. Each page keeps its own session (and its own
// sessionStorage key); this module holds no state of its own beyond what a
// page asks it to make.

/** @typedef {import('./api-types').Status} CampaignStatus the server's campaign states (its schema "Status") */

/**
 * The page's element with this id. Typed `any`: the pages know which kind of
 * element each of their ids is (input, table, output…).
 * @type {(id: string) => any}
 */
export const $ = (id) => document.getElementById(id);

export function show(el, on = true) {
  el.hidden = !on;
}

// --- elements -----------------------------------------------------------------------

/** Creates an element: h('p', {class: 'x', 'data-id': 3, onclick: f}, 'text', child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

/** The same for SVG elements. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttrs(el, attrs);
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

/** Sets attributes (null and false leave one out, true sets it empty); `on…` keys add event listeners. */
function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

/** A list row's head: its focusable title (with the id after it when given) and a badge. */
export function rowHead(titleId, title, id, badge) {
  return h('div', { class: 'row-head' },
    h('h3', { id: titleId, tabindex: -1 }, title, id != null ? [' ', h('span', { class: 'muted' }, `#${id}`)] : null),
    badge);
}

/** A status badge: its text, and the status itself as data-status. */
export function statusBadge(status, texts, cls = 'badge status') {
  return h('span', { class: cls, 'data-status': status }, texts[status] ?? status);
}

/** A table row with one cell spanning `colspan` columns: what an empty table says. */
export function emptyRow(colspan, text) {
  return h('tr', {}, h('td', { colspan }, text));
}

/** A form's error line for the control `id` (the control's aria-describedby names it). */
export function errorLine(id, attrs = {}) {
  return h('p', { id: `${id}-error`, class: 'error field-error', ...attrs });
}

/**
 * Campaign states as the buyer and admin pages name them (every state of the
 * server's CampaignStatus, checked by tsc against the generated api-types).
 * @type {Record<CampaignStatus, string>}
 */
export const CAMPAIGN_STATUS_TEXT = {
  draft: 'draft',
  pending_review: 'pending review',
  approved: 'approved',
  rejected: 'rejected',
  open: 'open',
  suspended: 'suspended',
  closed: 'closed',
};

// --- formatting -----------------------------------------------------------------------

const intFormat = new Intl.NumberFormat('en-US');

/** Integers from the API: numbers, or decimal strings beyond ±2^53. */
export function fmtInt(v) {
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

/** A number or a decimal string as a JS number, 0 when it is none (approximate beyond 2^53; only used for drawing). */
export function toNumber(v) {
  const n = typeof v === 'string' ? Number(v) : v;
  return Number.isFinite(n) ? n : 0;
}

export function tokens(n) {
  return `${fmtInt(n)} ${n === 1 ? 'token' : 'tokens'}`;
}

/** A timestamp from the API in local time (`format`, an Intl.DateTimeFormat, or the browser's default); '—' when absent. */
export function fmtDate(s, format = null) {
  if (!s) return '—';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return format ? format.format(d) : d.toLocaleString();
}

/** Number of characters as the server counts them (code points). */
export const chars = (s) => [...s].length;

/** A server message as a sentence: capitalised, with a full stop. */
export function sentence(s) {
  const t = String(s ?? '').trim();
  if (!t) return '';
  const c = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(c) ? c : `${c}.`;
}

// --- errors -----------------------------------------------------------------------------

/**
 * A page's way of telling API errors: `leads` gives a plain-language lead
 * per error code, which the server's message follows (made a sentence
 * unless `sentences` is false). Answers {describe, showError}.
 */
export function errorText(leads, { sentences = true } = {}) {
  /** An API error as a sentence for the user. */
  function describe(err) {
    const lead = leads[err.code];
    const message = sentences ? sentence(err.message) : err.message;
    return lead && lead !== message ? `${lead} ${message}` : message;
  }
  /** Shows an error in a role="alert" element, keeping its code for styling and tests. */
  function showError(el, err, prefix = '') {
    if (!el) return;
    el.textContent = prefix + describe(err);
    if (err.code) el.dataset.code = err.code;
    else delete el.dataset.code;
  }
  return { describe, showError };
}

export function clearError(el) {
  if (!el) return;
  el.textContent = '';
  delete el.dataset.code;
}

/** Marks a control invalid with a message in its `<id>-error` line, and focuses it. */
export function invalid(el, message) {
  el.setAttribute('aria-invalid', 'true');
  const line = $(`${el.id}-error`);
  if (line) line.textContent = message;
  el.focus();
}

export function clearInvalid(el) {
  if (!el) return;
  el.removeAttribute('aria-invalid');
  const line = $(`${el.id}-error`);
  if (line) line.textContent = '';
}

/** Typing into a control (inside `root`) marked invalid clears the mark and its message. */
export function clearInvalidOnInput(root) {
  root.addEventListener('input', (event) => {
    const el = event.target;
    if (el instanceof Element && el.getAttribute('aria-invalid') === 'true') clearInvalid(el);
  });
}

/**
 * Refuses a form in the page: marks each [control, message] of `errors`
 * (the first one keeps the focus) and says how many problems there are in
 * `errorBox`. With `mark` false the controls are left to the caller.
 */
export function refuseForm(errorBox, errors, { mark = true } = {}) {
  if (mark) for (const [el, message] of [...errors].reverse()) invalid(el, message);
  errorBox.textContent = errors.length === 1
    ? 'Please fix the problem marked above.'
    : `Please fix the ${errors.length} problems marked above.`;
  errorBox.dataset.code = 'client_validation';
}

/** The message for a text that is longer than the server takes. */
export function tooLong(what, max, text) {
  return `The ${what} is at most ${fmtInt(max)} characters (this one has ${fmtInt(chars(text))}).`;
}

/** The whole number ≥ 1 typed into an input, or null when it holds anything else. */
export function positiveInt(input) {
  const text = input.value.trim();
  const v = Number(text);
  return input.validity.badInput || text === '' || !Number.isSafeInteger(v) || v < 1 ? null : v;
}

// --- HTTP -----------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const SESSION_EXPIRED = 'Your session has expired; please sign in again.';

/**
 * Makes a page's API client: api(method, path, {body, idempotencyKey, raw}).
 * `body` is sent as JSON; `idempotencyKey` as the Idempotency-Key header;
 * `raw` answers the Response itself (downloads). `token()` answers the
 * bearer token of the page's session, if any; `base()` the server's origin
 * (the extension's contributor page talks to a server elsewhere), '' for
 * this page's own. Errors become ApiError with the server's code
 * (`networkMessage` when the server cannot be reached); a 401 outside
 * sign-in, while the page still has a session, calls `onExpired`.
 */
export function apiClient({ token, networkMessage, onExpired = null, base = () => '' }) {
  /**
   * @param {string} method
   * @param {string} path
   * @param {{ body?: unknown, idempotencyKey?: string, raw?: boolean }} [options]
   * @returns {Promise<any>}
   */
  return async function api(method, path, { body, idempotencyKey, raw = false } = {}) {
    const headers = { Accept: raw ? '*/*' : 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const bearer = token();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    let resp;
    try {
      resp = await fetch(base() + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(networkMessage, 0, 'network_error');
    }
    if (resp.ok && raw) return resp;
    const data = resp.headers.get('content-type')?.includes('json') ? await resp.json().catch(() => null) : null;
    if (!resp.ok) {
      const err = new ApiError(data?.error?.message || `${method} ${path}: HTTP ${resp.status}`, resp.status, data?.error?.code);
      if (resp.status === 401 && onExpired && token() && path !== '/api/auth/login') onExpired();
      throw err;
    }
    return data;
  };
}

/** Ends a session at the server (at `base`, '' for this page's origin), whatever the page does next (errors are ignored). */
export function endSession(token, base = '') {
  return fetch(`${base}/api/auth/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } }).catch(() => {});
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID exists only in secure contexts (https, localhost): a v4 UUID by hand.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * Calls that move tokens carry an Idempotency-Key. One key stands for one
 * user action: retrying the same action with the same body (after a network
 * error or a refusal) sends the same key, so the server moves the tokens at
 * most once; success forgets the key, and changing the body (another reason,
 * amount, address or ε) gets a new one. The server stores nothing for failed
 * requests, so reusing is safe.
 *
 * Answers {pay(action, path, body), forgetKeys()}: pay POSTs through `api`;
 * forgetKeys drops every pending key (at sign-out).
 */
export function idempotentPayments(api) {
  const pendingKeys = new Map(); // action → {key, body}
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
  return { pay, forgetKeys: () => pendingKeys.clear() };
}

// --- stale answers ---------------------------------------------------------------------------

/** What a latest() call answers when its answer came too late to be used. */
export const STALE = Symbol('stale');

/**
 * The lifetime of a page's session: `end()` (at sign-out) makes every answer
 * still pending for it stale, so that a signed-out session's late answers (a
 * 401 above all) neither sign out nor fill in the next session.
 */
export class Lifetime {
  #generation = 0;

  /** A check that stays true until the session ends: `const alive = lifetime.ticket(); …; if (!alive()) return;`. */
  ticket() {
    const generation = this.#generation;
    return () => generation === this.#generation;
  }

  /** Ends the session: every ticket taken so far turns false. */
  end() {
    this.#generation += 1;
  }
}

/**
 * Wraps an async `load(current, ...args)` so that only the latest call's
 * answer is used: the wrapped function answers load's value, or STALE when a
 * newer call started or `lifetime` ended (a sign-out) before it finished.
 * load's error is thrown only while the call is still the latest; a stale
 * call's error is dropped (it answers STALE). A load of several steps can ask
 * `current()` between them to stop early. `cancel()` makes the pending call
 * stale (a panel that is cleared).
 *
 * @template {unknown[]} A
 * @template T
 * @param {Lifetime} lifetime
 * @param {(current: () => boolean, ...args: A) => Promise<T>} load
 * @returns {((...args: A) => Promise<T | typeof STALE>) & { cancel: () => void }}
 */
export function latest(lifetime, load) {
  let last = 0;
  /** @param {A} args */
  async function call(...args) {
    const mine = ++last;
    const alive = lifetime.ticket();
    const current = () => mine === last && alive();
    try {
      const value = await load(current, ...args);
      return current() ? value : STALE;
    } catch (err) {
      if (current()) throw err;
      return STALE;
    }
  }
  return Object.assign(call, { cancel: () => { last += 1; } });
}

// --- the sign-in form (the three pages) -----------------------------------------------------
//
// Each page has an empty <form id="login-form"> in its #login-section; the
// form's controls are made here: #login-email, #login-password,
// #login-submit and #login-error.

/** The sign-in form's controls. */
const SIGN_IN_FORM = `
  <label for="login-email">E-mail</label>
  <input id="login-email" name="email" type="email" autocomplete="username" required>
  <label for="login-password">Password</label>
  <input id="login-password" name="password" type="password" autocomplete="current-password" required>
  <div><button type="submit" id="login-submit">Sign in</button></div>
  <p id="login-error" class="error" role="alert"></p>`;

/**
 * Renders the sign-in form into #login-form and wires it: submitting it (or
 * the registration form, with the answer of signInForm) calls the page's
 * `login(email, password, answered)`, with #login-error cleared and the
 * button disabled until `answered()` is called or login ends. A page calls
 * `answered()` once the server answered the login: what the page loads after
 * signing in may outlive the session, and the form must work after a
 * sign-out meanwhile. Answers `signIn(email, password)`.
 *
 * @param {{ login: (email: string, password: string, answered: () => void) => Promise<void> }} page
 * @returns {(email: string, password: string) => Promise<void>}
 */
export function signInForm({ login }) {
  const form = $('login-form');
  form.innerHTML = SIGN_IN_FORM;
  const button = $('login-submit');
  const answered = () => { button.disabled = false; };
  /** @param {string} email @param {string} password */
  async function signIn(email, password) {
    clearError($('login-error'));
    $('login-email').value = email;
    button.disabled = true;
    try {
      await login(email, password, answered);
    } finally {
      answered();
    }
  }
  form.addEventListener('submit', (/** @type {Event} */ event) => {
    event.preventDefault();
    signIn($('login-email').value.trim(), $('login-password').value);
  });
  return signIn;
}

// --- sign-in of the buyer and admin pages ---------------------------------------------------------
//
// Both pages have the sign-in form (signInForm), #session (#session-email,
// #logout-button, #session-error) and #dashboard.

/**
 * The signed-in state of the buyer or the admin page: `current`, the
 * session ({token, expires_at, user: {id, email, role}}) or null, kept in
 * sessionStorage under the page's own `storageKey` and only for accounts of
 * `role`; `api`, the page's API client (a 401 outside sign-in calls
 * `signOut(SESSION_EXPIRED)`); and `pay`, for calls that move tokens (see
 * idempotentPayments).
 */
export class StaffSession {
  constructor({ role, storageKey, signOut }) {
    this.role = role;
    this.storageKey = storageKey;
    this.current = StaffSession.#load(storageKey, role);
    /** Ended at sign-out: the signed-out session's pending answers are stale (see latest()). */
    this.lifetime = new Lifetime();
    this.api = apiClient({
      token: () => this.current?.token,
      networkMessage: 'The server could not be reached; check the connection and try again.',
      onExpired: () => signOut(SESSION_EXPIRED),
    });
    const { pay, forgetKeys } = idempotentPayments(this.api);
    this.pay = pay;
    this.forgetKeys = forgetKeys;
  }

  /** The session kept under `key`, when it is one for `role`. */
  static #load(key, role) {
    try {
      const s = JSON.parse(sessionStorage.getItem(key) || 'null');
      return s?.token && s.user?.role === role ? s : null;
    } catch {
      return null;
    }
  }

  /** Keeps a new session (also in sessionStorage). */
  save(session) {
    this.current = session;
    sessionStorage.setItem(this.storageKey, JSON.stringify(session));
  }

  /** Forgets the session, here and in sessionStorage, and the pending Idempotency-Keys; its pending answers turn stale. */
  end() {
    this.lifetime.end();
    this.current = null;
    sessionStorage.removeItem(this.storageKey);
    this.forgetKeys();
  }
}

/** The pages other roles use, offered to someone who signed in on the wrong one. */
const OTHER_PAGE = new Map([
  ['contributor', () => [' Contributors use the ', h('a', { href: 'contribute.html' }, 'contributor page'), '.']],
  ['buyer', () => [' Buyers use the ', h('a', { href: 'buyer.html' }, 'buyer dashboard'), '.']],
]);

/**
 * Wires the sign-in form (signInForm) and the sign-out button of a
 * StaffSession's page. Only an account of its role may use the page: another
 * one's session is ended at once, and #login-error says so (`refusal.code` as
 * its data-code, `refusal.text(user)`, then a link to the page that user's
 * role uses). A good sign-in is saved and followed by `afterSignIn()`.
 * Sign-out calls `signOut()`, then ends the session at the server.
 */
export function wireSignIn(auth, { showError, afterSignIn, signOut, refusal }) {
  const signIn = signInForm({
    login: async (email, password, answered) => {
      const errorBox = $('login-error');
      try {
        auth.current = null;
        const resp = await auth.api('POST', '/api/auth/login', { body: { email, password } });
        if (resp.user?.role !== auth.role) {
          // This page cannot use the session: end it at once instead of keeping the token.
          await endSession(resp.token);
          errorBox.dataset.code = refusal.code;
          errorBox.replaceChildren(refusal.text(resp.user));
          const other = OTHER_PAGE.get(resp.user?.role);
          if (other) errorBox.append(...other());
          return;
        }
        auth.save({ token: resp.token, expires_at: resp.expires_at, user: resp.user });
        $('login-password').value = '';
        answered();
        await afterSignIn();
      } catch (err) {
        showError(errorBox, err);
      }
    },
  });

  $('logout-button').addEventListener('click', async () => {
    const token = auth.current?.token;
    signOut();
    $('login-email').focus();
    if (token) await endSession(token);
  });
  return signIn;
}

// --- registration (buyer and contributor pages) ---------------------------------------------
//
// Both pages have, under the sign-in form, #register-box (a <details>) with
// #register-form: #register-email, #register-password (each with its
// `<id>-error` line), #register-submit and #register-error.

/** Which control a refusal of POST /api/auth/register is about. */
const REGISTER_FIELD = {
  invalid_email: 'register-email',
  password_too_short: 'register-password',
  password_too_weak: 'register-password',
};

/**
 * Wires the registration form: checks the e-mail (with an at sign) and the
 * password (8 characters or more) in the page, creates an account of `role`
 * with `api`, then signs it in with `signIn(email, password)`, the page's own
 * sign-in. A refusal shows the server's message in #register-error (its code
 * as data-code) and marks the control it is about.
 */
/** The account-creation form, shared by the buyer and contributor pages. */
const REGISTER_FORM = `
  <summary>New here? Create an account</summary>
  <form id="register-form" novalidate aria-describedby="register-intro">
    <p id="register-intro" class="hint"></p>
    <label for="register-email">Your e-mail</label>
    <input id="register-email" name="email" type="email" autocomplete="email" required aria-describedby="register-email-error">
    <p id="register-email-error" class="error field-error"></p>
    <label for="register-password">Choose a password</label>
    <input id="register-password" name="new-password" type="password" autocomplete="new-password" minlength="8" required
      aria-describedby="register-password-hint register-password-error">
    <p id="register-password-hint" class="hint">At least 8 characters, not a common password.</p>
    <p id="register-password-error" class="error field-error"></p>
    <div><button type="submit" id="register-submit">Create account</button></div>
    <p id="register-error" class="error" role="alert"></p>
  </form>`;

export function wireRegister({ role, api, signIn, intro }) {
  $('register-box').innerHTML = REGISTER_FORM;
  $('register-intro').textContent = intro;
  const form = $('register-form');
  const email = $('register-email');
  const password = $('register-password');
  const errorBox = $('register-error');
  clearInvalidOnInput(form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError(errorBox);
    clearInvalid(email);
    clearInvalid(password);
    const address = email.value.trim();
    const errors = [];
    if (!address) errors.push([email, 'Enter your e-mail address.']);
    else if (!address.includes('@')) errors.push([email, 'Enter an e-mail address with an @, like name@example.org.']);
    if (chars(password.value) < 8) errors.push([password, 'The password needs at least 8 characters.']);
    if (errors.length) {
      refuseForm(errorBox, errors);
      return;
    }
    const secret = password.value;
    $('register-submit').disabled = true;
    try {
      await api('POST', '/api/auth/register', { body: { email: address, password: secret, role } });
    } catch (err) {
      errorBox.textContent = err.message;
      if (err.code) errorBox.dataset.code = err.code;
      const field = $(REGISTER_FIELD[err.code]);
      if (field) invalid(field, err.message);
      return;
    } finally {
      $('register-submit').disabled = false;
    }
    form.reset();
    $('register-box').open = false;
    await signIn(address, secret);
  });
}

/** Shows or hides the registration box, on the pages that have one. */
export function showRegister(on) {
  const box = $('register-box');
  if (box) show(box, on);
}

/** Shows the dashboard of a signed-in `email`. */
export function showSignedIn(email) {
  show($('login-form'), false);
  showRegister(false);
  show($('session'));
  show($('dashboard'));
  $('session-email').textContent = email;
  clearError($('session-error'));
}

/** Shows the sign-in form again, with `message` (why the session ended) as its error. */
export function showSignedOut(message = '') {
  show($('dashboard'), false);
  show($('session'), false);
  show($('login-form'));
  showRegister(true);
  $('login-password').value = '';
  const box = $('login-error');
  box.textContent = message;
  if (message) box.dataset.code = 'session_expired';
  else delete box.dataset.code;
}

/**
 * A "Refresh" button: disabled while `refresh()` runs; afterwards, when
 * `succeeded(result)`, `statusEl` (cleared first) says `doneText`.
 */
/**
 * @template T
 * @param {HTMLButtonElement} button
 * @param {() => Promise<T>} refresh
 * @param {HTMLElement | null} [statusEl]
 * @param {string} [doneText]
 * @param {(result: T) => boolean} [succeeded]
 */
export function wireRefresh(button, refresh, statusEl = null, doneText = '', succeeded = () => true) {
  button.addEventListener('click', async () => {
    button.disabled = true;
    if (statusEl) statusEl.textContent = '';
    const result = await refresh();
    button.disabled = false;
    if (statusEl && succeeded(result)) statusEl.textContent = doneText;
  });
}
