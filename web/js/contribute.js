// @ts-check
// The contributor page: sign in, keep an identity secret on this device,
// register its commitment, pick one of the open campaigns (or load one by
// number), fill and check a record, then encrypt + prove it in a Web Worker
// (client-wasm) and submit the result. The record and the identity secret
// never leave the browser. A contribution's reward is paid into a note that
// only this device can claim (kept beside the secret); the wallet section
// shows the unclaimed rewards and claims them (up to four notes per proof,
// now or after a random delay), the balance, the recent transfers and the
// caller's withdrawals, and requests withdrawals (amount and address only).
//
// The same page and modules run in the browser extension (web/extension/);
// platform.js holds what differs there: the server's address (chosen in the
// page's #server-section) and where the session and the secret are kept.

import {
  $, show, h, fmtInt, tokens, fmtDate, chars, sentence, errorText, invalid, clearInvalid, clearInvalidOnInput,
  refuseForm, tooLong, positiveInt, apiClient, idempotentPayments, wireRefresh, wireRegister, showRegister,
  endSession, rowHead, errorLine, Lifetime, latest, STALE, signInForm,
} from './common.js';
import {
  inExtension, apiBase, loadServer, serverUrl, sessionStore, loadSecret, saveSecret, parseServerAddress, saveServer,
  pinnedKeys, savePinnedKeys, loadNotes, saveNotes,
} from './platform.js';

const TOKEN_KEY = 'cipherpool.session';
const MAX_ADDRESS = 200;
const RECENT_TRANSFERS = 20;

const TRANSFER_KIND_TEXT = {
  contribution_reward: 'contribution reward (before reward notes)',
  note_claim: 'claimed rewards',
  mint: 'tokens from an administrator',
  withdrawal_hold: 'withdrawal (held)',
  withdrawal_refund: 'withdrawal returned',
  campaign_funding: 'campaign funding',
  campaign_refund: 'campaign refund',
};

/** @type {Record<import('./api-types').WithdrawalStatus, string>} */
const WITHDRAWAL_STATUS_TEXT = {
  pending: 'pending approval',
  approved: 'paid out',
  rejected: 'rejected; tokens returned',
};

/** A plain-language lead for the error codes of the wallet; the server's message follows it. */
const ERROR_LEAD = {
  insufficient_funds: 'Your balance is too low for this withdrawal.',
  invalid_amount: 'Invalid amount.',
  invalid_address: 'Invalid address.',
  idempotency_key_missing: 'The request was incomplete (no Idempotency-Key).',
  idempotency_key_reused: 'This withdrawal was already sent with different details; try again.',
  account_suspended: 'This account is suspended.',
  forbidden: 'This account may not withdraw tokens.',
  network_error: 'The server could not be reached.',
};

// --- the wasm client, in a worker ---------------------------------------------

const pending = new Map();
let nextId = 1;
// The campaign being loaded into the worker ahead of the click: {key, worker, promise}.
let campaignLoad = null;
let worker = startWorker();

