// Drives web/contribute.html in Debian's headless Chromium: create a new
// contributor account (a guessable password is refused first), sign it in
// and out while its identity check is held, then sign in as EMAIL (the held
// check's late answer must leave that session alone), fill the
// record, encrypt + prove in the page's wasm worker, submit, and wait for the
// receipt; claim the reward note into the wallet from the wallet section (the
// claim carries no session and nothing of the submission); with WITHDRAW set,
// then request a withdrawal from the wallet
// section (an empty address is refused in the page first) and wait for it to
// show as pending with the balance down by that much. Prints {registered, receipt,
// seconds, timing, phases, runtime, balance, claim, withdrawal, balance_after_withdrawal, requests, wasm_encoding} as
// JSON on stdout; screenshots go to $ARTIFACTS_DIR/contribute.png (and
// contribute-wallet.png, contribute-phone.png with WITHDRAW). Fails (exit 1)
// when anything goes wrong, when the page talks to another origin, or when
// any request the browser sends (the withdrawal included) carries the
// plaintext record.
//
// The page is cross-origin isolated (the server's COOP/COEP headers), so
// its worker runs the threaded client (web/pkg-threads); with ISOLATION=off
// the test strips those headers from the page, and the worker must fall back
// to the single-threaded client (web/pkg). Either way the phase timings of
// the contribution (click to receipt) are written to
// $ARTIFACTS_DIR/$TIMINGS (default contribute-timings.json). Isolated, the
// page is then reloaded and must take the proving key from the Cache API
// (proving_key_on_reload). With KEY_ATTACK=on the page first meets a server
// that substitutes the proving key (key_attack: the refusal it showed).
//
// Environment: BASE (server URL), CAMPAIGN (id), EMAIL, PASSWORD,
// RECORD (JSON object, e.g. {"minutes":37,"days":4,"mode":"train"}),
// WITHDRAW (optional: tokens to withdraw after contributing, at most the
// balance then; paid to the address "ext-acct-1"),
// ARTIFACTS_DIR (default target/artifacts), CHROMIUM (default /usr/bin/chromium),
// TIMEOUT_MS for the receipt (default 15 minutes).
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  env, contributorEnv, checkPhoneWidth, log, launch, guard, checkProblems, recordRequests, plaintextLeaks, contributeRecord, writeTimings,
  submissionProblems, claimProblems, claimRewards,
} from './lib.mjs';

const { BASE, CAMPAIGN, EMAIL, PASSWORD, RECORD, ARTIFACTS, TIMEOUT_MS } = contributorEnv();
const WITHDRAW = process.env.WITHDRAW ? Number(process.env.WITHDRAW) : null;
const ISOLATED = env('ISOLATION', 'on') !== 'off';
const TIMINGS = env('TIMINGS', 'contribute-timings.json');
const WITHDRAW_ADDRESS = 'ext-acct-1';
if (WITHDRAW !== null && !(Number.isSafeInteger(WITHDRAW) && WITHDRAW > 0)) throw new Error('WITHDRAW must be a whole number above 0');

const { browser, context, page } = await launch();
const problems = [];
// The context sees requests of the page and of its dedicated worker.
guard(context, page, [BASE], problems);
const requests = recordRequests(context);
page.on('worker', (w) => log(`worker started: ${w.url()}`));
// How the wasm module travelled (the server sends its gzip copy to browsers that accept gzip).
let wasmEncoding = null;
context.on('response', async (resp) => {
  if (new URL(resp.url()).pathname.endsWith('_bg.wasm')) {
    wasmEncoding = (await resp.allHeaders())['content-encoding'] ?? 'identity';
  }
});

const registered = `new-${Date.now()}@example.org`; // the account the page creates first

// The page's module gets one line appended: its call into the worker as a
// global, so that the test can make the module panic on a pool worker.
await page.route((url) => url.pathname === '/js/contribute.js', async (route) => {
  const response = await route.fetch();
  await route.fulfill({ response, body: `${await response.text()}\nglobalThis.cipherpoolTestCall = wasm;\n` });
});

