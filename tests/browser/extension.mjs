// Drives the unpacked Manifest V3 extension (web/extension/, assembled by
// scripts/build-wasm) in Debian's headless Chromium, loaded with
// --load-extension into a fresh profile: open its contributor page
// (chrome-extension://<id>/contribute.html), refuse a plain-http remote
// server, then point it at BASE, sign in as EMAIL (the page creates the
// identity secret, keeps it in extension storage and registers its
// commitment), pick CAMPAIGN from the list of open campaigns, fill the
// record, encrypt + prove in the extension's worker, submit and wait for the
// receipt and the wallet. Then reload the page: the session, the secret and
// the unclaimed reward note are still there; claim it into the wallet.
// Prints {extension_id, csp, receipt, seconds, timing, phases, runtime, balance,
// wallet_balance, claim, secret_key, requests} as JSON on stdout;
// screenshots go to $ARTIFACTS_DIR/extension.png and extension-phone.png, the
// contribution's phase timings to $ARTIFACTS_DIR/extension-timings.json.
// Fails (exit 1) when anything goes wrong, when the extension talks to
// anything but BASE and itself, or when any request carries the plaintext
// record or the identity secret.
//
// Environment: BASE (server URL, on 127.0.0.1), CAMPAIGN (id of an open
// campaign), EMAIL, PASSWORD (a contributor without a registered identity),
// RECORD (JSON object), EXTENSION_DIR (default web/extension), ARTIFACTS_DIR
// (default target/artifacts), CHROMIUM (default /usr/bin/chromium),
// TIMEOUT_MS for the receipt (default 15 minutes).
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  env, contributorEnv, checkPhoneWidth, log, launchWithExtension, guard, checkProblems, recordRequests, waitInPage,
  plaintextLeaks, contributeRecord, writeTimings, submissionProblems, claimProblems, claimRewards,
} from './lib.mjs';

const { BASE, CAMPAIGN, EMAIL, PASSWORD, RECORD, ARTIFACTS, TIMEOUT_MS } = contributorEnv();
const EXTENSION = resolve(env('EXTENSION_DIR', 'web/extension'));
// The keyholders' signing keys (what a contributor pins) and a valid key of
// someone else.
const KEYHOLDER_KEYS = env('KEYHOLDER_KEYS').split(',');
const WRONG_KEY = env('WRONG_KEY');
const CSP = "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'";

const { context, page, extensionId, close } = await launchWithExtension(EXTENSION);
const ORIGIN = `chrome-extension://${extensionId}`;
const problems = [];
guard(context, page, [BASE, ORIGIN], problems);
const requests = recordRequests(context);
log(`extension ${extensionId} loaded from ${EXTENSION}`);