function startWorker() {
  // Unique per worker: the module announces panics on this channel (see crashed()).
  const name = `cipherpool-panic-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name });
  const panics = new BroadcastChannel(name);
  panics.onmessage = ({ data }) => crashed(w, panics, `the encryption module crashed (${data})`);
  w.onmessage = ({ data }) => {
    const call = pending.get(data.id);
    if (!call) return;
    if (data.progress) return call.onProgress?.(data.progress);
    pending.delete(data.id);
    if ('error' in data) call.reject(new Error(data.error));
    else call.resolve(data.result);
    if (data.fatal) crashed(w, panics, data.error);
  };
  w.onerror = (event) => {
    event.preventDefault();
    const err = new Error('The encryption module could not be loaded (is web/pkg built? run scripts/build-wasm).');
    for (const call of pending.values()) call.reject(err);
    pending.clear();
  };
  return w;
}

/**
 * The module in worker `w` panicked: on the worker's own thread (its
 * answer says so) or on one of the threaded build's pool workers (the
 * module announces it on the worker's channel: the worker itself is blocked
 * waiting for the pool and would never answer). Its calls fail with `why`,
 * and a fresh worker replaces it (loaded campaigns are gone with the old one).
 */
function crashed(w, panics, why) {
  panics.close();
  if (w !== worker) return;
  w.terminate(); // its pool's workers with it
  const err = new Error(why);
  for (const call of pending.values()) call.reject(err);
  pending.clear();
  worker = startWorker();
  campaignLoad = null;
}

function wasm(method, args, onProgress) {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, method, args });
  });
}

// --- HTTP ---------------------------------------------------------------------

await loadServer();
let session = null; // {token, user}
try {
  session = JSON.parse((await sessionStore.get(TOKEN_KEY)) || 'null');
} catch {
  session = null;
}

// Errors carry .status and .code; this page handles a 401 where it happens.
const api = apiClient({
  token: () => session?.token,
  networkMessage: 'The server could not be reached; check the connection and try again.',
  base: apiBase,
});

// A withdrawal carries an Idempotency-Key (see idempotentPayments): retrying
// the same request sends the same key, so the tokens are held at most once.
const { pay, forgetKeys } = idempotentPayments(api);
const { describe } = errorText(ERROR_LEAD);

// --- state ----------------------------------------------------------------------

let material = null; // the campaign's Material
let keyholderKeys = null; // the keyholder keys that signed it (hex strings)
let downloads = new Map(); // URL → ArrayBuffer: the immutable public keys and CRSs
const keyLoads = new Map(); // URL → its load: the proving keys (content-addressed URLs)
const circuitKeyChecks = new Map(); // path + keyholder keys → the proving keys' hashes, checked
let identity = null; // IdentityView from /api/registry/me
let wallet = null; // {account_id, balance, transfers}
let notes = []; // this device's reward notes: [{campaign_id, amount, index, claimed}]
// Ended at sign-out: answers that arrive for an older session are dropped (see latest()).
const lifetime = new Lifetime();

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });
const shortDate = (s) => fmtDate(s, dateFormat);

// --- sign-in and identity -------------------------------------------------------

/**
 * Checks (or creates and registers) this account's contributor identity and
 * loads the wallet. Answers STALE when the session ended meanwhile (or a
 * newer check started): a newer session's page is not touched, and a late
 * error (a 401 for the signed-out session) is dropped.
 */
const ensureIdentity = latest(lifetime, async (current) => {
  const userId = session.user.id;
  $('identity-error').textContent = '';
  $('identity-status').textContent = 'Checking your contributor identity…';
  let secret = await loadSecret(userId);
  let registered = null;
  try {
    registered = await api('GET', '/api/registry/me');
  } catch (err) {
    if (err.status !== 404) throw err;
  }
  let status;
  if (!registered) {
    if (!current()) return;
    if (!secret) {
      secret = await wasm('newIdentitySecret', []);
      await saveSecret(userId, secret);
    }
    const commitment = await wasm('identityCommitment', [secret]);
    if (!current()) return;
    await api('POST', '/api/registry/identities', { body: { commitment } });
    registered = await api('GET', '/api/registry/me');
    status = 'A new contributor identity was created on this device and registered.';
  } else if (!secret || (await wasm('identityCommitment', [secret])) !== registered.commitment) {
    throw new Error('This account registered its identity from another device or browser; its secret is not stored here, so it cannot contribute from this browser.');
  } else {
    status = 'Your contributor identity is registered; its secret stays on this device.';
  }
  const loaded = await api('GET', '/api/wallet');
  const held = await loadNotes(userId);
  if (!current()) return;
  $('identity-status').textContent = status;
  identity = registered;
  wallet = loaded;
  notes = held;
  renderNotes();
});

async function afterSignIn() {
  show($('login-form'), false);
  showRegister(false);
  show($('session'));
  show($('wallet-section'));
  $('session-email').textContent = session.user.email;
  // Signing out meanwhile ends this session's work: its late answers (a 401
  // once the session is gone, above all) must not sign out or fill in a newer
  // one; ensureIdentity answers STALE for them, and drops their errors.
  try {
    if ((await ensureIdentity()) === STALE) return;
  } catch (err) {
    if (err.status === 401) return signOut();
    identity = null;
    $('identity-status').textContent = '';
    $('identity-error').textContent = err.message;
  }
  updateReady();
  if (!session) return;
  loadCampaignList();
  // The wallet works without a usable identity (withdrawing needs none).
  await refreshWallet(wallet);
}

/** Forgets the session here and ends it at the server it came from (`base`, by default the current one). */
function signOut(base = apiBase()) {
  const token = session?.token;
  if (token) endSession(token, base);
  session = null;
  identity = null;
  wallet = null;
  lifetime.end();
  forgetKeys();
  sessionStore.remove(TOKEN_KEY);
  show($('session'), false);
  show($('login-form'));
  showRegister(true);
  $('login-password').value = '';
  clearWallet();
  clearCampaignList();
  updateReady();
}

/** Signs `email` in (errors in #login-error); the sign-in form and the registration form use it. */
const signIn = signInForm({
  login: async (email, password, answered) => {
    let resp;
    try {
      session = null;
      resp = await api('POST', '/api/auth/login', { body: { email, password } });
    } catch (err) {
      $('login-error').textContent = err.message;
      return;
    }
    // The form works again once the server answered: the session's identity
    // check may outlive the session, and the form must work after signing out.
    answered();
    session = { token: resp.token, user: resp.user };
    await sessionStore.set(TOKEN_KEY, JSON.stringify(session));
    $('login-password').value = '';
    await afterSignIn();
  },
});

$('logout-button').addEventListener('click', () => signOut());
// A new contributor account is signed in the same way.
wireRegister({
  role: 'contributor',
  api,
  signIn,
  intro: 'A contributor account: contribute to campaigns and earn tokens. You are signed in as soon as it is created.',
});

// --- campaign and record form ---------------------------------------------------

/** The whole numbers a numeric field takes. */
function fieldBounds(field) {
  return { min: field.range?.min ?? 0, max: field.range?.max ?? 2 ** field.bits - 1 };
}

const fieldLabel = (field) => field.name.replaceAll('_', ' ');

/** What a field asks for, in words: "minutes (a whole number, 0–255)". */
function fieldSummary(field) {
  if (field.type === 'categorical') return `${fieldLabel(field)} (one of: ${field.categories.join(', ')})`;
  const { min, max } = fieldBounds(field);
  return `${fieldLabel(field)} (a whole number, ${min}–${max})`;
}

function fieldInput(field) {
  const id = `field-${field.name}`;
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = fieldLabel(field);
  let input;
  if (field.type === 'categorical') {
    input = document.createElement('select');
    input.append(new Option('Choose…', ''));
    for (const c of field.categories) input.append(new Option(c, c));
  } else {
    const { min, max } = fieldBounds(field);
    input = document.createElement('input');
    Object.assign(input, { type: 'number', inputMode: 'numeric', min, max, step: 1 });
    const hint = document.createElement('span');
    hint.className = 'hint inline';
    hint.textContent = ` (whole number, ${min}–${max})`;
    label.append(hint);
  }
  Object.assign(input, { id, name: field.name, required: true });
  input.dataset.kind = field.type;
  input.setAttribute('aria-describedby', `${id}-error`);
  return [label, input, errorLine(id)];
}

/**
 * Checks every field of the record form in the page: a category chosen, a
 * whole number within the field's range. Answers [control, message] pairs
 * (none when the form is complete); the client library checks again.
 */
function fieldProblems() {
  const errors = [];
  for (const field of material.schema.fields) {
    const el = $(`field-${field.name}`);
    clearInvalid(el);
    const label = fieldLabel(field);
    if (field.type === 'categorical') {
      if (el.value === '') errors.push([el, `Choose the ${label}: one of ${field.categories.join(', ')}.`]);
      continue;
    }
    const { min, max } = fieldBounds(field);
    const text = el.value.trim();
    const value = Number(text);
    if (el.validity.badInput || (text !== '' && !Number.isInteger(value))) {
      errors.push([el, `The ${label} must be a whole number from ${min} to ${max}.`]);
    } else if (text === '') {
      errors.push([el, `Enter the ${label}: a whole number from ${min} to ${max}.`]);
    } else if (value < min || value > max) {
      errors.push([el, `The ${label} must be from ${min} to ${max}; ${text} is outside that range.`]);
    }
  }
  return errors;
}

function renderRecordForm() {
  const box = $('record-fields');
  box.querySelectorAll(':scope > :not(legend)').forEach((el) => el.remove());
  for (const field of material.schema.fields) box.append(...fieldInput(field));
  $('record-error').textContent = '';
}

/**
 * The keyholders' keys that must have signed what the client uses (campaign
 * material, proving keys): in the extension the keys the contributor
 * pinned; on this page (served by the server itself) the keys the
 * keyholders answer through the server, shown so that they can be compared.
 * @returns {Promise<string[]>}
 */
async function keyholderKeysToCheck() {
  const keys = await pinnedKeys();
  if (keys) return keys;
  if (inExtension) {
    throw new Error('Pin the keyholders’ keys (above) before contributing: the extension encrypts and proves only with key material they signed.');
  }
  return (await api('GET', '/api/keyholders')).keyholders.map((k) => k.signing_key);
}

/**
 * The proving keys' hashes as every one of `keys` signed them (`GET
 * /api/attestation/keys`, checked in the worker before any key is fetched).
 * Asked and checked once per page and keys: the page's start (which warms
 * the proving key), each campaign's load and each claim share the answer; a
 * failed one is forgotten, so the next use asks again.
 * @param {string} path
 * @param {string[]} keys
 * @returns {Promise<{ circuitKeys: any, json: string }>}
 */
function signedCircuitKeys(path, keys) {
  return shared(circuitKeyChecks, `${serverUrl(path)} ${keys.join(',')}`, () => checkCircuitKeys(path, keys));
}

/**
 * One run of `start` per `id` in `runs` (a Map of promises), shared by every
 * caller; a failed one is forgotten, so the next caller runs it again.
 * @template T
 * @param {Map<string, Promise<T>>} runs
 * @param {string} id
 * @param {() => Promise<T>} start
 * @returns {Promise<T>}
 */
function shared(runs, id, start) {
  let run = runs.get(id);
  if (!run) {
    run = start();
    runs.set(id, run);
    run.catch(() => runs.delete(id));
  }
  return run;
}

/**
 * @param {string} path
 * @param {string[]} keys
 */
async function checkCircuitKeys(path, keys) {
  const circuitKeys = await api('GET', path);
  const json = JSON.stringify(circuitKeys);
  try {
    await wasm('verifyCircuitKeys', [json, keys.join(',')]);
  } catch (err) {
    throw new Error(`Refused: the proving keys are not signed by the keyholders (${err.message}). Nothing was proven.`);
  }
  return { circuitKeys, json };
}

async function loadCampaign(id) {
  $('campaign-error').textContent = '';
  show($('campaign-info'), false);
  material = null;
  updateReady();
  try {
    const loaded = await api('GET', `/api/campaigns/${encodeURIComponent(id)}/material`);
    // Every keyholder must have signed the key material before anything is
    // encrypted under it: in the extension the keys the contributor pinned,
    // on this page (served by the server itself) the keys the keyholders
    // answer through the server, shown so that they can be compared.
    const keys = await keyholderKeysToCheck();
    try {
      await wasm('verifyMaterial', [JSON.stringify(loaded), keys.join(',')]);
    } catch (err) {
      throw new Error(`Refused: this campaign’s key material is not signed by the keyholders (${err.message}). Nothing was encrypted.`);
    }
    material = loaded;
    keyholderKeys = keys;
    $('campaign-keyholders').textContent = keys.map((k) => k.slice(0, 16)).join(', ');
    $('campaign-keyholders').title = keys.join('\n');
    $('campaign-name').textContent = material.title;
    $('campaign-reward').textContent = String(material.reward);
    $('campaign-eligibility').textContent = material.eligibility === 'verified'
      ? ' Only accounts an administrator verified may contribute.' : '';
    show($('campaign-info'));
    renderRecordForm();
    // Fetch the keys and load them into the worker while the contributor
    // fills in the form (an error shows when they contribute).
    loadKeys().catch(() => {});
    const url = new URL(location.href);
    url.searchParams.set('campaign', id);
    history.replaceState(null, '', url);
  } catch (err) {
    $('campaign-error').textContent = err.status === 404 ? `There is no campaign ${id}.` : err.message;
  }
  markChosenCampaign();
  updateReady();
}

// --- open campaigns -------------------------------------------------------------------

// Only the latest load of the list is shown; a sign-out drops them all.
const fetchCampaignList = latest(lifetime, () => api('GET', '/api/campaigns'));

/** Loads the campaigns open for contributions (contributors see only those). */
async function loadCampaignList() {
  if (!session) return false;
  const box = $('campaign-list-box');
  show($('campaigns-refresh'));
  box.setAttribute('aria-busy', 'true');
  $('campaigns-error').textContent = '';
  let list;
  try {
    list = await fetchCampaignList();
  } catch (err) {
    box.removeAttribute('aria-busy');
    if (err.status === 401) {
      signOut();
      return false;
    }
    $('campaigns-error').textContent = `The open campaigns could not be loaded: ${err.message}`;
    return false;
  }
  if (list === STALE) return false;
  box.removeAttribute('aria-busy');
  renderCampaignList(list);
  return true;
}

function renderCampaignList(list) {
  const items = list.map((c) => {
    const titleId = `open-campaign-${c.id}`;
    const room = c.reward > 0 ? Math.floor(c.budget / c.reward) - c.contributions : 0;
    return h('li', { 'data-campaign-id': c.id, 'aria-labelledby': titleId },
      rowHead(titleId, c.title, c.id, h('span', { class: 'badge reward' }, `${tokens(c.reward)} each`)),
      c.eligibility === 'verified' ? h('p', { class: 'hint eligibility' }, 'For verified accounts only.') : null,
      c.description ? h('p', { class: 'description' }, c.description) : null,
      h('p', { class: 'asks' }, h('strong', {}, 'Asks for: '), c.schema.fields.map(fieldSummary).join('; ')),
      h('p', { class: 'hint' }, `${fmtInt(c.contributions)} contributed so far`,
        room > 0 ? ` · room for ${fmtInt(room)} more` : ' · full'),
      h('button', {
        type: 'button',
        class: 'choose-campaign',
        'aria-describedby': titleId,
        disabled: room <= 0,
        onclick: async () => {
          $('campaign-id').value = String(c.id);
          await loadCampaign(String(c.id));
          if (material) $('record-fields').querySelector('input, select')?.focus();
        },
      }, 'Contribute to this campaign'));
  });
  $('campaign-list').replaceChildren(...items);
  show($('campaigns-empty'), items.length === 0);
  show($('campaigns-hint'), false);
  $('campaign-list').dataset.loaded = 'true';
  markChosenCampaign();
}

/** Marks the loaded campaign's entry in the list. */
function markChosenCampaign() {
  for (const li of $('campaign-list').children) {
    if (material && li.dataset.campaignId === String(material.campaign_id)) li.setAttribute('aria-current', 'true');
    else li.removeAttribute('aria-current');
  }
}

function clearCampaignList() {
  fetchCampaignList.cancel();
  $('campaign-list').replaceChildren();
  delete $('campaign-list').dataset.loaded;
  $('campaign-list-box').removeAttribute('aria-busy');
  $('campaigns-error').textContent = '';
  show($('campaigns-empty'), false);
  show($('campaigns-hint'));
  show($('campaigns-refresh'), false);
}

wireRefresh($('campaigns-refresh'), loadCampaignList);

// Typing into a record field marked invalid clears the mark and its message.
clearInvalidOnInput($('record-form'));

$('campaign-form').addEventListener('submit', (event) => {
  event.preventDefault();
  loadCampaign($('campaign-id').value.trim());
});

function updateReady() {
  show($('record-section'), Boolean(material));
  $('contribute-button').disabled = !(material && identity && wallet);
}

/// The record as the client library expects it: numbers for numeric fields,
/// labels for categories; empty inputs are left out (reported as missing).
function readRecord() {
  const record = {};
  for (const el of $('record-fields').querySelectorAll('input, select')) {
    if (el.value === '') continue;
    record[el.name] = el.dataset.kind === 'categorical' ? el.value : Number(el.value);
  }
  return record;
}

/** Marks the field a message of the client library names ('field "days": …'). */
function markInvalid(message) {
  const name = /field "([^"]+)"/.exec(message)?.[1];
  const el = name && $(`field-${name}`);
  if (el) invalid(el, sentence(message));
}

/**
 * The current campaign loaded in the worker: its public key, CRS and the
 * proving key fetched, the material's signatures and hashes checked and the
 * keys parsed there, once per campaign, keyholder keys and worker. A failed
 * load is forgotten, so the next contribution tries again.
 */
function loadKeys() {
  const key = `${material.campaign_id}:${material.key_fingerprint}:${keyholderKeys.join(',')}`;
  if (campaignLoad?.key === key && campaignLoad.worker === worker) return campaignLoad.promise;
  const m = material;
  const keys = keyholderKeys;
  const loadStarted = performance.now();
  const provingKey = signedCircuitKeys(m.circuit_keys_url, keys).then(async ({ circuitKeys, json }) => ({
    json,
    ...await provingKeyBytes(circuitKeys.proving_key_url, circuitKeys.proving_key_sha256, 'proving key'),
  }));
  const promise = Promise.all([
    download(m.public_key_url, 'campaign’s public key'),
    download(m.crs_url, 'campaign’s proof parameters'),
    provingKey,
  ]).then(([publicKey, crs, pk]) => {
    $('campaign-keys-status').dataset.provingKeyFrom = pk.from;
    return wasm('loadCampaign', [key, JSON.stringify(m), publicKey, crs, pk.json, pk.bytes, keys.join(',')]);
  }).then(() => key);
  const entry = { key, worker, promise };
  campaignLoad = entry;
  const status = (state, text) => {
    if (campaignLoad !== entry && state !== 'loading') return; // a later campaign took over
    $('campaign-keys-status').dataset.state = state;
    $('campaign-keys-status').textContent = text;
  };
  status('loading', 'Loading the campaign’s keys in the background…');
  promise.then(
    async () => {
      // Which build of the client runs (threaded where the page is
      // cross-origin isolated), as the module reports it.
      const runtime = await wasm('runtime', []).catch(() => null);
      const el = $('campaign-keys-status');
      // Seconds from the campaign's choice to its keys loaded (fetches, checks, parsing).
      el.dataset.loadSeconds = ((performance.now() - loadStarted) / 1000).toFixed(3);
      let on = '';
      if (runtime) {
        el.dataset.threads = String(runtime.threads);
        el.dataset.threaded = String(runtime.threaded);
        el.dataset.isolated = String(runtime.isolated);
        on = runtime.threads === 1 ? ' (on one thread)' : ` (on ${runtime.threads} threads)`;
      }
      status('ready', `The campaign’s keys are loaded: contributing now only encrypts and proves${on}.`);
    },
    (err) => {
      status('failed', `The campaign’s keys could not be loaded (${err.message}); contributing tries again.`);
      if (campaignLoad === entry) campaignLoad = null;
    },
  );
  return promise;
}

// An immutable resource (a campaign's public key or CRS),
// fetched once per page. The wasm client checks the key and CRS against the
// hashes the keyholders signed before using them.
async function download(path, what) {
  const url = serverUrl(path);
  if (!downloads.has(url)) {
    const resp = await fetch(url);
    if (!resp.ok) throw new Error(`could not fetch the ${what} (HTTP ${resp.status})`);
    downloads.set(url, await resp.arrayBuffer());
  }
  return downloads.get(url);
}

const KEY_CACHE = 'cipherpool-proving-keys';

/** SHA-256 of `bytes`, hex; null where the page has no WebCrypto (not a secure context). */
async function sha256Hex(bytes) {
  if (!globalThis.crypto?.subtle) return null;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A proving key (megabytes) by the SHA-256 the keyholders signed: kept in
 * the Cache API under its content-addressed URL, so it is downloaded once
 * per browser, not per visit. Only bytes of that hash are kept or taken from
 * the cache; the worker checks them against the signed hash again before
 * reading them. `from` says where they came from: `cache` or `network`.
 * One load per URL and page (a failed one is forgotten).
 * @param {string} path
 * @param {string} sha256
 * @param {string} what
 * @returns {Promise<{ bytes: ArrayBuffer, from: string }>}
 */
function provingKeyBytes(path, sha256, what) {
  const url = serverUrl(path);
  return shared(keyLoads, url, () => fetchProvingKey(url, sha256, what));
}

/** @returns {Promise<{ bytes: ArrayBuffer, from: string }>} */
async function fetchProvingKey(url, sha256, what) {
  const cache = globalThis.caches && globalThis.crypto?.subtle
    ? await caches.open(KEY_CACHE).catch(() => null) : null;
  const hit = await cache?.match(url).catch(() => undefined);
  if (hit) {
    const bytes = await hit.arrayBuffer();
    if (await sha256Hex(bytes) === sha256) return { bytes, from: 'cache' };
    await cache.delete(url).catch(() => {});
  }
  const resp = await fetch(url);
  if (!resp.ok) throw new Error(`could not fetch the ${what} (HTTP ${resp.status})`);
  const bytes = await resp.arrayBuffer();
  const got = await sha256Hex(bytes);
  if (got !== null && got !== sha256) {
    throw new Error(`the ${what} served is not the one the keyholders signed`);
  }
  if (cache) {
    // Older keys of this server (another hash) are dropped.
    const base = url.split('?')[0];
    for (const old of await cache.keys().catch(() => [])) {
      if (old.url.split('?')[0] === base && old.url !== url) await cache.delete(old).catch(() => {});
    }
    await cache.put(url, new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } }))
      .catch(() => {});
  }
  return { bytes, from: 'network' };
}

function setProgress(stage, percent) {
  $('progress').value = percent;
  $('progress-stage').textContent = {
    keys: '— loading the campaign’s keys',
    encode: '— checking your record',
    encrypt: '— encrypting and proving ranges (this takes a while)',
    attest: '— proving you are a registered contributor',
    done: '— done',
    submit: '— sending',
  }[stage] ?? '';
}

$('record-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const errorBox = $('record-error');
  errorBox.textContent = '';
  delete errorBox.dataset.code;
  const problems = fieldProblems();
  if (problems.length) {
    refuseForm(errorBox, problems);
    return;
  }
  const record = readRecord();
  const recordJson = JSON.stringify(record);
  try {
    await wasm('checkRecord', [JSON.stringify(material.schema), recordJson]);
  } catch (err) {
    errorBox.textContent = err.message;
    markInvalid(err.message);
    return;
  }
  const clicked = performance.now();
  const button = $('contribute-button');
  button.disabled = true;
  show($('progress-box'));
  setProgress('encode', 0);
  try {
    // A fresh Merkle path (the root must be recent) to this identity's leaf
    // of the tier the campaign admits.
    try {
      identity = await api('GET', `/api/registry/me?tier=${material.eligibility}`);
    } catch (err) {
      if (err.status === 404 && material.eligibility === 'verified') {
        throw new Error('This campaign admits verified accounts only, and an administrator has not verified yours.');
      }
      throw err;
    }
    const secret = await loadSecret(session.user.id);
    // Usually loaded while the form was filled in; else waited for here.
    /** @type {Record<string, number>} */
    const marks = { start: performance.now() };
    setProgress('keys', 2);
    const loadedKey = await loadKeys();
    const submissionJson = await wasm(
      'prepareContribution',
      [loadedKey, secret, JSON.stringify(identity), recordJson],
      ({ stage, percent }) => {
        marks[stage] = performance.now();
        setProgress(stage, percent);
      },
    );
    setProgress('submit', 100);
    // Sent without the session: the attestation, not the account, admits it.
    const receipt = await fetch(`${apiBase()}/api/campaigns/${material.campaign_id}/contributions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: submissionJson,
    }).then(async (resp) => {
      const data = await resp.json().catch(() => null);
      if (!resp.ok) throw new Error(data?.error?.message || `the server refused the contribution (HTTP ${resp.status})`);
      return data;
    });
    marks.received = performance.now();
    // From the click to the receipt, by phase (seconds): the identity's
    // fresh Merkle path, waiting for the keys (usually loaded already),
    // encrypting with the range proof, the Groth16 attestation, submitting.
    const span = (a, b) => (marks[a] && marks[b] ? (marks[b] - marks[a]) / 1000 : null);
    const phases = {
      identity: (marks.start - clicked) / 1000,
      keys: span('start', 'encrypt'),
      encrypt: span('encrypt', 'attest'),
      attest: span('attest', 'done'),
      submit: span('done', 'received'),
    };
    const s1 = (v) => (v === null ? '?' : v.toFixed(1));
    const timing = {
      seconds: (marks.received - clicked) / 1000,
      phases,
      detail: `keys ${s1(phases.keys)} s, encrypt + range proof ${s1(phases.encrypt)} s, `
        + `attestation ${s1(phases.attest)} s, sending ${s1(phases.submit)} s`,
    };
    // The reward is a note only this device can claim: check it against the
    // secret and keep it beside the secret.
    const note = JSON.parse(await wasm('noteFromReceipt', [secret, JSON.stringify(receipt)]));
    notes = [...notes.filter((n) => n.index !== note.index), note];
    await saveNotes(session.user.id, notes);
    renderNotes();
    wallet = await api('GET', '/api/wallet');
    showReceipt(receipt, timing);
    $('record-form').reset();
    refreshWallet(wallet); // the new balance and transfer now, the withdrawals when they come
    loadCampaignList(); // the count of contributions went up
  } catch (err) {
    errorBox.textContent = err.message;
    button.disabled = false;
  } finally {
    show($('progress-box'), false);
  }
});