if (!ISOLATED) {
  // The page as a server without COOP/COEP would send it.
  await page.route((url) => url.pathname === '/contribute.html', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
}

// With KEY_ATTACK=on the page first meets a server that hands out a
// proving key of its own (here the real one with a byte changed; a key the
// server made itself would do the same), naming it in /api/attestation/keys
// under its own hash: the worker must refuse it (the keyholders did not sign
// that hash) before proving anything; then the server behaves again.
const KEY_ATTACK = env('KEY_ATTACK', 'off') === 'on';
const attackRoutes = [];
if (KEY_ATTACK) {
  const original = await (await fetch(`${BASE}/api/attestation/keys`)).json();
  const real = new Uint8Array(await (await fetch(`${BASE}/api/attestation/proving-key`)).arrayBuffer());
  const theirs = real.slice();
  theirs[theirs.length >> 1] ^= 1;
  const theirHash = createHash('sha256').update(theirs).digest('hex');
  const keysRoute = (url) => url.pathname === '/api/attestation/keys';
  const keyRoute = (url) => url.pathname === '/api/attestation/proving-key';
  await page.route(keysRoute, (route) => route.fulfill({
    status: 200,
    contentType: 'application/json',
    body: JSON.stringify({
      ...original,
      proving_key_sha256: theirHash,
      proving_key_url: `/api/attestation/proving-key?sha256=${theirHash}`,
    }),
  }));
  await page.route(keyRoute, (route) => route.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.from(theirs) }));
  attackRoutes.push(keysRoute, keyRoute);
}

