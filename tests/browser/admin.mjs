// Drives web/admin.html in Debian's headless Chromium: sign in as an admin,
// approve one campaign of the review queue (the key holder generates its
// keys) and reject another (first with an empty reason, which the page must
// refuse), read the quality signals of an open campaign, suspend and
// unsuspend a contributor (again refusing an empty reason first), optionally
// suspend and resume an open campaign (SUSPEND) and approve a pending
// withdrawal (WITHDRAWAL; rejecting it with an empty reason is refused in the
// page first), mint tokens (refusing an invalid amount first), run the ledger
// audit, and check the audit log and the key holder's decryption log. Prints
// {approved, rejected, quality_accepted, audit_actions, decryptions,
// approve_seconds, withdrawal_approved, suspended_and_resumed, seconds}
// as JSON on stdout; screenshots go to $ARTIFACTS_DIR/admin.png and
// admin-phone.png (375 px wide). Fails (exit 1, reason on stderr,
// admin-failure.png) when anything goes wrong, when the page talks to another
// origin, throws or opens a dialog, when a call that moves tokens lacks an
// Idempotency-Key, or when the page is wider than a phone screen.
//
// Environment: BASE (server URL), EMAIL, PASSWORD (an admin), PENDING (id of
// a campaign pending review, to approve), REJECT (id of another campaign
// pending review, to reject), QUALITY (id of an open campaign with
// contributions and a released report), CONTRIBUTOR (user id of a
// contributor, suspended and unsuspended, then given 50 tokens); optional:
// WITHDRAWAL (id of a pending withdrawal, approved from the queue) and
// SUSPEND (id of an open campaign, suspended with a reason, then resumed);
// ARTIFACTS_DIR (default target/artifacts), CHROMIUM (default
// /usr/bin/chromium), APPROVE_TIMEOUT_MS (default 2 minutes: approval waits
// for the key holder's key generation).
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { env, checkPhoneWidth, log, launch, guard, checkProblems as check, waitInPage as waitOn } from './lib.mjs';

