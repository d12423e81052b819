// What the browser scripts share: their environment, launching Debian's
// Chromium (plain, or with the unpacked extension loaded), the guards every
// script keeps on its page (no request to another origin, no uncaught error,
// no dialog), waiting on the page, the check that no request carries a
// plaintext record, and contributing one record through the contributor
// page (the web page and the extension run the same page).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

/** An environment variable (or `fallback`); throws when neither is set. */
export function env(name, fallback) {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`${name} is not set`);
  return v;
}

export const log = (...a) => console.error('[browser]', ...a);

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];

/** Headless Chromium with one page: answers {browser, context, page, close}. */
export async function launch({ viewport = { width: 900, height: 1000 }, acceptDownloads = false } = {}) {
  const browser = await chromium.launch({ executablePath: env('CHROMIUM', '/usr/bin/chromium'), args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport, acceptDownloads });
  const page = await context.newPage();
  return { browser, context, page, close: () => browser.close() };
}

/**
 * Headless Chromium with the unpacked extension in `dir` loaded (a fresh
 * profile, removed at close): answers {context, page, extensionId, close}.
 */
export async function launchWithExtension(dir, { viewport = { width: 900, height: 1000 } } = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'cipherpool-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    headless: true,
    viewport,
    args: [...CHROMIUM_ARGS, `--disable-extensions-except=${dir}`, `--load-extension=${dir}`],
  });
  const close = async () => {
    await context.close().catch(() => {});
    await rm(profile, { recursive: true, force: true });
  };
  try {
    // The extension's service worker names its id: chrome-extension://<id>/background.js.
    let [worker] = context.serviceWorkers();
    worker ??= await context.waitForEvent('serviceworker', { timeout: 30_000 });
    const extensionId = new URL(worker.url()).host;
    const page = context.pages()[0] ?? (await context.newPage());
    return { context, page, extensionId, close };
  } catch (err) {
    await close();
    throw new Error(`the extension in ${dir} did not load: ${err.message}`);
  }
}

/**
 * Keeps the guards on a context and its page: a request to anything but
 * `origins` (besides data: and blob: URLs), an uncaught page error or a
 * dialog is pushed onto `problems` (see checkProblems); console messages are
 * logged.
 */
export function guard(context, page, origins, problems) {
  context.on('request', (req) => {
    const url = req.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    if (!origins.some((o) => url.startsWith(`${o}/`))) problems.push(`request to another origin: ${req.method()} ${url}`);
  });
  page.on('console', (m) => log(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`unexpected dialog (the page must ask inline): ${d.type()} ${d.message()}`);
    d.dismiss().catch(() => {});
  });
}

/** Throws (and empties `problems`) when the page misbehaved. */
export function checkProblems(problems, step) {
  if (!problems.length) return;
  const err = new Error(`${step}:\n${problems.join('\n')}`);
  problems.length = 0;
  throw err;
}

/** Records every request of a context: {method, url, body (latin1), key (Idempotency-Key)}. */
export function recordRequests(context) {
  const requests = [];
  context.on('request', (req) => {
    const buf = req.postDataBuffer();
    const headers = req.headers();
    requests.push({
      method: req.method(),
      url: req.url(),
      body: buf ? buf.toString('latin1') : null,
      key: headers['idempotency-key'],
      authorized: 'authorization' in headers,
    });
  });
  return requests;
}

/**
 * The environment of the contributor scripts: BASE (server URL), CAMPAIGN,
 * EMAIL, PASSWORD, RECORD (JSON object), ARTIFACTS_DIR (default
 * target/artifacts) and TIMEOUT_MS for the receipt (default 15 minutes).
 */
export function contributorEnv() {
  return {
    BASE: env('BASE').replace(/\/$/, ''),
    CAMPAIGN: env('CAMPAIGN'),
    EMAIL: env('EMAIL'),
    PASSWORD: env('PASSWORD'),
    RECORD: JSON.parse(env('RECORD')),
    ARTIFACTS: resolve(env('ARTIFACTS_DIR', 'target/artifacts')),
    TIMEOUT_MS: Number(env('TIMEOUT_MS', String(15 * 60 * 1000))),
  };
}

/** Screenshots the page 375 px wide (to `path`) and throws when it is wider than that screen. */
export async function checkPhoneWidth(page, path) {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.waitForTimeout(200);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path, fullPage: true });
  if (overflow > 1) throw new Error(`at 375 px the page is ${overflow} px wider than the screen`);
}

/** Waits until `fn` (run in `page` with `arg`) answers something truthy; an {error} answer fails. */
export async function waitInPage(page, what, fn, arg, timeout = 30_000) {
  const handle = await page.waitForFunction(fn, arg, { timeout, polling: 250 }).catch((e) => {
    throw new Error(`${what}: ${e.message.split('\n')[0]}`);
  });
  const value = await handle.jsonValue();
  if (value?.error) throw new Error(`${what}: the page reported: ${value.error}`);
  return value;
}

// Every way a page could plausibly put a record value on the wire: as a
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

