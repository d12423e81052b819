// @ts-check
// Where the contributor page runs, and the little that differs between the
// two places:
//
// - Served by the Cipherpool server (contribute.html): the API is the page's
//   own origin; the session lives in sessionStorage (this tab), the identity
//   secret in localStorage (this browser profile, this origin).
// - In the browser extension (web/extension/, the same page and modules
//   copied next to a Manifest V3 manifest): the API is the server address
//   the contributor saved; the session lives in chrome.storage.session
//   (until the browser closes), the identity secret in chrome.storage.local
//   (extension storage, one per server and account). Nothing in extension
//   storage is readable by web pages, and the secret is never sent anywhere.

export const inExtension = location.protocol === 'chrome-extension:'
  && typeof chrome !== 'undefined' && Boolean(chrome.storage?.local);

function webStore(storage) {
  return {
    get: async (key) => storage.getItem(key),
    set: async (key, value) => storage.setItem(key, value),
    remove: async (key) => storage.removeItem(key),
  };
}

function extensionStore(area) {
  return {
    get: async (key) => (await area.get(key))[key] ?? null,
    set: (key, value) => area.set({ [key]: value }),
    remove: (key) => area.remove(key),
  };
}

/** Where the signed-in session is kept. */
export const sessionStore = inExtension ? extensionStore(chrome.storage.session) : webStore(sessionStorage);
/** Where identity secrets (and, in the extension, the server address) are kept. */
const localStore = inExtension ? extensionStore(chrome.storage.local) : webStore(localStorage);

const SERVER_KEY = 'cipherpool.server';

// The server's origin: '' (this page's origin) on the web, the saved address
// in the extension (null until one is saved).
let server = inExtension ? null : '';

/** The prefix of API paths: '' on the web, the saved server's origin in the extension. */
export const apiBase = () => server ?? '';

/** The server the extension talks to (null before one is saved); '' on the web page. */
export async function loadServer() {
  if (inExtension) server = await localStore.get(SERVER_KEY);
  return server;
}

/** An absolute URL on the server for a path the API gave (e.g. the proving key's). */
export const serverUrl = (path) => new URL(path, server || location.href).href;

// Secrets are kept per account, and in the extension per server too (account
// numbers of two servers are unrelated).
const secretKey = (userId) => (inExtension
  ? `cipherpool.identity-secret.${server}.${userId}`
  : `cipherpool.identity-secret.${userId}`);

export const loadSecret = (userId) => localStore.get(secretKey(userId));
export const saveSecret = (userId, secretHex) => localStore.set(secretKey(userId), secretHex);

// The reward notes this device holds, kept beside the identity secret under
// the same rules: [{campaign_id, amount, index, claimed}]. Only a
// convenience: the notes can be found again from the secret alone.
const notesKey = (userId) => secretKey(userId).replace('identity-secret', 'notes');

/** The notes kept for `userId` (an empty list when none). */
export async function loadNotes(userId) {
  try {
    const list = JSON.parse((await localStore.get(notesKey(userId))) || '[]');
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

/** Keeps the notes of `userId`. */
export const saveNotes = (userId, notes) => localStore.set(notesKey(userId), JSON.stringify(notes));

// The keyholders' Ed25519 keys the contributor pinned for a server
// (extension only): campaign material not signed by every one of them is
// refused before anything is encrypted.
const keysKey = () => `cipherpool.keyholder-keys.${server}`;

/** The pinned keyholder keys of the extension's server (hex strings), or null; null on the web. */
export async function pinnedKeys() {
  if (!inExtension) return null;
  const v = await localStore.get(keysKey());
  return v ? v.split(',') : null;
}

/**
 * Checks and saves keyholder keys typed into the extension (hex Ed25519
 * public keys, separated by commas, spaces or lines); answers them, or
 * throws an Error saying what is wrong.
 */
export async function savePinnedKeys(text) {
  const keys = text.split(/[\s,]+/).filter(Boolean).map((k) => k.toLowerCase());
  if (!keys.length) throw new Error('Enter the keyholders’ public keys, as their operators publish them.');
  const bad = keys.find((k) => !/^[0-9a-f]{64}$/.test(k));
  if (bad) throw new Error(`“${bad.slice(0, 20)}${bad.length > 20 ? '…' : ''}” is not a keyholder key (64 hexadecimal characters).`);
  if (new Set(keys).size !== keys.length) throw new Error('A key is listed twice.');
  await localStore.set(keysKey(), keys.join(','));
  return keys;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Checks a server address typed into the extension: answers its origin, or
 * throws an Error saying what is wrong. Only the address of the server
 * (scheme, host, port) is taken; a remote server must use https.
 */
export function parseServerAddress(text) {
  const t = text.trim();
  if (!t) throw new Error('Enter the address of the Cipherpool server, like https://cipherpool.example.org.');
  let url;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `https://${t}`);
  } catch {
    throw new Error(`“${t}” is not a web address; enter one like https://cipherpool.example.org.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error('The address must start with https:// (or http:// for a server on this computer).');
  }
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    throw new Error('A server on another computer must use https://, so that nobody on the way can read or change what is sent.');
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new Error('Enter only the server’s address (like https://cipherpool.example.org), without a path.');
  }
  return url.origin;
}

/**
 * Saves `origin` as the extension's server, after asking the browser for
 * the permission to reach it (a prompt for servers the manifest does not
 * already name) and checking that a Cipherpool server answers there. Must
 * run from a user's click (the permission prompt needs one).
 */
export async function saveServer(origin) {
  const origins = [`${origin}/*`];
  if (!(await chrome.permissions.contains({ origins }))) {
    const granted = await chrome.permissions.request({ origins }).catch(() => false);
    if (!granted) throw new Error(`The extension was not allowed to reach ${origin}; it needs that permission to send your contributions.`);
  }
  let health = null;
  try {
    const resp = await fetch(`${origin}/health`, { headers: { Accept: 'application/json' } });
    health = resp.ok ? await resp.json().catch(() => null) : null;
  } catch {
    throw new Error(`No server answered at ${origin}; check the address and the connection.`);
  }
  if (health?.status !== 'ok') throw new Error(`${origin} does not answer like a Cipherpool server.`);
  await localStore.set(SERVER_KEY, origin);
  server = origin;
}
