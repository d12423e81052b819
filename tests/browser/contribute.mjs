// Drives web/contribute.html in Debian's headless Chromium: create a new
// contributor account (a guessable password is refused first), sign it in
// and out, then sign in as EMAIL, fill the
// record, encrypt + prove in the page's wasm worker, submit, and wait for the
// receipt; with WITHDRAW set, then request a withdrawal from the wallet
// section (an empty address is refused in the page first) and wait for it to
// show as pending with the balance down by that much. Prints {registered, receipt,
// seconds, timing, balance, withdrawal, balance_after_withdrawal, requests} as
// JSON on stdout; screenshots go to $ARTIFACTS_DIR/contribute.png (and
// contribute-wallet.png, contribute-phone.png with WITHDRAW). Fails (exit 1)
// when anything goes wrong, when the page talks to another origin, or when
// any request the browser sends (the withdrawal included) carries the
// plaintext record.
//
// Environment: BASE (server URL), CAMPAIGN (id), EMAIL, PASSWORD,
// RECORD (JSON object, e.g. {"minutes":37,"days":4,"mode":"train"}),
// WITHDRAW (optional: tokens to withdraw after contributing, at most the
// balance then; paid to the address "ext-acct-1"),
// ARTIFACTS_DIR (default target/artifacts), CHROMIUM (default /usr/bin/chromium),
// TIMEOUT_MS for the receipt (default 15 minutes).
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

function env(name, fallback) {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`${name} is not set`);
  return v;
}

const BASE = env('BASE').replace(/\/$/, '');
const CAMPAIGN = env('CAMPAIGN');
const EMAIL = env('EMAIL');
const PASSWORD = env('PASSWORD');
const RECORD = JSON.parse(env('RECORD'));
const ARTIFACTS = resolve(env('ARTIFACTS_DIR', 'target/artifacts'));
const TIMEOUT_MS = Number(env('TIMEOUT_MS', String(15 * 60 * 1000)));
const WITHDRAW = process.env.WITHDRAW ? Number(process.env.WITHDRAW) : null;
const WITHDRAW_ADDRESS = 'ext-acct-1';
if (WITHDRAW !== null && !(Number.isSafeInteger(WITHDRAW) && WITHDRAW > 0)) throw new Error('WITHDRAW must be a whole number above 0');
const log = (...a) => console.error('[browser]', ...a);

// Every way the page could plausibly put a record value on the wire: as a
// JSON member ("minutes":37, "mode": "train"), a form/query parameter
// (minutes=37, mode=train), or a label next to its field name. Base64 and
// hex (what the ciphertext and proofs are made of) contain none of the
// separator characters, so none of these patterns can occur by chance there.
function leakPatterns(record) {
  const esc = (s) => String(s).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return Object.entries(record).map(([k, v]) => ({
    what: `${k}=${JSON.stringify(v)}`,
    re: new RegExp(`${esc(k)}["']?\\s*(:|=|%3A|%3D)\\s*["']?${esc(v)}(?![0-9A-Za-z])`, 'i'),
  }));
}

/** Collects the field names and labels in a JSON body (keys and string values). */
function jsonTokens(value, out = new Set()) {
  if (Array.isArray(value)) value.forEach((v) => jsonTokens(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      jsonTokens(v, out);
    }
  } else if (typeof value === 'string') out.add(value);
  return out;
}

function checkNoPlaintext(requests, record) {
  const patterns = leakPatterns(record);
  const names = new Set(Object.keys(record));
  const labels = new Set(Object.values(record).filter((v) => typeof v === 'string'));
  const leaks = [];
  for (const r of requests) {
    const text = `${r.url}\n${r.body ?? ''}`;
    for (const p of patterns) if (p.re.test(text)) leaks.push(`${r.method} ${r.url} carries ${p.what}`);
    if (r.body) {
      let parsed;
      try {
        parsed = JSON.parse(r.body);
      } catch {
        continue;
      }
      for (const t of jsonTokens(parsed)) {
        if (names.has(t)) leaks.push(`${r.method} ${r.url} names the record field "${t}"`);
        if (labels.has(t)) leaks.push(`${r.method} ${r.url} carries the category "${t}"`);
      }
    }
  }
  return leaks;
}