/** The requests (see recordRequests) that carry a value of `record`, each as a sentence. */
export function plaintextLeaks(requests, record) {
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

/**
 * On the contributor page (signed in, identity registered, a campaign
 * loaded): fills `record`, first checks that a value too wide for its
 * field is refused in the page (message, aria-invalid), then encrypts,
 * proves and submits, and waits for the receipt. Answers {receipt, seconds
 * (in the page), timing (its text), balance (its text)}.
 */
/**
 * Writes a contribution's phase timings (what contributeRecord answered:
 * the client build that ran, seconds from the click to the receipt, each
 * phase's, and the page's longest main-thread task meanwhile) as JSON to
 * `path`, with the browser and the record.
 */
export async function writeTimings(page, path, record, { runtime, keysLoad, seconds, phases, longestTaskMs }) {
  const browser = await page.evaluate(() => ({ ua: navigator.userAgent, cores: navigator.hardwareConcurrency }));
  const timings = {
    at: new Date().toISOString(),
    user_agent: browser.ua,
    hardware_concurrency: browser.cores,
    record,
    runtime,
    // The campaign's keys loaded in the worker before the click (fetches,
    // signature and hash checks, parsing) and where the proving key came from.
    keys_load: keysLoad,
    seconds,
    phases,
    // The page's longest main-thread task (over 50 ms; 0 if none) from the click to the receipt.
    longest_main_thread_task_ms: longestTaskMs,
  };
  await writeFile(path, `${JSON.stringify(timings, null, 2)}\n`);
}

export async function contributeRecord(page, record, timeoutMs) {
  await page.locator('#record-section').waitFor({ state: 'visible' });
  for (const [name, value] of Object.entries(record)) {
    const field = page.locator(`[name="${name}"]`);
    if (typeof value === 'string') await field.selectOption(value);
    else await field.fill(String(value));
  }

  // First a value too wide for its field and, where there is one, no
  // category chosen: the page refuses both before any encryption, each
  // field marked with its own message, focus on the first.
  const [badField, goodValue] = Object.entries(record).find(([, v]) => typeof v === 'number') ?? [];
  const [emptyField, label] = Object.entries(record).find(([, v]) => typeof v === 'string') ?? [];
  if (badField) {
    await page.locator(`[name="${badField}"]`).fill('99999999999');
    if (emptyField) await page.locator(`[name="${emptyField}"]`).selectOption('');
    await page.getByRole('button', { name: 'Encrypt and contribute' }).click();
    const refused = await waitInPage(page, 'the incomplete record refused', ([bad, empty]) => {
      const state = (name) => {
        const el = document.querySelector(`[name="${name}"]`);
        const line = document.getElementById(el.getAttribute('aria-describedby'));
        return { invalid: el.getAttribute('aria-invalid') === 'true', message: line?.textContent ?? '', focused: document.activeElement === el };
      };
      const summary = document.getElementById('record-error').textContent;
      const fields = [bad, empty].filter(Boolean).map(state);
      return summary && fields.every((f) => f.invalid && f.message) ? { summary, fields } : null;
    }, [badField, emptyField]);
    log('incomplete record refused in the page:', refused.summary, refused.fields.map((f) => f.message).join(' | '));
    if (!refused.fields[0].focused) throw new Error(`focus did not move to ${badField}`);
    if (!/99999999999/.test(refused.fields[0].message)) throw new Error(`${badField}: ${refused.fields[0].message}`);
    if (!(await page.locator('#progress-box').isHidden())) throw new Error('the page started encrypting an invalid record');
    await page.locator(`[name="${badField}"]`).fill(String(goodValue));
    if (emptyField) await page.locator(`[name="${emptyField}"]`).selectOption(label);
  }

  // The page loads the campaign's keys into its worker while the form is
  // filled in; a contributor typing a record takes longer than that, so
  // the click comes once they are loaded (the wait is logged).
  const waitStart = Date.now();
  const keys = await page.waitForFunction(() => {
    const el = document.getElementById('campaign-keys-status');
    if (!['ready', 'failed'].includes(el?.dataset.state ?? '')) return null;
    const { state, threads, threaded, isolated, loadSeconds, provingKeyFrom } = el.dataset;
    return {
      state,
      text: el.textContent,
      // How long the load took in the page, and where the proving key came from.
      keysLoad: { seconds: Number(loadSeconds), provingKeyFrom },
      // The build the worker runs, as the module reports it.
      runtime: { threads: Number(threads), threaded: threaded === 'true', isolated: isolated === 'true' },
    };
  }, null, { timeout: timeoutMs, polling: 100 }).then((h) => h.jsonValue());
  if (keys.state !== 'ready') throw new Error(`the page could not load the campaign's keys: ${keys.text}`);
  log(`keys loaded in the worker ${((Date.now() - waitStart) / 1000).toFixed(1)} s after the form was filled in;`
    + ` client: ${JSON.stringify(keys.runtime)}`);
  // The main thread's long tasks (over 50 ms) from the click on: all the
  // work should be in the worker and its pool.
  await page.evaluate(() => {
    window.cipherpoolLongTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.cipherpoolLongTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask' });
  });
  await page.getByRole('button', { name: 'Encrypt and contribute' }).click();
  const started = Date.now();
  const outcome = await page.waitForFunction(() => {
    const err = document.getElementById('record-error').textContent;
    if (err) return { error: err };
    if (!document.getElementById('receipt-section').hidden) return { ok: true };
    return null;
  }, null, { timeout: timeoutMs, polling: 500 }).then((h) => h.jsonValue());
  if (outcome.error) throw new Error(`the page reported: ${outcome.error}`);

  const receipt = JSON.parse(await page.locator('#receipt-json').textContent());
  const seconds = Number(await page.locator('#receipt-section').getAttribute('data-seconds'));
  const balance = await page.locator('#balance').textContent();
  const timing = await page.locator('#receipt-time').textContent();
  const phases = JSON.parse(await page.locator('#receipt-section').getAttribute('data-phases'));
  const longestTaskMs = await page.evaluate(() => Math.max(0, ...window.cipherpoolLongTasks.map((t) => t.ms)));
  log(`receipt after ${((Date.now() - started) / 1000).toFixed(1)} s; in the page: ${timing}; balance ${balance}`);
  return { receipt, seconds, timing, phases, runtime: keys.runtime, keysLoad: keys.keysLoad, longestTaskMs, balance };
}

/**
 * The one submission POST to `campaign` among `requests`, checked to carry
 * only ciphertext, attestation and note key, and no session: nothing in it
 * names the account.
 */
export function submissionProblems(requests, campaign) {
  const posted = requests.filter((r) => r.method === 'POST' && r.url.endsWith(`/api/campaigns/${campaign}/contributions`));
  if (posted.length !== 1) return [`expected one submission POST, saw ${posted.length}`];
  const s = JSON.parse(posted[0].body);
  const members = Object.keys(s).sort().join();
  const problems = members === 'attestation,ciphertext,note_key' ? [] : [`unexpected submission members: ${members}`];
  if (posted[0].authorized) problems.push('the submission carried the session');
  return problems;
}

/**
 * The claim POSTs among `requests`: each carries the proof, the root, four
 * nullifiers, the total and the wallet, no session, and nothing of the
 * submission (its note key, digest or ciphertext).
 */
export function claimProblems(requests, campaign) {
  const claims = requests.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/api/claims');
  if (claims.length === 0) return ['no claim was sent'];
  const submission = requests.find((r) => r.method === 'POST' && r.url.endsWith(`/api/campaigns/${campaign}/contributions`));
  const noteKey = submission ? JSON.parse(submission.body).note_key : null;
  const problems = [];
  for (const c of claims) {
    const body = JSON.parse(c.body);
    const members = Object.keys(body).sort().join();
    if (members !== 'destination,nullifiers,proof,root,total') problems.push(`unexpected claim members: ${members}`);
    if (body.nullifiers?.length !== 4) problems.push(`a claim carries ${body.nullifiers?.length} nullifiers`);
    if (c.authorized) problems.push('a claim carried the session');
    if (noteKey && c.body.includes(noteKey)) problems.push('a claim carries the note key its submission bound');
    if (c.body.includes(`"campaign`)) problems.push('a claim names a campaign');
  }
  return problems;
}

/**
 * In the wallet section: claims every unclaimed reward now and waits until
 * the page says so and shows the new balance. Answers {claim_ids,
 * claimed (the page's total), unclaimed_before, wallet_balance}.
 */
export async function claimRewards(page, timeoutMs) {
  const before = Number(await page.locator('#unclaimed-total').getAttribute('data-value'));
  if (!(before > 0)) throw new Error(`nothing to claim: the page shows ${before} unclaimed`);
  await page.locator('#claim-delay').selectOption('0');
  await page.getByRole('button', { name: 'Claim into my wallet' }).click();
  const done = await page.waitForFunction(() => {
    const err = document.getElementById('claim-error').textContent;
    if (err) return { error: err };
    const ids = document.getElementById('claim-result').dataset.claimId;
    const section = document.getElementById('wallet-section');
    if (!ids || section.hasAttribute('aria-busy')) return null;
    return {
      ids,
      unclaimed: Number(document.getElementById('unclaimed-total').dataset.value),
      balance: Number(document.getElementById('wallet-balance').dataset.value),
      result: document.getElementById('claim-result').textContent,
    };
  }, null, { timeout: timeoutMs, polling: 250 }).then((h) => h.jsonValue());
  if (done.error) throw new Error(`claim: the page reported: ${done.error}`);
  if (done.unclaimed !== 0) throw new Error(`after the claim the page still shows ${done.unclaimed} unclaimed`);
  log(`claimed ${before} tokens (claims ${done.ids}): ${done.result}; wallet ${done.balance}`);
  return {
    claim_ids: done.ids.split(',').map(Number), unclaimed_before: before, wallet_balance: done.balance,
  };
}
