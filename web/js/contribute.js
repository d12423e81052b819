// The contributor page: sign in, keep an identity secret on this device,
// register its commitment, load a campaign, fill and check a record, then
// encrypt + prove it in a Web Worker (client-wasm) and submit the result.
// The record and the identity secret never leave the browser.

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'cipherpool.session';
const secretKey = (userId) => `cipherpool.identity-secret.${userId}`;

// --- the wasm client, in a worker ---------------------------------------------

const pending = new Map();
let nextId = 1;
let worker = startWorker();

function startWorker() {
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  w.onmessage = ({ data }) => {
    const call = pending.get(data.id);
    if (!call) return;
    if (data.progress) return call.onProgress?.(data.progress);
    pending.delete(data.id);
    if ('error' in data) call.reject(new Error(data.error));
    else call.resolve(data.result);
    if (data.fatal) {
      w.terminate();
      worker = startWorker();
    }
  };
  w.onerror = (event) => {
    event.preventDefault();
    const err = new Error('The encryption module could not be loaded (is web/pkg built? run scripts/build-wasm).');
    for (const call of pending.values()) call.reject(err);
    pending.clear();
  };
  return w;
}

function wasm(method, args, onProgress) {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, method, args });
  });
}

// --- HTTP ---------------------------------------------------------------------

let session = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || 'null'); // {token, user}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (session) headers.Authorization = `Bearer ${session.token}`;
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = resp.headers.get('content-type')?.includes('json') ? await resp.json() : null;
  if (!resp.ok) {
    const err = new Error(data?.error?.message || `${method} ${path}: HTTP ${resp.status}`);
    err.status = resp.status;
    err.code = data?.error?.code;
    throw err;
  }
  return data;
}

// --- state ----------------------------------------------------------------------

let material = null; // the campaign's Material
let provingKey = null; // {url, bytes: ArrayBuffer}
let identity = null; // IdentityView from /api/registry/me
let wallet = null; // {account_id, balance}

function show(el, on = true) {
  el.hidden = !on;
}

// --- sign-in and identity -------------------------------------------------------

async function ensureIdentity() {
  $('identity-error').textContent = '';
  $('identity-status').textContent = 'Checking your contributor identity…';
  const key = secretKey(session.user.id);
  let secret = localStorage.getItem(key);
  let registered = null;
  try {
    registered = await api('GET', '/api/registry/me');
  } catch (err) {
    if (err.status !== 404) throw err;
  }
  if (!registered) {
    if (!secret) {
      secret = await wasm('newIdentitySecret', []);
      localStorage.setItem(key, secret);
    }
    const commitment = await wasm('identityCommitment', [secret]);
    await api('POST', '/api/registry/identities', { commitment });
    registered = await api('GET', '/api/registry/me');
    $('identity-status').textContent = 'A new contributor identity was created on this device and registered.';
  } else if (!secret || (await wasm('identityCommitment', [secret])) !== registered.commitment) {
    throw new Error('This account registered its identity from another device or browser; its secret is not stored here, so it cannot contribute from this browser.');
  } else {
    $('identity-status').textContent = 'Your contributor identity is registered; its secret stays on this device.';
  }
  identity = registered;
  wallet = await api('GET', '/api/wallet');
}

async function afterSignIn() {
  show($('login-form'), false);
  show($('session'));
  $('session-email').textContent = session.user.email;
  try {
    await ensureIdentity();
  } catch (err) {
    if (err.status === 401) return signOut();
    identity = null;
    $('identity-status').textContent = '';
    $('identity-error').textContent = err.message;
  }
  updateReady();
}

function signOut() {
  session = null;
  identity = null;
  wallet = null;
  sessionStorage.removeItem(TOKEN_KEY);
  show($('session'), false);
  show($('login-form'));
  $('password').value = '';
  updateReady();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('login-error').textContent = '';
  $('login-button').disabled = true;
  try {
    session = null;
    const resp = await api('POST', '/api/auth/login', { email: $('email').value.trim(), password: $('password').value });
    session = { token: resp.token, user: resp.user };
    sessionStorage.setItem(TOKEN_KEY, JSON.stringify(session));
    $('password').value = '';
    await afterSignIn();
  } catch (err) {
    $('login-error').textContent = err.message;
  } finally {
    $('login-button').disabled = false;
  }
});
$('logout-button').addEventListener('click', signOut);

// --- campaign and record form ---------------------------------------------------

function fieldInput(field) {
  const id = `field-${field.name}`;
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = field.name.replaceAll('_', ' ');
  let input;
  if (field.type === 'categorical') {
    input = document.createElement('select');
    input.append(new Option('Choose…', ''));
    for (const c of field.categories) input.append(new Option(c, c));
  } else {
    const min = field.range?.min ?? 0;
    const max = field.range?.max ?? 2 ** field.bits - 1;
    input = document.createElement('input');
    Object.assign(input, { type: 'number', inputMode: 'numeric', min, max, step: 1 });
    const hint = document.createElement('span');
    hint.className = 'hint';
    hint.textContent = ` (whole number, ${min}–${max})`;
    label.append(hint);
  }
  Object.assign(input, { id, name: field.name, required: true });
  input.dataset.kind = field.type;
  return [label, input];
}