function showReceipt(receipt, { seconds, phases, detail }) {
  $('receipt-id').textContent = `#${receipt.contribution_id}`;
  $('receipt-reward').textContent = `${receipt.reward} tokens`;
  $('balance').textContent = tokens(unclaimedTotal());
  $('receipt-time').textContent = `${seconds.toFixed(1)} s (${detail})`;
  $('receipt-json').textContent = JSON.stringify(receipt, null, 2);
  const section = $('receipt-section');
  section.dataset.seconds = seconds.toFixed(2);
  section.dataset.phases = JSON.stringify(phases);
  show(section);
  section.focus();
}

// --- reward notes and claims -----------------------------------------------------------

const unclaimed = () => notes.filter((n) => !n.claimed);
const unclaimedTotal = () => unclaimed().reduce((sum, n) => sum + n.amount, 0);

function renderNotes() {
  const total = $('unclaimed-total');
  total.textContent = tokens(unclaimedTotal());
  total.dataset.value = String(unclaimedTotal());
  const n = unclaimed().length;
  $('unclaimed-count').textContent = n ? `(${n} note${n === 1 ? '' : 's'})` : '';
  $('claim-submit').disabled = n === 0 || claiming;
}

let claiming = false;

/** Every leaf of the notes tree, page by page, up to the root the last page names. */
async function downloadNotesTree() {
  const pages = [];
  let from = 0;
  for (;;) {
    const page = await fetch(`${apiBase()}/api/notes?from=${from}`, { headers: { Accept: 'application/json' } })
      .then(async (resp) => {
        const data = await resp.json().catch(() => null);
        if (!resp.ok) throw new Error(data?.error?.message || `the notes could not be downloaded (HTTP ${resp.status})`);
        return data;
      });
    pages.push(page);
    from += page.commitments.length;
    if (from >= page.leaf_count || page.commitments.length === 0) return pages;
  }
}