const browser = await chromium.launch({
  executablePath: env('CHROMIUM', '/usr/bin/chromium'),
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
const page = await context.newPage();
const requests = [];
const problems = [];
// The context sees requests of the page and of its dedicated worker.
context.on('request', (req) => {
  const buf = req.postDataBuffer();
  requests.push({
    method: req.method(), url: req.url(), body: buf ? buf.toString('latin1') : null, key: req.headers()['idempotency-key'],
  });
  if (!req.url().startsWith(BASE + '/') && !req.url().startsWith('data:') && !req.url().startsWith('blob:')) {
    problems.push(`request to another origin: ${req.method()} ${req.url()}`);
  }
});
page.on('console', (m) => log(`console.${m.type()}: ${m.text()}`));
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('worker', (w) => log(`worker started: ${w.url()}`));

const registered = `new-${Date.now()}@example.org`; // the account the page creates first

let exitCode = 1;
try {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.goto(`${BASE}/contribute.html?campaign=${encodeURIComponent(CAMPAIGN)}`);

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
  await page.locator('#register-email').fill(registered);
  await page.locator('#register-password').fill('quiet-meadow-42-ember');
  await page.locator('#register-submit').click();
  await page.waitForFunction((email) => {
    const err = document.getElementById('register-error').textContent || document.getElementById('login-error').textContent;
    if (err) throw new Error(`registration: ${err}`);
    return !document.getElementById('session').hidden && document.getElementById('session-email').textContent === email;
  }, registered, { timeout: 30_000 });
  if (!(await page.locator('#register-box').isHidden())) throw new Error('the registration form is still shown after sign-in');
  // Let the new account's identity check finish before signing out.
  await page.waitForFunction(() => document.getElementById('identity-status').textContent
    || document.getElementById('identity-error').textContent, null, { timeout: 60_000 });
  log('registered and signed in as', registered);
  await page.locator('#logout-button').click();
  await page.locator('#login-form').waitFor({ state: 'visible' });
  await page.locator('#register-box').waitFor({ state: 'visible' });

  // Sign in.
  await page.getByLabel('E-mail', { exact: true }).fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#session').waitFor({ state: 'visible' });
  await page.waitForFunction(() => {
    const s = document.getElementById('identity-status').textContent;
    const e = document.getElementById('identity-error').textContent;
    if (e) throw new Error(`identity: ${e}`);
    return /registered/.test(s);
  }, null, { timeout: 60_000 });
  log('signed in:', await page.locator('#identity-status').textContent());

  // The campaign loaded from ?campaign= and the form was generated from its schema.
  await page.locator('#record-section').waitFor({ state: 'visible' });
  log('campaign:', await page.locator('#campaign-name').textContent());

  for (const [name, value] of Object.entries(RECORD)) {
    const field = page.locator(`[name="${name}"]`);
    if (typeof value === 'string') await field.selectOption(value);
    else await field.fill(String(value));
  }

  // First one value too wide for its field: the page refuses it before any
  // encryption, with the error next to the form and the field marked.
  const [badField, goodValue] = Object.entries(RECORD).find(([, v]) => typeof v === 'number') ?? [];
  if (badField) {
    await page.locator(`[name="${badField}"]`).fill('99999999999');
    await page.getByRole('button', { name: 'Encrypt and contribute' }).click();
    await page.locator('#record-error').filter({ hasText: badField }).waitFor({ timeout: 60_000 });
    log('invalid record refused in the page:', await page.locator('#record-error').textContent());
    if ((await page.locator(`[name="${badField}"]`).getAttribute('aria-invalid')) !== 'true') {
      throw new Error(`the invalid field ${badField} is not marked aria-invalid`);
    }
    await page.locator(`[name="${badField}"]`).fill(String(goodValue));
  }

  await page.getByRole('button', { name: 'Encrypt and contribute' }).click();
  const started = Date.now();
  await page.locator('#progress-box').waitFor({ state: 'visible', timeout: 60_000 }).catch(() => {});

  // Wait for the receipt, or the first error.
  const outcome = await page.waitForFunction(() => {
    const err = document.getElementById('record-error').textContent;
    if (err) return { error: err };
    if (!document.getElementById('receipt-section').hidden) return { ok: true };
    return null;
  }, null, { timeout: TIMEOUT_MS, polling: 500 }).then((h) => h.jsonValue());
  if (outcome.error) throw new Error(`the page reported: ${outcome.error}`);

  const receipt = JSON.parse(await page.locator('#receipt-json').textContent());
  const seconds = Number(await page.locator('#receipt-section').getAttribute('data-seconds'));
  const balance = await page.locator('#balance').textContent();
  const timing = await page.locator('#receipt-time').textContent();
  log(`receipt after ${((Date.now() - started) / 1000).toFixed(1)} s; in the page: ${timing}; balance ${balance}`);
  await page.locator('#receipt-section details summary').click();
  await page.screenshot({ path: join(ARTIFACTS, 'contribute.png'), fullPage: true });

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
      const receipt = /^(\d+)/.exec(document.getElementById('balance').textContent)?.[1];
      if (section.hidden || section.hasAttribute('aria-busy') || !value) return null;
      if (document.getElementById('withdrawal-history').dataset.loaded !== 'true') return null;
      return value === receipt ? { balance: Number(value) } : null;
    }, null, { timeout: 30_000, polling: 250 }).then((h) => h.jsonValue());
    if (wallet.error) throw new Error(`wallet: the page reported: ${wallet.error}`);
    const before = wallet.balance;
    if (WITHDRAW > before) throw new Error(`WITHDRAW (${WITHDRAW}) is more than the balance after contributing (${before})`);
    const transfers = await page.locator('#transfer-list tbody tr[data-kind]').count();
    if (!transfers) throw new Error('the wallet shows no transfers after a rewarded contribution');
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
    await page.setViewportSize({ width: 375, height: 800 });
    await page.waitForTimeout(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await page.screenshot({ path: join(ARTIFACTS, 'contribute-phone.png'), fullPage: true });
    if (overflow > 1) throw new Error(`at 375 px the page is ${overflow} px wider than the screen`);
  }

  // No plaintext left the browser; the submission itself was seen.
  const leaks = checkNoPlaintext(requests, RECORD);
  problems.push(...leaks);
  const posted = requests.filter((r) => r.method === 'POST' && r.url.endsWith(`/api/campaigns/${CAMPAIGN}/contributions`));
  if (posted.length !== 1) problems.push(`expected one submission POST, saw ${posted.length}`);
  else {
    const s = JSON.parse(posted[0].body);
    if (Object.keys(s).sort().join() !== 'attestation,ciphertext,payout_account') {
      problems.push(`unexpected submission members: ${Object.keys(s)}`);
    }
  }
  if (problems.length) {
    const err = new Error(problems.join('\n'));
    problems.length = 0;
    throw err;
  }

  console.log(JSON.stringify({
    registered,
    receipt,
    seconds,
    timing,
    balance,
    withdrawal,
    balance_after_withdrawal: balanceAfterWithdrawal,
    requests: requests.map((r) => ({ method: r.method, url: r.url.slice(BASE.length), bytes: r.body?.length ?? 0 })),
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