let exitCode = 1;
let keyAttack = null;
let requestsFrom = 0; // the first request after the proving-key attack (KEY_ATTACK=on)
let provingKeyOnReload = null;
let poolPanic = null;
try {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.goto(`${BASE}/contribute.html?campaign=${encodeURIComponent(CAMPAIGN)}`);
  if (KEY_ATTACK) {
    keyAttack = await page.waitForFunction(() => {
      const el = document.getElementById('campaign-keys-status');
      return el.dataset.state === 'failed' ? el.textContent : el.dataset.state === 'ready' ? 'LOADED' : null;
    }, null, { timeout: 120_000 }).then((h) => h.jsonValue());
    if (keyAttack === 'LOADED') throw new Error('the page loaded a proving key the keyholders did not sign');
    log('substituted proving key refused:', keyAttack);
    for (const r of attackRoutes) await page.unroute(r);
    // Nothing of theirs was fetched or kept: the signatures were checked first.
    const fetched = requests.filter((r) => new URL(r.url).pathname === '/api/attestation/proving-key');
    if (fetched.length) throw new Error(`the page fetched ${fetched.length} proving key(s) the keyholders did not sign`);
    // The server behaves again: a new visit loads the signed key.
    requestsFrom = requests.length;
    await page.reload();
  }
  const isolated = await page.evaluate(() => self.crossOriginIsolated);
  if (isolated !== ISOLATED) throw new Error(`the page is${isolated ? '' : ' not'} cross-origin isolated (ISOLATION=${ISOLATED ? 'on' : 'off'})`);

  // Create an account: a guessable password is refused, then a good one signs it in.
  await page.locator('#register-box > summary').click();
  await page.locator('#register-email').fill(registered);
  await page.locator('#register-password').fill('password1');
  await page.locator('#register-submit').click();
  const refused = await page.waitForFunction(() => {
    const box = document.getElementById('register-error');
    return box.textContent ? { code: box.dataset.code ?? null, text: box.textContent } : false;
  }, null, { timeout: 30_000 }).then((h) => h.jsonValue());
  if (!['password_too_weak', 'password_too_short'].includes(refused.code)) {
    throw new Error(`the weak password was refused with ${JSON.stringify(refused)}, not by the server's password check`);
  }
  if (!(await page.locator('#session').isHidden())) throw new Error('a refused registration signed in');
  log('weak password refused:', refused.text);
  // The new account's identity check is held at the page's door until the
  // next account has signed in: its late answer (a 401, that session having
  // ended) must not sign the newer session out nor touch its identity.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let holding = true;
  let onHeld;
  const gotHeld = new Promise((resolve) => { onHeld = resolve; });
  await page.route('**/api/registry/me', async (route) => {
    if (!holding) return route.continue();
    holding = false;
    onHeld(route.request());
    await held;
    await route.continue();
  });
  await page.locator('#register-email').fill(registered);
  await page.locator('#register-password').fill('quiet-meadow-42-ember');
  await page.locator('#register-submit').click();
  await page.waitForFunction((email) => {
    const err = document.getElementById('register-error').textContent || document.getElementById('login-error').textContent;
    if (err) throw new Error(`registration: ${err}`);
    return !document.getElementById('session').hidden && document.getElementById('session-email').textContent === email;
  }, registered, { timeout: 30_000 });
  if (!(await page.locator('#register-box').isHidden())) throw new Error('the registration form is still shown after sign-in');
  // Sign out while its identity check is still waiting for the server.
  const stale = await gotHeld;
  log('registered and signed in as', registered);
  await page.locator('#logout-button').click();
  await page.locator('#login-form').waitFor({ state: 'visible' });
  await page.locator('#register-box').waitFor({ state: 'visible' });

  // Sign in; then let the old session's identity check have its answer.
  await page.getByLabel('E-mail', { exact: true }).fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#session').waitFor({ state: 'visible' });
  const staleAnswer = page.waitForResponse((r) => r.request() === stale);
  release();
  log(`the signed-out session's identity check was answered ${(await staleAnswer).status()}`);
  await page.waitForFunction(() => {
    const s = document.getElementById('identity-status').textContent;
    const e = document.getElementById('identity-error').textContent;
    if (e) throw new Error(`identity: ${e}`);
    return /registered/.test(s);
  }, null, { timeout: 60_000 });
  await page.unroute('**/api/registry/me');
  if (await page.locator('#session').isHidden() || await page.locator('#session-email').textContent() !== EMAIL) {
    throw new Error('the signed-out session\'s late answer signed the new session out');
  }
  log('signed in:', await page.locator('#identity-status').textContent());

  // The campaign loaded from ?campaign= and the form was generated from its schema.
  await page.locator('#record-section').waitFor({ state: 'visible' });
  log('campaign:', await page.locator('#campaign-name').textContent());
  // The material was checked against the keyholders' signatures; the page
  // shows their fingerprints (the first 16 hex digits of each key).
  const KEYHOLDER_KEYS = env('KEYHOLDER_KEYS').split(',');
  const shownKeys = await page.locator('#campaign-keyholders').textContent();
  if (shownKeys !== KEYHOLDER_KEYS.map((k) => k.slice(0, 16)).join(', ')) {
    throw new Error(`keyholder fingerprints shown: “${shownKeys}”`);
  }
  const { receipt, seconds, timing, phases, runtime, keysLoad, longestTaskMs, balance } = await contributeRecord(page, RECORD, TIMEOUT_MS);
  await writeTimings(page, join(ARTIFACTS, TIMINGS), RECORD, { runtime, keysLoad, seconds, phases, longestTaskMs });
  await page.locator('#receipt-section details summary').click();
  await page.screenshot({ path: join(ARTIFACTS, 'contribute.png'), fullPage: true });

  // The reward waits in a note on this device; claim it into the wallet.
  const claim = await claimRewards(page, 120_000);

  // Withdraw WITHDRAW tokens from the wallet section: an empty address first
  // (refused in the page), then to WITHDRAW_ADDRESS.
  let withdrawal = null;
  let balanceAfterWithdrawal = null;
  if (WITHDRAW !== null) {
    const wallet = await page.waitForFunction(() => {
      const err = document.getElementById('wallet-error').textContent;
      if (err) return { error: err };
      const section = document.getElementById('wallet-section');
      const value = document.getElementById('wallet-balance').dataset.value;
      if (section.hidden || section.hasAttribute('aria-busy') || !value) return null;
      if (document.getElementById('withdrawal-history').dataset.loaded !== 'true') return null;
      return { balance: Number(value) };
    }, null, { timeout: 30_000, polling: 250 }).then((h) => h.jsonValue());
    if (wallet.error) throw new Error(`wallet: the page reported: ${wallet.error}`);
    const before = wallet.balance;
    if (WITHDRAW > before) throw new Error(`WITHDRAW (${WITHDRAW}) is more than the balance after contributing (${before})`);
    const transfers = await page.locator('#transfer-list tbody tr[data-kind]').count();
    if (!transfers) throw new Error('the wallet shows no transfers after a claimed reward');
    const withdrawalPosts = () => requests.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/api/withdrawals');

    await page.locator('#withdraw-amount').fill(String(WITHDRAW));
    await page.locator('#withdraw-address').fill('');
    await page.locator('#withdraw-submit').click();
    await page.waitForFunction(() => document.getElementById('withdraw-address').getAttribute('aria-invalid') === 'true'
      && document.getElementById('withdraw-address-error').textContent !== '', null, { timeout: 10_000 });
    const refused = await page.evaluate(() => ({
      message: document.getElementById('withdraw-address-error').textContent,
      describedBy: document.getElementById('withdraw-address').getAttribute('aria-describedby') ?? '',
      focused: document.activeElement?.id === 'withdraw-address',
      amountInvalid: document.getElementById('withdraw-amount').getAttribute('aria-invalid') === 'true',
    }));
    if (!refused.describedBy.split(/\s+/).includes('withdraw-address-error')) throw new Error('#withdraw-address is not described by its error message');
    if (!refused.focused) throw new Error('focus did not move to #withdraw-address');
    if (refused.amountInvalid) throw new Error(`the amount ${WITHDRAW} was refused in the page`);
    await page.waitForTimeout(300);
    if (withdrawalPosts().length) throw new Error('the page sent a withdrawal with an empty address');
    log(`empty address refused in the page (“${refused.message}”)`);

    await page.locator('#withdraw-address').fill(WITHDRAW_ADDRESS);
    await page.locator('#withdraw-submit').click();
    const requested = await page.waitForFunction(() => {
      const err = document.getElementById('withdraw-error').textContent || document.getElementById('wallet-error').textContent;
      if (err) return { error: err };
      const id = document.getElementById('withdraw-result').dataset.withdrawalId;
      return id ? { id } : null;
    }, null, { timeout: 30_000, polling: 250 }).then((h) => h.jsonValue());
    if (requested.error) throw new Error(`withdrawal: the page reported: ${requested.error}`);
    const shown = await page.waitForFunction(([id, want]) => {
      const err = document.getElementById('wallet-error').textContent;
      if (err) return { error: err };
      const row = document.querySelector(`#withdrawal-history > [data-withdrawal-id="${id}"]`);
      const value = Number(document.getElementById('wallet-balance').dataset.value);
      if (row?.dataset.status !== 'pending' || value !== want) return null;
      return { id: Number(id), status: row.dataset.status, amount: Number(row.dataset.amount), balance: value };
    }, [requested.id, before - WITHDRAW], { timeout: 30_000, polling: 250 }).then((h) => h.jsonValue()).catch(async (e) => {
      const state = await page.evaluate(() => ({
        balance: document.getElementById('wallet-balance').dataset.value,
        rows: [...document.querySelectorAll('#withdrawal-history > [data-withdrawal-id]')].map((r) => `${r.dataset.withdrawalId}:${r.dataset.status}`),
      }));
      throw new Error(`withdrawal ${requested.id} not shown as pending with the balance at ${before - WITHDRAW}: `
        + `${e.message.split('\n')[0]}; balance ${state.balance}, rows ${state.rows.join(', ') || 'none'}`);
    });
    if (shown.error) throw new Error(`wallet: the page reported: ${shown.error}`);
    if (shown.amount !== WITHDRAW) throw new Error(`withdrawal ${shown.id} shows ${shown.amount} tokens, not ${WITHDRAW}`);
    // The request carried the amount and the address, nothing else, under an Idempotency-Key.
    const sent = withdrawalPosts();
    if (sent.length !== 1) throw new Error(`expected one withdrawal POST, saw ${sent.length}`);
    const body = JSON.parse(sent[0].body);
    if (Object.keys(body).sort().join() !== 'address,amount' || body.amount !== WITHDRAW || body.address !== WITHDRAW_ADDRESS) {
      throw new Error(`unexpected withdrawal request: ${sent[0].body}`);
    }
    if (!sent[0].key) throw new Error('the withdrawal was sent without an Idempotency-Key');
    withdrawal = { id: shown.id, status: shown.status, amount: shown.amount };
    balanceAfterWithdrawal = shown.balance;
    log(`withdrawal ${shown.id} of ${WITHDRAW} tokens pending; balance ${before} → ${shown.balance}`);
    await page.screenshot({ path: join(ARTIFACTS, 'contribute-wallet.png'), fullPage: true });

    // The page fits a phone screen (375 px).
    await checkPhoneWidth(page, join(ARTIFACTS, 'contribute-phone.png'));
  }

  // A panic on one of the pool's workers (the threaded build; the worker
  // that called into the pool is blocked meanwhile) ends in an error that
  // names it and a fresh worker, not in a page that waits forever.
  if (ISOLATED) {
    const started = Date.now();
    const answer = await page.evaluate(() => Promise.race([
      globalThis.cipherpoolTestCall('panicOnPool', []).then(() => 'answered without an error', (err) => err.message),
      new Promise((resolve) => { setTimeout(() => resolve('no answer in 60 s'), 60_000); }),
    ]));
    if (!/^the encryption module crashed \(.*a panic on rayon's pool/s.test(answer)) {
      throw new Error(`a panic on the pool: ${answer}`);
    }
    const runtimeAfter = await page.evaluate(() => globalThis.cipherpoolTestCall('runtime', []));
    if (!runtimeAfter.threaded || runtimeAfter.threads < 2) {
      throw new Error(`the worker after the panic: ${JSON.stringify(runtimeAfter)}`);
    }
    poolPanic = { answer, seconds: (Date.now() - started) / 1000, runtime_after: runtimeAfter };
    log('panic on the pool answered:', JSON.stringify(poolPanic));
  }

  // The proving key was kept: a new visit takes it from the Cache API
  // (checked against the signed hash again), not from the network.
  if (ISOLATED) {
    await page.reload();
    provingKeyOnReload = await page.waitForFunction(() => {
      const el = document.getElementById('campaign-keys-status');
      if (el.dataset.state === 'failed') throw new Error(`keys after reload: ${el.textContent}`);
      return el.dataset.state === 'ready'
        ? { seconds: Number(el.dataset.loadSeconds), provingKeyFrom: el.dataset.provingKeyFrom } : null;
    }, null, { timeout: 120_000 }).then((h) => h.jsonValue());
    log('keys loaded again on reload:', JSON.stringify(provingKeyOnReload));
  }

  // The proving keys' signed hashes are asked once per visit: the page's
  // start, the campaign's load and the claim share one checked answer.
  const since = requests.slice(requestsFrom);
  const visits = since.filter((r) => new URL(r.url).pathname === '/contribute.html').length;
  const keysAsked = since.filter((r) => new URL(r.url).pathname === '/api/attestation/keys').length;
  if (keysAsked > visits) problems.push(`/api/attestation/keys asked ${keysAsked} times over ${visits} visits`);

  // The pool worker's trap surfaces as an uncaught "unreachable": expected
  // from the probe above, and only from it.
  if (poolPanic) {
    const trap = problems.indexOf('page error: unreachable');
    if (trap >= 0) problems.splice(trap, 1);
  }

  // No plaintext left the browser; the submission itself was seen.
  problems.push(...plaintextLeaks(requests, RECORD), ...submissionProblems(requests, CAMPAIGN),
    ...claimProblems(requests, CAMPAIGN));
  checkProblems(problems, 'the contribution');

  console.log(JSON.stringify({
    registered,
    receipt,
    seconds,
    timing,
    phases,
    runtime,
    keys_load: keysLoad,
    longest_main_thread_task_ms: longestTaskMs,
    hardware_concurrency: await page.evaluate(() => navigator.hardwareConcurrency),
    balance,
    claim,
    withdrawal,
    balance_after_withdrawal: balanceAfterWithdrawal,
    requests: requests.map((r) => ({ method: r.method, url: r.url.slice(BASE.length), bytes: r.body?.length ?? 0 })),
    wasm_encoding: wasmEncoding,
    key_attack: keyAttack,
    proving_key_on_reload: provingKeyOnReload,
    pool_panic: poolPanic,
  }));
  exitCode = 0;
} catch (err) {
  log('FAILED:', err.message);
  if (problems.length) log('also:\n' + problems.join('\n'));
  await page.screenshot({ path: join(ARTIFACTS, 'contribute-failure.png'), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
process.exit(exitCode);