/** Proves and sends one claim of up to four notes (no session: the proof alone admits it). */
async function claimBatch(batch, secret) {
  const keys = await keyholderKeysToCheck();
  const claimKey = signedCircuitKeys('/api/attestation/keys', keys).then(async ({ circuitKeys, json }) => ({
    json,
    ...await provingKeyBytes(circuitKeys.claim_proving_key_url, circuitKeys.claim_proving_key_sha256, 'claim proving key'),
  }));
  const [key, pages] = await Promise.all([claimKey, downloadNotesTree()]);
  const requestJson = await wasm('prepareClaim',
    [key.json, key.bytes, keys.join(','), secret, JSON.stringify(batch), JSON.stringify(pages), wallet.account_id]);
  return fetch(`${apiBase()}/api/claims`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: requestJson,
  }).then(async (resp) => {
    const data = await resp.json().catch(() => null);
    if (!resp.ok) {
      const err = new Error(data?.error?.message || `the server refused the claim (HTTP ${resp.status})`);
      // @ts-ignore: the code travels with the error
      err.code = data?.error?.code;
      throw err;
    }
    return data;
  });
}

$('claim-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!session || !wallet || claiming) return;
  const alive = lifetime.ticket();
  const userId = session.user.id;
  const errorBox = $('claim-error');
  const result = $('claim-result');
  errorBox.textContent = '';
  result.textContent = '';
  delete result.dataset.claimId;
  if (!unclaimed().length) {
    errorBox.textContent = 'There are no unclaimed rewards on this device.';
    return;
  }
  claiming = true;
  renderNotes();
  try {
    const delay = Number(/** @type {HTMLSelectElement} */ ($('claim-delay')).value) || 0;
    if (delay > 0) {
      const wait = Math.floor(Math.random() * delay * 1000);
      const at = new Date(Date.now() + wait);
      result.textContent = `The claim will be sent at ${at.toLocaleTimeString()}; keep this page open.`;
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (!alive()) return;
    }
    const secret = await loadSecret(userId);
    let claimedTotal = 0;
    const ids = [];
    while (unclaimed().length) {
      const batch = unclaimed().slice(0, 4);
      result.textContent = `Proving a claim of ${batch.length} note${batch.length === 1 ? '' : 's'}…`;
      let receipt;
      try {
        receipt = await claimBatch(batch, secret);
      } catch (err) {
        // A note spent already (claimed from another copy of this identity):
        // mark it so, and go on with the others.
        if (err.code === 'note_spent' && batch.length === 1) {
          notes = notes.map((n) => (n.index === batch[0].index ? { ...n, claimed: true } : n));
          await saveNotes(userId, notes);
          continue;
        }
        throw err;
      }
      if (!alive()) return;
      const done = new Set(batch.map((n) => n.index));
      notes = notes.map((n) => (done.has(n.index) ? { ...n, claimed: true } : n));
      await saveNotes(userId, notes);
      claimedTotal += receipt.amount;
      ids.push(receipt.claim_id);
      renderNotes();
    }
    result.textContent = `${tokens(claimedTotal)} moved into your wallet.`;
    result.dataset.claimId = ids.join(',');
    await refreshWallet();
  } catch (err) {
    if (alive()) errorBox.textContent = `The rewards could not be claimed: ${err.message}`;
  } finally {
    claiming = false;
    if (alive()) renderNotes();
  }
});