function renderRecordForm() {
  const box = $('record-fields');
  box.querySelectorAll(':scope > :not(legend)').forEach((el) => el.remove());
  for (const field of material.schema.fields) box.append(...fieldInput(field));
  $('record-error').textContent = '';
}

async function loadCampaign(id) {
  $('campaign-error').textContent = '';
  show($('campaign-info'), false);
  material = null;
  updateReady();
  try {
    material = await api('GET', `/api/campaigns/${encodeURIComponent(id)}/material`);
    $('campaign-name').textContent = material.title;
    $('campaign-reward').textContent = String(material.reward);
    show($('campaign-info'));
    renderRecordForm();
    const url = new URL(location.href);
    url.searchParams.set('campaign', id);
    history.replaceState(null, '', url);
  } catch (err) {
    $('campaign-error').textContent = err.status === 404 ? `There is no campaign ${id}.` : err.message;
  }
  updateReady();
}

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
    el.removeAttribute('aria-invalid');
    if (el.value === '') continue;
    record[el.name] = el.dataset.kind === 'categorical' ? el.value : Number(el.value);
  }
  return record;
}

function markInvalid(message) {
  const name = /field "([^"]+)"/.exec(message)?.[1];
  const el = name && $(`field-${name}`);
  if (el) {
    el.setAttribute('aria-invalid', 'true');
    el.focus();
  }
}

async function provingKeyBytes() {
  if (provingKey?.url !== material.proving_key_url) {
    const resp = await fetch(material.proving_key_url);
    if (!resp.ok) throw new Error(`could not fetch the proving key (HTTP ${resp.status})`);
    provingKey = { url: material.proving_key_url, bytes: await resp.arrayBuffer() };
  }
  return provingKey.bytes;
}

function setProgress(stage, percent) {
  $('progress').value = percent;
  $('progress-stage').textContent = {
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
  const record = readRecord();
  const recordJson = JSON.stringify(record);
  try {
    await wasm('checkRecord', [JSON.stringify(material.schema), recordJson]);
  } catch (err) {
    errorBox.textContent = err.message;
    markInvalid(err.message);
    return;
  }
  const button = $('contribute-button');
  button.disabled = true;
  show($('progress-box'));
  setProgress('encode', 0);
  try {
    // A fresh Merkle path: the root must be recent.
    identity = await api('GET', '/api/registry/me');
    const pkBytes = await provingKeyBytes();
    const marks = { start: performance.now() };
    const submissionJson = await wasm(
      'prepareContribution',
      [JSON.stringify(material), pkBytes, localStorage.getItem(secretKey(session.user.id)),
        JSON.stringify(identity), recordJson, wallet.account_id],
      ({ stage, percent }) => {
        marks[stage] = performance.now();
        setProgress(stage, percent);
      },
    );
    const end = performance.now();
    const span = (a, b) => (marks[a] && marks[b] ? ((marks[b] - marks[a]) / 1000).toFixed(1) : '?');
    const timing = {
      seconds: (end - marks.start) / 1000,
      detail: `keys ${span('start', 'encrypt')} s, encrypt + range proof ${span('encrypt', 'attest')} s, `
        + `attestation ${span('attest', 'done')} s`,
    };
    setProgress('submit', 100);
    const receipt = await fetch(`/api/campaigns/${material.campaign_id}/contributions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: submissionJson,
    }).then(async (resp) => {
      const data = await resp.json().catch(() => null);
      if (!resp.ok) throw new Error(data?.error?.message || `the server refused the contribution (HTTP ${resp.status})`);
      return data;
    });
    wallet = await api('GET', '/api/wallet');
    showReceipt(receipt, timing);
    $('record-form').reset();
  } catch (err) {
    errorBox.textContent = err.message;
    button.disabled = false;
  } finally {
    show($('progress-box'), false);
  }
});

function showReceipt(receipt, { seconds, detail }) {
  $('receipt-id').textContent = `#${receipt.contribution_id}`;
  $('receipt-reward').textContent = `${receipt.reward} tokens`;
  $('balance').textContent = `${wallet.balance} tokens`;
  $('receipt-time').textContent = `${seconds.toFixed(1)} s (${detail})`;
  $('receipt-json').textContent = JSON.stringify(receipt, null, 2);
  const section = $('receipt-section');
  section.dataset.seconds = seconds.toFixed(2);
  show(section);
  section.focus();
}

// --- start ----------------------------------------------------------------------

const fromQuery = new URLSearchParams(location.search).get('campaign');
if (fromQuery) {
  $('campaign-id').value = fromQuery;
  loadCampaign(fromQuery);
}
if (session) afterSignIn();
updateReady();