function id(name) {
  const v = Number(env(name));
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${name} must be an id (a whole number above 0)`);
  return v;
}

/** An optional id: null when the variable is unset or empty. */
function optionalId(name) {
  return process.env[name] === undefined || process.env[name] === '' ? null : id(name);
}

const BASE = env('BASE').replace(/\/$/, '');
const EMAIL = env('EMAIL');
const PASSWORD = env('PASSWORD');
const PENDING = id('PENDING');
const REJECT = id('REJECT');
const QUALITY = id('QUALITY');
const CONTRIBUTOR = id('CONTRIBUTOR');
const WITHDRAWAL = optionalId('WITHDRAWAL');
const SUSPEND = optionalId('SUSPEND');
const ARTIFACTS = resolve(env('ARTIFACTS_DIR', 'target/artifacts'));
const APPROVE_TIMEOUT_MS = Number(env('APPROVE_TIMEOUT_MS', String(2 * 60 * 1000)));
const MINT = 50;
const REQUIRED_ACTIONS = ['approve_campaign', 'reject_campaign', 'suspend_user', 'unsuspend_user', 'mint',
  ...(WITHDRAWAL ? ['approve_withdrawal'] : []), ...(SUSPEND ? ['suspend_campaign', 'resume_campaign'] : [])];

if (new Set([PENDING, REJECT, QUALITY]).size !== 3) throw new Error('PENDING, REJECT and QUALITY must be three different campaigns');
if (SUSPEND && (SUSPEND === PENDING || SUSPEND === REJECT)) throw new Error('SUSPEND must be an open campaign, not PENDING or REJECT');

const started = Date.now();
const { browser, context, page } = await launch({ viewport: { width: 1000, height: 1000 } });
const problems = [];
const posts = []; // {path, key, body} of every POST the page sends to the API
let qualityAnswer = null; // the page's last GET .../quality answer

guard(context, page, [BASE], problems);
context.on('request', (req) => {
  const url = req.url();
  if (req.method() === 'POST' && url.startsWith(`${BASE}/api/`)) {
    let body = null;
    try {
      body = JSON.parse(req.postData() ?? 'null');
    } catch {
      body = req.postData();
    }
    posts.push({ path: url.slice(BASE.length), key: req.headers()['idempotency-key'], body });
  }
});
page.on('response', async (resp) => {
  const url = new URL(resp.url());
  if (resp.request().method() === 'GET' && /^\/api\/admin\/campaigns\/\d+\/quality$/.test(url.pathname) && resp.ok()) {
    qualityAnswer = await resp.json().catch(() => qualityAnswer);
  }
});

/** Throws as soon as the page misbehaved (another origin, uncaught error, dialog). */
const checkProblems = (step) => check(problems, step);

/** Waits until `fn` (run in the page with `arg`) answers something truthy; an {error} answer fails. */
const waitInPage = (what, fn, arg, timeout) => waitOn(page, what, fn, arg, timeout);

const postsTo = (re) => posts.filter((p) => re.test(p.path));

/**
 * Clicks `button` with the control `input` empty (or holding `bad`) and
 * checks the page refuses in place: the control marked aria-invalid,
 * described by its message and focused, and no POST matching `re` sent.
 */
async function expectRefused(what, input, button, re, bad = '') {
  const before = postsTo(re).length;
  await page.locator(`#${input}`).fill(bad);
  await page.locator(`#${button}`).click();
  const message = await waitInPage(what, (inputId) => {
    const el = document.getElementById(inputId);
    const line = document.getElementById(`${inputId}-error`);
    return el?.getAttribute('aria-invalid') === 'true' && line?.textContent ? line.textContent : null;
  }, input, 10_000);
  const state = await page.evaluate((inputId) => ({
    describedBy: document.getElementById(inputId).getAttribute('aria-describedby') ?? '',
    focused: document.activeElement?.id === inputId,
  }), input);
  if (!state.describedBy.split(/\s+/).includes(`${input}-error`)) throw new Error(`${what}: #${input} is not described by its error message`);
  if (!state.focused) throw new Error(`${what}: focus did not move to #${input}`);
  await page.waitForTimeout(300);
  if (postsTo(re).length !== before) throw new Error(`${what}: the page sent the request anyway`);
  log(`${what}: refused in the page (“${message}”)`);
}

/** Fails unless every POST matching `re` carried an Idempotency-Key. */
function checkKeys(what, re) {
  const calls = postsTo(re);
  if (!calls.length) throw new Error(`${what}: no request was sent`);
  const bare = calls.filter((c) => !c.key);
  if (bare.length) throw new Error(`${what}: sent without an Idempotency-Key: ${bare.map((c) => c.path).join(', ')}`);
}