// --- wallet and withdrawals ----------------------------------------------------------

// Only the latest load of the wallet is shown; a sign-out drops them all.
const fetchWallet = latest(lifetime, (_, known) => Promise.allSettled([
  known ?? api('GET', '/api/wallet'),
  api('GET', '/api/withdrawals'),
]));

/**
 * Loads (or, given `known`, shows at once) the wallet and the caller's
 * withdrawals. Only the latest load of the session is rendered. Answers true
 * when both loaded.
 */
async function refreshWallet(known = null) {
  if (!session) return false;
  if (known) {
    wallet = known;
    renderWallet();
  }
  const section = $('wallet-section');
  section.setAttribute('aria-busy', 'true');
  const settled = await fetchWallet(known);
  if (settled === STALE) return false;
  const [w, list] = settled;
  section.removeAttribute('aria-busy');
  $('wallet-error').textContent = '';
  const failures = [w, list].filter((r) => r.status === 'rejected').map((r) => r.reason);
  if (failures.some((err) => err.status === 401)) {
    signOut();
    return false;
  }
  if (w.status === 'fulfilled') {
    wallet = w.value;
    renderWallet();
  }
  if (list.status === 'fulfilled') renderWithdrawals(list.value);
  if (failures.length) $('wallet-error').textContent = `The wallet could not be loaded: ${describe(failures[0])}`;
  updateReady();
  return failures.length === 0;
}