let exitCode = 1;
try {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.goto(`${ORIGIN}/contribute.html`);

  // What the browser loaded is the Manifest V3 extension with the strict CSP.
  const manifest = await page.evaluate(() => chrome.runtime.getManifest());
  if (manifest.manifest_version !== 3) throw new Error(`manifest_version ${manifest.manifest_version}`);
  if (manifest.content_security_policy?.extension_pages !== CSP) {
    throw new Error(`extension_pages CSP is ${JSON.stringify(manifest.content_security_policy)}`);
  }

  // No server yet: only the server section is shown.
  await page.locator('#server-section').waitFor({ state: 'visible' });
  if (!(await page.locator('#login-section').isHidden())) throw new Error('sign-in is offered before a server is chosen');

  // A remote server over plain http is refused in the page, nothing is sent.
  await page.getByLabel('Server address').fill('http://cipherpool.example.org');
  await page.getByRole('button', { name: 'Use this server' }).click();
  const refused = await waitInPage(page, 'the plain-http server refused', () => {
    const input = document.getElementById('server-address');
    const message = document.getElementById('server-address-error').textContent;
    return input.getAttribute('aria-invalid') === 'true' && message
      ? { message, focused: document.activeElement === input } : null;
  });
  if (!/https/.test(refused.message) || !refused.focused) throw new Error(`plain-http refusal: ${JSON.stringify(refused)}`);
  log(`plain-http server refused: “${refused.message}”`);

  // The real server (on 127.0.0.1: named in the manifest's host_permissions).
  await page.getByLabel('Server address').fill(BASE);
  await page.getByRole('button', { name: 'Use this server' }).click();
  await waitInPage(page, 'the server saved', () => {
    const err = document.getElementById('server-address-error').textContent;
    if (err) return { error: err };
    return !document.getElementById('login-section').hidden && document.getElementById('server-status').textContent;
  });
  log('server:', await page.locator('#server-current').textContent());

  // Sign in: a new identity is created here and registered.
  await page.getByLabel('E-mail', { exact: true }).fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const identity = await waitInPage(page, 'identity', () => {
    const err = document.getElementById('identity-error').textContent || document.getElementById('login-error').textContent;
    if (err) return { error: err };
    const s = document.getElementById('identity-status').textContent;
    return /registered/.test(s) ? s : null;
  }, null, 60_000);
  log('signed in:', identity);

  // The open campaigns, with what each asks; choose CAMPAIGN from the list.
  const entry = page.locator(`#campaign-list > li[data-campaign-id="${CAMPAIGN}"]`);
  await entry.waitFor({ timeout: 30_000 });

  // The campaign's key material is used only when every pinned keyholder
  // signed it: with no keys pinned, with someone else's key pinned, and
  // with the right keys but material changed on the way (one signed term),
  // the campaign is refused and no record form is offered.
  const refusal = async (what) => {
    await entry.getByRole('button', { name: 'Contribute to this campaign' }).click();
    const message = await waitInPage(page, what, () => document.getElementById('campaign-error').textContent || null);
    if (!(await page.locator('#record-section').isHidden())) throw new Error(`${what}: the record form is offered`);
    log(`${what}: “${message}”`);
    return message;
  };
  const pin = async (keys) => {
    await page.getByLabel('Keyholder keys').fill(keys.join('\n'));
    await page.getByRole('button', { name: 'Pin these keys' }).click();
    await waitInPage(page, 'keys pinned', () => {
      const err = document.getElementById('keyholder-keys-error').textContent;
      if (err) return { error: err };
      return document.getElementById('keys-status').textContent || null;
    });
  };
  if (!/Pin the keyholders/.test(await refusal('no keyholder keys pinned'))) throw new Error('no refusal without pinned keys');
  await page.getByLabel('Keyholder keys').fill('not-a-key');
  await page.getByRole('button', { name: 'Pin these keys' }).click();
  await waitInPage(page, 'a malformed key refused', () => document.getElementById('keyholder-keys-error').textContent || null);
  await pin([WRONG_KEY]);
  if (!/^Refused/.test(await refusal('another key pinned'))) throw new Error('material accepted under another key');
  await pin(KEYHOLDER_KEYS);
  const materialUrl = `${BASE}/api/campaigns/${CAMPAIGN}/material`;
  await context.route(materialUrl, async (route) => {
    const headers = { ...route.request().headers() };
    delete headers['if-none-match'];
    const resp = await route.fetch({ headers });
    const material = await resp.json();
    material.terms.epsilon_micro += 1;
    await route.fulfill({ response: resp, json: material });
  });
  if (!/^Refused/.test(await refusal('tampered material'))) throw new Error('tampered material accepted');
  await context.unroute(materialUrl);
  const shown = await page.locator('#keyholder-keys').inputValue();
  if (shown.split('\n').join(',') !== KEYHOLDER_KEYS.join(',')) throw new Error(`pinned keys shown: ${shown}`);
  const entryText = await entry.textContent();
  for (const name of Object.keys(RECORD)) {
    if (!entryText.includes(name)) throw new Error(`the campaign list entry does not say it asks for ${name}: ${entryText}`);
  }
  if (!/tokens? each/.test(entryText)) throw new Error(`the campaign list entry shows no reward: ${entryText}`);
  await entry.getByRole('button', { name: 'Contribute to this campaign' }).click();
  await waitInPage(page, 'the chosen campaign', (id) => {
    const err = document.getElementById('campaign-error').textContent;
    if (err) return { error: err };
    return document.querySelector(`#campaign-list > li[data-campaign-id="${id}"]`)?.getAttribute('aria-current') === 'true'
      && !document.getElementById('record-section').hidden;
  }, CAMPAIGN);
  log('campaign:', await page.locator('#campaign-name').textContent());

  const { receipt, seconds, timing, phases, runtime, keysLoad, longestTaskMs, balance } = await contributeRecord(page, RECORD, TIMEOUT_MS);
  await writeTimings(page, join(ARTIFACTS, 'extension-timings.json'), RECORD, { runtime, keysLoad, seconds, phases, longestTaskMs });
  const walletBalance = await waitInPage(page, 'the wallet', () => {
    const err = document.getElementById('wallet-error').textContent;
    if (err) return { error: err };
    const value = document.getElementById('wallet-balance').dataset.value;
    // An object: a balance of 0 is an answer, not a falsy "not yet".
    return value && !document.getElementById('wallet-section').hasAttribute('aria-busy')
      ? { balance: Number(value) } : null;
  }).then((w) => w.balance);
  await page.locator('#receipt-section details summary').click();
  await page.screenshot({ path: join(ARTIFACTS, 'extension.png'), fullPage: true });

  // The identity secret is in extension storage, for this server and account,
  // not in the page's web storage, and no request carried it.
  const stored = await page.evaluate(async () => ({
    local: await chrome.storage.local.get(null),
    webStorage: Object.keys(localStorage).length + Object.keys(sessionStorage).length,
  }));
  const secretKeys = Object.keys(stored.local).filter((k) => k.startsWith(`cipherpool.identity-secret.${BASE}.`));
  const noteKeys = Object.keys(stored.local).filter((k) => k.startsWith(`cipherpool.notes.${BASE}.`));
  if (noteKeys.length !== 1) throw new Error(`expected the reward notes in extension storage, found ${JSON.stringify(Object.keys(stored.local))}`);
  if (secretKeys.length !== 1) throw new Error(`expected one identity secret in extension storage, found ${JSON.stringify(Object.keys(stored.local))}`);
  const secret = stored.local[secretKeys[0]];
  if (!/^[0-9a-f]{32,}$/i.test(secret)) throw new Error('the stored identity secret is not a hex string');
  if (stored.webStorage) throw new Error('the extension page wrote to web storage');
  const carriers = requests.filter((r) => `${r.url}\n${r.body ?? ''}`.toLowerCase().includes(secret.toLowerCase()));
  if (carriers.length) throw new Error(`the identity secret was sent: ${carriers.map((r) => `${r.method} ${r.url}`).join(', ')}`);

  // Reopened, the page still knows the server, the session and the secret.
  await page.reload();
  await waitInPage(page, 'identity after reload', () => {
    const err = document.getElementById('identity-error').textContent;
    if (err) return { error: err };
    return /its secret stays on this device/.test(document.getElementById('identity-status').textContent);
  }, null, 60_000);
  log('after reload:', await page.locator('#identity-status').textContent());
  // The reward note survived the reload; claim it.
  const claim = await claimRewards(page, 120_000);

  // The page fits a phone screen (375 px).
  await checkPhoneWidth(page, join(ARTIFACTS, 'extension-phone.png'));

  problems.push(...plaintextLeaks(requests, RECORD), ...submissionProblems(requests, CAMPAIGN),
    ...claimProblems(requests, CAMPAIGN));
  // The threaded build (the manifest's COOP/COEP isolate the page).
  if (!requests.some((r) => r.url.startsWith(`${ORIGIN}/pkg-threads/`) && r.url.endsWith('.wasm'))) {
    problems.push('the wasm client was not loaded from the extension');
  }
  checkProblems(problems, 'the contribution');

  console.log(JSON.stringify({
    extension_id: extensionId,
    csp: manifest.content_security_policy.extension_pages,
    receipt,
    seconds,
    timing,
    phases,
    runtime,
    longest_main_thread_task_ms: longestTaskMs,
    balance,
    wallet_balance: walletBalance,
    claim,
    secret_key: secretKeys[0],
    requests: requests.map((r) => ({ method: r.method, url: r.url, bytes: r.body?.length ?? 0 })),
  }));
  exitCode = 0;
} catch (err) {
  log('FAILED:', err.message);
  if (problems.length) log('also:\n' + problems.join('\n'));
  await page.screenshot({ path: join(ARTIFACTS, 'extension-failure.png'), fullPage: true }).catch(() => {});
} finally {
  await close();
}
process.exit(exitCode);