let exitCode = 1;
try {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.goto(`${BASE}/admin.html`);

  // --- sign in ---------------------------------------------------------------------------
  await page.locator('#login-email').fill(EMAIL);
  await page.locator('#login-password').fill(PASSWORD);
  await page.locator('#login-submit').click();
  await waitInPage('sign-in', () => {
    const err = document.getElementById('login-error').textContent;
    if (err) return { error: err };
    if (document.getElementById('dashboard').hidden) return null;
    for (const box of ['review-error', 'campaigns-error', 'users-error', 'audit-error']) {
      const text = document.getElementById(box).textContent;
      if (text) return { error: `#${box}: ${text}` };
    }
    return ['review-queue', 'campaign-list', 'user-list', 'audit-log']
      .every((list) => document.getElementById(list).dataset.loaded === 'true');
  });
  log('signed in; review queue, campaigns, users and audit log loaded');
  checkProblems('after sign-in');

  // --- review queue: approve PENDING ---------------------------------------------------------
  for (const c of [PENDING, REJECT]) {
    if (!(await page.locator(`#review-queue > [data-campaign-id="${c}"]`).count())) {
      throw new Error(`campaign ${c} is not in the review queue (is it pending_review?)`);
    }
  }
  if ((await page.locator('#campaign-status-filter').inputValue()) !== '') throw new Error('the campaign list is not showing all campaigns');
  const approveStarted = Date.now();
  await page.locator(`#approve-${PENDING}`).click();
  await waitInPage(`approving campaign ${PENDING}`, (c) => {
    const err = document.getElementById(`review-error-${c}`)?.textContent || document.getElementById('review-error').textContent;
    if (err) return { error: err };
    const queued = document.querySelector(`#review-queue > [data-campaign-id="${c}"]`);
    const listed = document.querySelector(`#campaign-list > [data-campaign-id="${c}"]`);
    return !queued && listed?.dataset.status === 'approved';
  }, PENDING, APPROVE_TIMEOUT_MS);
  const approveSeconds = (Date.now() - approveStarted) / 1000;
  log(`campaign ${PENDING} approved after ${approveSeconds.toFixed(1)} s: out of the queue, listed as approved`);
  checkProblems('after approving');

  // --- review queue: reject REJECT, first without a reason -------------------------------------
  const rejectRe = new RegExp(`^/api/admin/campaigns/${REJECT}/reject$`);
  await expectRefused(`rejecting campaign ${REJECT} without a reason`, `reject-reason-${REJECT}`, `reject-${REJECT}`, rejectRe);
  await page.locator(`#reject-reason-${REJECT}`).fill('The description does not say how the data will be used (tests/browser/admin.mjs).');
  await page.locator(`#reject-${REJECT}`).click();
  await waitInPage(`rejecting campaign ${REJECT}`, (c) => {
    const err = document.getElementById(`review-error-${c}`)?.textContent
      || document.getElementById(`reject-reason-${c}-error`)?.textContent
      || document.getElementById('review-error').textContent;
    if (err) return { error: err };
    const queued = document.querySelector(`#review-queue > [data-campaign-id="${c}"]`);
    const listed = document.querySelector(`#campaign-list > [data-campaign-id="${c}"]`);
    return !queued && listed?.dataset.status === 'rejected';
  }, REJECT);
  checkKeys('the rejection', rejectRe);
  log(`campaign ${REJECT} rejected: out of the queue, listed as rejected`);
  checkProblems('after rejecting');

  // --- quality signals of QUALITY ----------------------------------------------------------------
  const qualityButton = page.locator(`#quality-${QUALITY}`);
  if (!(await qualityButton.count())) {
    const status = await page.locator(`#campaign-list > [data-campaign-id="${QUALITY}"]`).getAttribute('data-status').catch(() => null);
    throw new Error(`campaign ${QUALITY} has no quality button (listed as ${status ?? 'nothing'})`);
  }
  await qualityButton.click();
  await waitInPage(`quality signals of campaign ${QUALITY}`, (c) => {
    const section = document.getElementById('quality');
    if (section.hidden || section.dataset.campaignId !== String(c)) return null;
    if (section.dataset.state === 'error') return { error: document.getElementById('quality-error').textContent };
    return section.dataset.state === 'loaded';
  }, QUALITY);
  const qualityAccepted = Number(await page.locator('#quality-accepted').getAttribute('data-value'));
  if (!(qualityAccepted > 0)) throw new Error(`campaign ${QUALITY}: the quality signals show ${qualityAccepted} accepted contributions`);
  if (!(await page.locator('#quality #quality-rejections tbody tr').count())) throw new Error('the rejections table is empty');
  const perHour = qualityAnswer?.per_hour ?? [];
  if (perHour.length) {
    const chart = page.locator('#quality svg.per-hour');
    if ((await chart.count()) !== 1) throw new Error('no per-hour chart');
    if ((await chart.getAttribute('role')) !== 'img' || !(await chart.getAttribute('aria-label'))) {
      throw new Error('the per-hour chart has no role="img" or aria-label');
    }
    const drawn = await chart.evaluate((el) => [...el.querySelectorAll('rect.bar')].map((r) => ({
      accepted: r.classList.contains('accepted'), count: Number(r.dataset.count), titled: !!r.querySelector('title'),
    })));
    const sum = (rows) => rows.reduce((s, r) => s + r, 0);
    const drawnAccepted = sum(drawn.filter((b) => b.accepted).map((b) => b.count));
    const drawnRejected = sum(drawn.filter((b) => !b.accepted).map((b) => b.count));
    const wantAccepted = sum(perHour.map((r) => Number(r.accepted)));
    const wantRejected = sum(perHour.map((r) => Number(r.rejected)));
    if (drawnAccepted !== wantAccepted || drawnRejected !== wantRejected) {
      throw new Error(`the chart draws ${drawnAccepted} accepted / ${drawnRejected} rejected, the server said ${wantAccepted} / ${wantRejected}`);
    }
    if (drawn.length < 2 * perHour.length || drawn.some((b) => !b.titled)) throw new Error('the chart misses bars or bar titles');
  }
  log(`campaign ${QUALITY}: ${qualityAccepted} accepted; ${perHour.length} hours charted; `
    + `${qualityAnswer?.out_of_range?.length ?? 0} out-of-range counts`);
  checkProblems('after the quality signals');

  // --- campaigns: suspend and resume SUSPEND -----------------------------------------------------------
  let suspendedAndResumed = false;
  if (SUSPEND) {
    const campaignRow = `#campaign-list > [data-campaign-id="${SUSPEND}"]`;
    if (!(await page.locator(campaignRow).count())) throw new Error(`campaign ${SUSPEND} is not in the campaign list`);
    const waitCampaign = (want) => waitInPage(`campaign ${SUSPEND} ${want}`, ([c, w]) => {
      const err = document.getElementById(`campaign-error-${c}`)?.textContent
        || document.getElementById(`suspend-campaign-reason-${c}-error`)?.textContent
        || document.getElementById('campaigns-error').textContent;
      if (err) return { error: err };
      const li = document.querySelector(`#campaign-list > [data-campaign-id="${c}"]`);
      return li?.dataset.status === w && li.querySelector('.badge.status')?.dataset.status === w;
    }, [SUSPEND, want]);
    if ((await page.locator(campaignRow).getAttribute('data-status')) === 'suspended') {
      log(`campaign ${SUSPEND} was suspended already (an earlier run?); resuming first`);
      await page.locator(`#resume-campaign-${SUSPEND}`).click();
      await waitCampaign('open');
    }
    const status = await page.locator(campaignRow).getAttribute('data-status');
    if (status !== 'open') throw new Error(`campaign ${SUSPEND} is ${status}, not open`);
    const suspendCampaignRe = new RegExp(`^/api/admin/campaigns/${SUSPEND}/suspend$`);
    await expectRefused(`suspending campaign ${SUSPEND} without a reason`, `suspend-campaign-reason-${SUSPEND}`,
      `suspend-campaign-${SUSPEND}`, suspendCampaignRe);
    const reason = 'Suspended for a check by tests/browser/admin.mjs';
    await page.locator(`#suspend-campaign-reason-${SUSPEND}`).fill(reason);
    await page.locator(`#suspend-campaign-${SUSPEND}`).click();
    await waitCampaign('suspended');
    const sent = postsTo(suspendCampaignRe);
    if (sent.length !== 1 || sent[0].body?.reason !== reason) throw new Error(`the suspension sent ${JSON.stringify(sent.map((p) => p.body))}`);
    const shown = await page.locator(`${campaignRow} .suspension-reason`).textContent().catch(() => '');
    if (!shown.includes(reason)) throw new Error(`the suspended campaign's row does not show the reason: ${JSON.stringify(shown)}`);
    log(`campaign ${SUSPEND} suspended (“${shown}”)`);
    await page.locator(`#resume-campaign-${SUSPEND}`).click();
    await waitCampaign('open');
    if (!(await page.locator(`#suspend-campaign-${SUSPEND}`).count())) throw new Error(`the resumed campaign ${SUSPEND} cannot be suspended again`);
    log(`campaign ${SUSPEND} resumed: open again`);
    suspendedAndResumed = true;
    checkProblems('after suspending a campaign');
  }

  // --- withdrawals: approve WITHDRAWAL ---------------------------------------------------------------------
  let withdrawalApproved = false;
  if (WITHDRAWAL) {
    const waitWithdrawals = (filter) => waitInPage(`the withdrawal list (${filter || 'all'})`, (f) => {
      const err = document.getElementById('withdrawals-error').textContent;
      if (err) return { error: err };
      const list = document.getElementById('withdrawal-list');
      return list.dataset.loaded === 'true' && list.dataset.filter === f && !list.hasAttribute('aria-busy');
    }, filter);
    if ((await page.locator('#withdrawal-status-filter').inputValue()) !== 'pending') {
      throw new Error('the withdrawal list does not show the pending queue by default');
    }
    await waitWithdrawals('pending');
    const withdrawalRow = `#withdrawal-list > [data-withdrawal-id="${WITHDRAWAL}"]`;
    if (!(await page.locator(withdrawalRow).count())) throw new Error(`withdrawal ${WITHDRAWAL} is not in the pending queue`);
    const notPending = await page.locator('#withdrawal-list > [data-withdrawal-id]:not([data-status="pending"])').count();
    if (notPending) throw new Error(`the pending queue lists ${notPending} decided withdrawals`);
    const requester = (await page.locator(`${withdrawalRow} .withdrawal-email`).textContent()).trim();
    const amount = (await page.locator(`${withdrawalRow} .withdrawal-amount`).textContent()).trim();
    const address = (await page.locator(`${withdrawalRow} .withdrawal-address`).textContent()).trim();
    if (!requester.includes('@') || !amount || !address) {
      throw new Error(`the row of withdrawal ${WITHDRAWAL} lacks the requester, amount or address: ${requester} / ${amount} / ${address}`);
    }
    const rejectWithdrawalRe = new RegExp(`^/api/admin/withdrawals/${WITHDRAWAL}/reject$`);
    await expectRefused(`rejecting withdrawal ${WITHDRAWAL} without a reason`, `reject-withdrawal-reason-${WITHDRAWAL}`,
      `reject-withdrawal-${WITHDRAWAL}`, rejectWithdrawalRe);
    await page.locator(`#approve-withdrawal-${WITHDRAWAL}`).click();
    await waitInPage(`approving withdrawal ${WITHDRAWAL}`, (w) => {
      const err = document.getElementById(`withdrawal-error-${w}`)?.textContent || document.getElementById('withdrawals-error').textContent;
      if (err) return { error: err };
      const row = document.querySelector(`#withdrawal-list > [data-withdrawal-id="${w}"]`);
      return !row || row.dataset.status === 'approved';
    }, WITHDRAWAL);
    const approveWithdrawalRe = new RegExp(`^/api/admin/withdrawals/${WITHDRAWAL}/approve$`);
    if (postsTo(approveWithdrawalRe).length !== 1) throw new Error(`the approval was sent ${postsTo(approveWithdrawalRe).length} times`);
    if (postsTo(rejectWithdrawalRe).length) throw new Error(`withdrawal ${WITHDRAWAL}: a rejection was sent`);
    const announced = await page.locator('#withdrawals-status').textContent();
    log(`withdrawal ${WITHDRAWAL} (${amount} to ${address} for ${requester}) approved: ${announced}`);
    // The server agrees: listed among the approved ones.
    await page.locator('#withdrawal-status-filter').selectOption('approved');
    await waitWithdrawals('approved');
    const status = await page.locator(withdrawalRow).getAttribute('data-status').catch(() => null);
    if (status !== 'approved') throw new Error(`withdrawal ${WITHDRAWAL} is listed as ${status ?? 'nothing'} among the approved ones`);
    withdrawalApproved = true;
    checkProblems('after approving a withdrawal');
  }

  // --- users: suspend and unsuspend CONTRIBUTOR ----------------------------------------------------
  await page.locator('#user-role-filter').selectOption('contributor');
  await waitInPage('the contributor list', () => {
    const err = document.getElementById('users-error').textContent;
    if (err) return { error: err };
    const list = document.getElementById('user-list');
    return list.dataset.loaded === 'true' && list.dataset.role === 'contributor' && !list.hasAttribute('aria-busy');
  });
  const userRow = `#user-list > [data-user-id="${CONTRIBUTOR}"]`;
  if (!(await page.locator(userRow).count())) throw new Error(`user ${CONTRIBUTOR} is not among the listed contributors`);
  const others = await page.locator('#user-list > [data-user-id]:not([data-role="contributor"])').count();
  if (others) throw new Error(`the contributor filter lists ${others} other users`);
  const waitSuspended = (want) => waitInPage(`user ${CONTRIBUTOR} ${want ? 'suspended' : 'unsuspended'}`, ([u, w]) => {
    const err = document.getElementById(`user-error-${u}`)?.textContent || document.getElementById(`suspend-reason-${u}-error`)?.textContent;
    if (err) return { error: err };
    return document.querySelector(`#user-list > [data-user-id="${u}"]`)?.dataset.suspended === String(w);
  }, [CONTRIBUTOR, want]);
  if ((await page.locator(userRow).getAttribute('data-suspended')) === 'true') {
    log(`user ${CONTRIBUTOR} was suspended already (an earlier run?); unsuspending first`);
    await page.locator(`#unsuspend-${CONTRIBUTOR}`).click();
    await waitSuspended(false);
  }
  const suspendRe = new RegExp(`^/api/admin/users/${CONTRIBUTOR}/suspend$`);
  await expectRefused(`suspending user ${CONTRIBUTOR} without a reason`, `suspend-reason-${CONTRIBUTOR}`, `suspend-${CONTRIBUTOR}`, suspendRe);
  await page.locator(`#suspend-reason-${CONTRIBUTOR}`).fill('Suspended by tests/browser/admin.mjs');
  await page.locator(`#suspend-${CONTRIBUTOR}`).click();
  await waitSuspended(true);
  const badge = await page.locator(`${userRow} .badge[data-status="suspended"]`).count();
  if (!badge) throw new Error(`the row of user ${CONTRIBUTOR} does not show "suspended"`);
  log(`user ${CONTRIBUTOR} suspended`);
  await page.locator(`#unsuspend-${CONTRIBUTOR}`).click();
  await waitSuspended(false);
  log(`user ${CONTRIBUTOR} unsuspended`);
  checkProblems('after suspending');

  // --- mint tokens to CONTRIBUTOR -------------------------------------------------------------------
  const mintRe = /^\/api\/admin\/mint$/;
  await page.locator('#mint-user').fill(String(CONTRIBUTOR));
  await page.locator('#mint-memo').fill('tests/browser/admin.mjs');
  await expectRefused('minting 0 tokens', 'mint-amount', 'mint-submit', mintRe, '0');
  await page.locator('#mint-amount').fill(String(MINT));
  await page.locator('#mint-submit').click();
  const transferId = await waitInPage('minting', () => {
    const err = document.getElementById('mint-error').textContent;
    if (err) return { error: err };
    return document.getElementById('mint-result').dataset.transferId ?? null;
  });
  checkKeys('the mint', mintRe);
  const mintBody = postsTo(mintRe).at(-1).body;
  if (mintBody?.user_id !== CONTRIBUTOR || mintBody?.amount !== MINT) throw new Error(`the mint sent ${JSON.stringify(mintBody)}`);
  const mintText = await page.locator('#mint-result').textContent();
  if (!mintText.includes(String(MINT))) throw new Error(`the mint result does not say how much: ${mintText}`);
  log(`minted ${MINT} tokens to user ${CONTRIBUTOR} (transfer ${transferId}): ${mintText}`);
  checkProblems('after minting');

  // --- ledger audit -----------------------------------------------------------------------------------
  await page.locator('#ledger-audit').click();
  await waitInPage('the ledger audit', () => {
    const err = document.getElementById('ledger-error').textContent;
    if (err) return { error: err };
    return !document.getElementById('ledger-result').hidden && document.getElementById('ledger-total').dataset.value !== '';
  });
  const ledger = await page.evaluate(() => Object.fromEntries(['ledger-total', 'ledger-negative', 'ledger-mismatched']
    .map((i) => [i, document.getElementById(i).dataset.value])));
  if (ledger['ledger-total'] !== '0' || ledger['ledger-negative'] !== '0' || ledger['ledger-mismatched'] !== '0') {
    throw new Error(`the ledger audit is not clean: ${JSON.stringify(ledger)}`);
  }
  log('ledger audit: total 0, no negative or mismatched accounts');

  // --- audit log ---------------------------------------------------------------------------------------
  await page.locator('#refresh-audit').click();
  const auditActions = await waitInPage('the audit log', (required) => {
    const err = document.getElementById('audit-error').textContent;
    if (err) return { error: err };
    const table = document.getElementById('audit-log');
    if (table.hasAttribute('aria-busy')) return null;
    const seen = [...new Set([...table.querySelectorAll('tbody tr[data-action]')].map((tr) => tr.dataset.action))];
    return required.every((a) => seen.includes(a)) ? seen : null;
  }, REQUIRED_ACTIONS, 15_000).catch(async (err) => {
    const seen = await page.evaluate(() => [...new Set([...document.querySelectorAll('#audit-log tbody tr[data-action]')]
      .map((tr) => tr.dataset.action))]);
    throw new Error(`${err.message}; actions listed: ${seen.join(', ') || 'none'}; `
      + `missing: ${REQUIRED_ACTIONS.filter((a) => !seen.includes(a)).join(', ')}`);
  });
  log(`audit log actions: ${auditActions.join(', ')}`);

  // --- keyholder decryptions ----------------------------------------------------------------------------
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'GET' && r.url() === `${BASE}/api/admin/decryptions`),
    page.locator('#refresh-decryptions').click(),
  ]);
  await waitInPage('the decryption log', () => {
    const table = document.getElementById('decryptions');
    if (table.hasAttribute('aria-busy')) return null;
    if (table.dataset.loaded === 'error') return { error: document.getElementById('decryptions-error').textContent };
    return table.dataset.loaded === 'true';
  });
  const decryptions = await page.locator('#decryptions tbody tr[data-outcome]').count();
  const released = page.locator('#decryptions tbody tr[data-outcome="released"]');
  if (!(await released.count())) throw new Error(`no released decryption among ${decryptions} in the key holder's log`);
  const epsText = (await released.first().locator('td[data-epsilon]').textContent().catch(() => '')).trim();
  if (!/^\d+\.\d+$/.test(epsText)) throw new Error(`the ε of a released decryption reads ${JSON.stringify(epsText)}, not a decimal`);
  log(`decryption log: ${decryptions} entries, ${await released.count()} released (ε ${epsText} on the newest)`);
  checkProblems('after the logs');

  // --- every visible control has a name ---------------------------------------------------------------------
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
    .filter((el) => !el.labels?.length && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.id || el.name || el.outerHTML.slice(0, 60)));
  if (unlabelled.length) throw new Error(`controls without a label: ${unlabelled.join(', ')}`);

  // --- screenshots, desktop and phone -----------------------------------------------------------------------
  await page.screenshot({ path: join(ARTIFACTS, 'admin.png'), fullPage: true });
  await checkPhoneWidth(page, join(ARTIFACTS, 'admin-phone.png'));
  checkProblems('at the end');

  console.log(JSON.stringify({
    approved: PENDING,
    rejected: REJECT,
    quality_accepted: qualityAccepted,
    audit_actions: auditActions,
    decryptions,
    approve_seconds: Number(approveSeconds.toFixed(2)),
    withdrawal_approved: withdrawalApproved,
    suspended_and_resumed: suspendedAndResumed,
    seconds: Number(((Date.now() - started) / 1000).toFixed(2)),
  }));
  exitCode = 0;
} catch (err) {
  log('FAILED:', err.message);
  if (problems.length) log('also:\n' + problems.join('\n'));
  await page.screenshot({ path: join(ARTIFACTS, 'admin-failure.png'), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
process.exit(exitCode);