function renderWallet() {
  const balance = $('wallet-balance');
  balance.textContent = tokens(wallet.balance);
  balance.dataset.value = String(wallet.balance);
  $('withdraw-amount').max = String(Math.max(1, wallet.balance));
  const rows = (wallet.transfers ?? []).slice(0, RECENT_TRANSFERS).map((t) => {
    const incoming = t.to_account_id === wallet.account_id;
    return h('tr', { 'data-transfer-id': t.id, 'data-direction': incoming ? 'in' : 'out', 'data-kind': t.kind },
      h('td', {}, shortDate(t.created_at)),
      h('td', {}, h('span', { class: 'direction' }, incoming ? 'Incoming: ' : 'Outgoing: '),
        TRANSFER_KIND_TEXT[t.kind] ?? String(t.kind).replaceAll('_', ' '),
        t.memo ? [h('br'), h('span', { class: 'hint inline memo' }, t.memo)] : null),
      h('td', { class: 'num' }, `${incoming ? '+' : '−'}${fmtInt(t.amount)}`));
  });
  $('transfer-list').tBodies[0].replaceChildren(...rows);
  show($('transfer-list'), rows.length > 0);
  show($('transfers-empty'), rows.length === 0);
}

function renderWithdrawals(list) {
  const items = list.map((w) => h('li', { 'data-withdrawal-id': w.id, 'data-status': w.status, 'data-amount': w.amount },
    h('p', {}, h('strong', {}, `#${w.id}: ${tokens(w.amount)}`), ' to ', h('code', {}, w.address), ' ',
      h('span', { class: 'badge withdrawal-status', 'data-status': w.status }, WITHDRAWAL_STATUS_TEXT[w.status] ?? w.status)),
    h('p', { class: 'hint' }, `Requested ${shortDate(w.created_at)}`, w.decided_at ? ` · decided ${shortDate(w.decided_at)}` : null),
    w.status === 'rejected'
      ? h('p', { class: 'withdrawal-reason' }, h('strong', {}, 'Reason: '), w.reason || 'none given')
      : null));
  const history = $('withdrawal-history');
  history.replaceChildren(...items);
  history.dataset.loaded = 'true';
  show($('withdrawals-empty'), items.length === 0);
}

function clearWallet() {
  notes = [];
  renderNotes();
  for (const id of ['claim-error', 'claim-result']) $(id).textContent = '';
  delete $('claim-result').dataset.claimId;
  show($('wallet-section'), false);
  $('wallet-section').removeAttribute('aria-busy');
  const balance = $('wallet-balance');
  balance.textContent = '';
  balance.dataset.value = '';
  $('transfer-list').tBodies[0].replaceChildren();
  show($('transfer-list'), false);
  show($('transfers-empty'), false);
  $('withdrawal-history').replaceChildren();
  delete $('withdrawal-history').dataset.loaded;
  show($('withdrawals-empty'), false);
  $('withdraw-form').reset();
  for (const el of [$('withdraw-amount'), $('withdraw-address')]) clearInvalid(el);
  for (const id of ['wallet-status', 'wallet-error', 'withdraw-error', 'withdraw-result']) $(id).textContent = '';
  delete $('withdraw-error').dataset.code;
  delete $('withdraw-result').dataset.withdrawalId;
  $('withdraw-submit').disabled = false;
}

wireRefresh($('wallet-refresh'), refreshWallet, $('wallet-status'), 'Wallet refreshed.', (ok) => ok);

// Typing into a withdrawal field marked invalid clears the mark and its message.
clearInvalidOnInput($('withdraw-form'));

$('withdraw-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!session) return;
  const alive = lifetime.ticket();
  const amountEl = $('withdraw-amount');
  const addressEl = $('withdraw-address');
  const errorBox = $('withdraw-error');
  const result = $('withdraw-result');
  for (const el of [amountEl, addressEl]) clearInvalid(el);
  errorBox.textContent = '';
  delete errorBox.dataset.code;
  result.textContent = '';
  delete result.dataset.withdrawalId;

  const errors = [];
  const amount = positiveInt(amountEl);
  if (amount === null) {
    errors.push([amountEl, 'The amount must be a whole number of tokens, 1 or more.']);
  } else if (!wallet) {
    errors.push([amountEl, 'Your balance is not loaded yet; use “Refresh” and try again.']);
  } else if (amount > wallet.balance) {
    errors.push([amountEl, `You can withdraw at most your balance, ${tokens(wallet.balance)}.`]);
  }
  const address = addressEl.value.trim();
  if (!address) {
    errors.push([addressEl, 'Give the address to pay the tokens to.']);
  } else if (chars(address) > MAX_ADDRESS) {
    errors.push([addressEl, tooLong('address', MAX_ADDRESS, address)]);
  } else if (/\p{Cc}/u.test(address)) {
    errors.push([addressEl, 'The address cannot contain control characters (tabs, line breaks).']);
  }
  if (errors.length) {
    refuseForm(errorBox, errors);
    return;
  }

  const button = $('withdraw-submit');
  button.disabled = true;
  try {
    const w = await pay('withdraw', '/api/withdrawals', { amount, address });
    if (!alive()) return; // signed out meanwhile
    result.textContent = `Withdrawal #${w.id} requested: ${tokens(w.amount)} to ${w.address}. The tokens are held `
      + 'until an administrator approves the payout; if they reject it, the tokens come back.';
    result.dataset.withdrawalId = String(w.id);
    amountEl.value = ''; // a second press does not withdraw again by accident
    await refreshWallet();
  } catch (err) {
    if (!alive()) return;
    if (err.status === 401) return signOut();
    errorBox.textContent = `The withdrawal was not made: ${describe(err)}`;
    if (err.code) errorBox.dataset.code = err.code;
    if (err.code === 'insufficient_funds' || err.code === 'invalid_amount') invalid(amountEl, sentence(err.message));
    else if (err.code === 'invalid_address') invalid(addressEl, sentence(err.message));
    if (err.code === 'insufficient_funds') refreshWallet(); // show the balance as it is now
  } finally {
    button.disabled = false;
  }
});

// --- the server (extension only) -------------------------------------------------------

/** In the extension, everything but the server section waits for a server address. */
function showServerState() {
  const known = Boolean(apiBase()) || !inExtension;
  for (const id of ['login-section', 'campaign-section']) show($(id), known);
  if (inExtension) {
    $('server-current').textContent = apiBase() || 'none yet';
    if (known && !$('server-address').value) $('server-address').value = apiBase();
    pinnedKeys().then((keys) => { $('keyholder-keys').value = keys ? keys.join('\n') : ''; });
  }
}

if (inExtension) {
  show($('server-section'));
  clearInvalidOnInput($('server-form'));
  $('server-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = $('server-address');
    const status = $('server-status');
    clearInvalid(input);
    status.textContent = '';
    let origin;
    try {
      origin = parseServerAddress(input.value);
    } catch (err) {
      invalid(input, err.message);
      return;
    }
    if (origin === apiBase()) {
      status.textContent = `Already using ${origin}.`;
      return;
    }
    $('server-save').disabled = true;
    const previous = apiBase();
    try {
      await saveServer(origin);
    } catch (err) {
      invalid(input, err.message);
      return;
    } finally {
      $('server-save').disabled = false;
    }
    // A session and a campaign belong to the server they came from.
    if (session) signOut(previous);
    material = null;
    downloads = new Map();
    show($('campaign-info'), false);
    show($('receipt-section'), false);
    input.value = origin;
    status.textContent = `Saved: this extension now contributes to ${origin}.`;
    showServerState();
    updateReady();
  });

  // The keyholders' keys, pinned per server: material they did not all
  // sign is refused (checked again in the wasm client before encrypting).
  clearInvalidOnInput($('keys-form'));
  $('keys-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = $('keyholder-keys');
    const status = $('keys-status');
    clearInvalid(input);
    status.textContent = '';
    if (!apiBase()) {
      invalid(input, 'Choose the server first: keys are pinned for one server.');
      return;
    }
    try {
      const keys = await savePinnedKeys(input.value);
      input.value = keys.join('\n');
      status.textContent = `Pinned ${keys.length} keyholder key${keys.length === 1 ? '' : 's'} for ${apiBase()}.`;
    } catch (err) {
      invalid(input, err.message);
      return;
    }
    // A campaign loaded under other keys is checked again.
    material = null;
    show($('campaign-info'), false);
    updateReady();
  });
}

// --- start ----------------------------------------------------------------------

showServerState();
// The attestation proving key (the same for every campaign) is fetched and
// checked while the contributor signs in and picks a campaign; the
// campaign's load then finds it under way or done. Nothing is shown for a
// failure here: the campaign's load tries again and says why.
if (apiBase() || !inExtension) {
  keyholderKeysToCheck()
    .then((keys) => signedCircuitKeys('/api/attestation/keys', keys))
    .then(({ circuitKeys }) => provingKeyBytes(circuitKeys.proving_key_url, circuitKeys.proving_key_sha256, 'proving key'))
    .catch(() => {});
}
const fromQuery = new URLSearchParams(location.search).get('campaign');
if (fromQuery && (apiBase() || !inExtension)) {
  $('campaign-id').value = fromQuery;
  loadCampaign(fromQuery);
}
if (session) afterSignIn();
updateReady();
