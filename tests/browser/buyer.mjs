// Drives web/buyer.html in Debian's headless Chromium: create a new buyer
// account (a guessable password is refused first), sign it in and out, then
// sign in as the buyer EMAIL,
// build and create a campaign (checking the client-side validation first),
// fund it and send it to review (the wallet drops by its budget), then buy a
// report of an open campaign, follow it to "released", check the histogram
// and the means, and download the CSV. Prints
// {registered, created_campaign, report_id, status, bars, csv_first_line, seconds} as JSON
// on stdout; screenshots go to $ARTIFACTS_DIR/buyer.png and buyer-phone.png
// (375 px wide). Fails (exit 1, reason on stderr) when anything goes wrong,
// when the page talks to another origin or throws, when a payment call lacks
// an Idempotency-Key, or when the page is wider than a phone screen.
//
// Environment: BASE (server URL), EMAIL, PASSWORD (a buyer with at least
// 100 tokens plus the report price), CAMPAIGN (id of one of that buyer's open
// campaigns with at least min_contributors contributions, asking for a
// histogram and a mean; workers running), REPORT_EPSILON (optional ε for the
// report; default: the campaign's whole ε), ARTIFACTS_DIR (default
// target/artifacts), CHROMIUM (default /usr/bin/chromium), TIMEOUT_MS for the
// report (default 10 minutes).
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { env, checkPhoneWidth, log, launch, guard, checkProblems as check, waitInPage as waitOn } from './lib.mjs';

const BASE = env('BASE').replace(/\/$/, '');
const EMAIL = env('EMAIL');
const PASSWORD = env('PASSWORD');
const CAMPAIGN = Number(env('CAMPAIGN'));
const REPORT_EPSILON = process.env.REPORT_EPSILON ?? '';
const ARTIFACTS = resolve(env('ARTIFACTS_DIR', 'target/artifacts'));
const TIMEOUT_MS = Number(env('TIMEOUT_MS', String(10 * 60 * 1000)));
const BUDGET = 100;
const STATISTICS = ['count', 'sum', 'mean', 'variance', 'histogram', 'regression', 'quality', 'crosstab', 'group_sum'];
const WANTED_STATISTICS = new Set(['count', 'mean', 'histogram', 'crosstab']);

if (!Number.isSafeInteger(CAMPAIGN) || CAMPAIGN <= 0) throw new Error('CAMPAIGN must be a campaign id');

const { browser, context, page } = await launch({ viewport: { width: 900, height: 1000 }, acceptDownloads: true });
const problems = [];
const paymentCalls = []; // {url, key} of POSTs that move tokens
let campaignList = null; // the page's last GET /api/campaigns answer: the server's truth for the checks

guard(context, page, [BASE], problems);
context.on('request', (req) => {
  const url = req.url();
  if (req.method() === 'POST' && /\/api\/campaigns\/\d+\/(submit|close|reports)$/.test(url)) {
    paymentCalls.push({ url: url.slice(BASE.length), key: req.headers()['idempotency-key'] });
  }
});
page.on('response', async (resp) => {
  const url = new URL(resp.url());
  if (resp.request().method() === 'GET' && url.pathname === '/api/campaigns' && resp.ok()) {
    campaignList = await resp.json().catch(() => campaignList);
  }
});

/** Throws as soon as the page misbehaved (another origin, uncaught error, dialog). */
const checkProblems = (step) => check(problems, step);

const balance = async () => Number(await page.locator('#balance').getAttribute('data-value'));

/** Waits until `fn` (run in the page with `arg`) answers something truthy; an {error} answer fails. */
const waitInPage = (what, fn, arg, timeout) => waitOn(page, what, fn, arg, timeout);

const registered = `new-${Date.now()}@example.org`; // the account the page creates first

let exitCode = 1;
try {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.goto(`${BASE}/buyer.html`);

  // --- create an account: a guessable password is refused, then a good one signs it in -------
  await page.locator('#register-box > summary').click();
  await page.locator('#register-email').fill(registered);
  await page.locator('#register-password').fill('password1');
  await page.locator('#register-submit').click();
  const refused = await waitInPage('weak password', () => {
    const box = document.getElementById('register-error');
    return box.textContent ? { code: box.dataset.code ?? null, text: box.textContent } : false;
  });
  if (!['password_too_weak', 'password_too_short'].includes(refused.code)) {
    throw new Error(`the weak password was refused with ${JSON.stringify(refused)}, not by the server's password check`);
  }
  if (!(await page.locator('#dashboard').isHidden()) || !(await page.locator('#login-form').isVisible())) {
    throw new Error('a refused registration signed in');
  }
  log('weak password refused:', refused.text);
  await page.locator('#register-email').fill(registered);
  await page.locator('#register-password').fill('quiet-meadow-42-ember');
  await page.locator('#register-submit').click();
  await waitInPage('registration and sign-in', (email) => {
    const err = document.getElementById('register-error').textContent
      || document.getElementById('login-error').textContent
      || document.getElementById('session-error').textContent;
    if (err) return { error: err };
    return !document.getElementById('dashboard').hidden
      && document.getElementById('session-email').textContent === email
      && document.getElementById('balance').dataset.value !== '';
  }, registered);
  if (!(await page.locator('#register-box').isHidden())) throw new Error('the registration form is still shown after sign-in');
  log('registered and signed in as', registered);
  await page.locator('#logout-button').click();
  await page.locator('#login-form').waitFor({ state: 'visible' });
  await page.locator('#register-box').waitFor({ state: 'visible' });
  if (!(await page.locator('#dashboard').isHidden())) throw new Error('the dashboard is still shown after sign-out');
  checkProblems('registration');

  // --- sign in ---------------------------------------------------------------------------
  await page.locator('#login-email').fill(EMAIL);
  await page.locator('#login-password').fill(PASSWORD);
  await page.locator('#login-submit').click();
  await waitInPage('sign-in', () => {
    const err = document.getElementById('login-error').textContent;
    if (err) return { error: err };
    return document.getElementById('balance').dataset.value !== '' && !document.getElementById('dashboard').hidden;
  });
  const balanceBefore = await balance();
  log(`signed in; balance ${balanceBefore}`);
  checkProblems('after sign-in');

  // --- new campaign through the builder --------------------------------------------------
  const title = `Browser test ${new Date().toISOString()}`;
  await page.locator('#title').fill(title);
  await page.locator('#description').fill('Hours per day and team colour (created by tests/browser/buyer.mjs).');
  await page.locator('#add-numeric').click();
  const numeric = page.locator('#schema-fields .field-row[data-kind="numeric"]').last();
  await numeric.locator('.field-bits').selectOption('8');
  await numeric.locator('.field-min').fill('0');
  await numeric.locator('.field-max').fill('24');
  await page.locator('#add-categorical').click();
  const categorical = page.locator('#schema-fields .field-row[data-kind="categorical"]').last();
  await categorical.locator('.field-name').fill('team');
  await categorical.locator('.field-categories').fill('red, blue');
  await page.locator('#add-categorical').click();
  const shift = page.locator('#schema-fields .field-row[data-kind="categorical"]').last();
  await shift.locator('.field-name').fill('shift');
  await shift.locator('.field-categories').fill('day, night');
  // A contingency table of the two categorical fields, chosen from the
  // names typed above.
  await page.locator('#add-crosstab').click();
  const crosstab = page.locator('#crosstab-list .table-row').last();
  await crosstab.locator('select.crosstab-rows').selectOption('team');
  await crosstab.locator('select.crosstab-columns').selectOption('shift');
  for (const s of STATISTICS) await page.locator(`#stat-${s}`).setChecked(WANTED_STATISTICS.has(s));
  await page.locator('#reward').fill('5');
  await page.locator('#budget').fill(String(BUDGET));
  await page.locator('#min-contributors').fill('10');
  await page.locator('#epsilon').fill('1');

  // First an invalid field name: refused in the page, marked, nothing sent.
  const postsBefore = paymentCalls.length;
  let createPosts = 0;
  const countCreates = (req) => {
    if (req.method() === 'POST' && req.url() === `${BASE}/api/campaigns`) createPosts += 1;
  };
  page.on('request', countCreates);
  const hoursName = numeric.locator('.field-name');
  await hoursName.fill('Hours');
  await page.locator('#create-campaign').click();
  const nameError = await waitInPage('client-side validation', () => {
    const input = document.querySelector('#schema-fields .field-row[data-kind="numeric"] .field-name');
    const line = document.getElementById(`${input.id}-error`);
    return input.getAttribute('aria-invalid') === 'true' && line?.textContent ? line.textContent : null;
  });
  if (!(await hoursName.getAttribute('aria-describedby'))?.includes(`${await hoursName.getAttribute('id')}-error`)) {
    throw new Error('the invalid name input is not described by its error message');
  }
  if (createPosts !== 0) throw new Error('the page sent an invalid campaign to the server');
  log('invalid name refused in the page:', nameError);
  page.off('request', countCreates);
  await hoursName.fill('hours');

  const [createResp] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${BASE}/api/campaigns`),
    page.locator('#create-campaign').click(),
  ]);
  if (createResp.status() !== 201) {
    throw new Error(`creating the campaign: HTTP ${createResp.status()} ${await createResp.text()}`);
  }
  const created = await createResp.json();
  const row = page.locator(`#campaign-list > [data-campaign-id="${created.id}"]`);
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  const createdStatus = await row.getAttribute('data-status');
  if (createdStatus !== 'draft') throw new Error(`campaign ${created.id} is listed as ${createdStatus}, not draft`);
  log(`created campaign ${created.id} (draft)`);

  // --- fund it and send it to review --------------------------------------------------------
  await page.locator(`#submit-campaign-${created.id}`).click();
  await waitInPage('fund & submit', (id) => {
    const err = document.getElementById(`campaign-error-${id}`)?.textContent;
    if (err) return { error: err };
    return document.querySelector(`#campaign-list > [data-campaign-id="${id}"]`)?.dataset.status === 'pending_review';
  }, created.id);
  const expected = balanceBefore - BUDGET;
  await page.waitForFunction((v) => document.getElementById('balance').dataset.value === String(v), expected, { timeout: 10_000 })
    .catch(async () => {
      throw new Error(`the balance went from ${balanceBefore} to ${await balance()}, expected ${expected}`);
    });
  const submitCalls = paymentCalls.slice(postsBefore).filter((c) => c.url === `/api/campaigns/${created.id}/submit`);
  if (submitCalls.length !== 1 || !submitCalls[0].key) throw new Error(`submit calls: ${JSON.stringify(submitCalls)}`);
  log(`campaign ${created.id} is pending_review; balance ${balanceBefore} → ${expected}`);
  checkProblems('after funding');

  // --- buy a report of CAMPAIGN ---------------------------------------------------------------
  const campaign = campaignList?.find((c) => c.id === CAMPAIGN);
  if (!campaign) throw new Error(`campaign ${CAMPAIGN} is not among this buyer's campaigns`);
  if (!['open', 'closed'].includes(campaign.status)) {
    throw new Error(`campaign ${CAMPAIGN} is ${campaign.status}; reports are sold for open or closed campaigns`);
  }
  const categoricals = campaign.schema.fields.filter((f) => f.type === 'categorical');
  const numerics = campaign.schema.fields.filter((f) => f.type === 'numeric');
  if (!campaign.statistics.includes('histogram') || !categoricals.length) {
    throw new Error(`campaign ${CAMPAIGN} asks for no histogram; choose one that does`);
  }
  if (!campaign.statistics.some((s) => ['sum', 'mean', 'variance'].includes(s)) || !numerics.length) {
    throw new Error(`campaign ${CAMPAIGN} asks for no mean; choose one that does`);
  }
  if (REPORT_EPSILON) await page.locator(`#report-epsilon-${CAMPAIGN}`).fill(REPORT_EPSILON);

  // The expected accuracy, read before buying: one row per derived figure,
  // one per released value, and (few contributions) warnings.
  await page.locator(`#estimate-report-${CAMPAIGN}`).click();
  const estimate = await waitInPage('the accuracy estimate', (id) => {
    const err = document.getElementById(`campaign-error-${id}`)?.textContent;
    if (err) return { error: err };
    const box = document.getElementById(`report-estimate-${id}`);
    if (!box || box.hidden || !box.dataset.count) return null;
    return {
      count: Number(box.dataset.count),
      warnings: Number(box.dataset.warnings),
      figures: [...box.querySelectorAll(`#estimate-table-${id} tbody tr`)].map((tr) => ({
        field: tr.dataset.field ?? null, figure: tr.dataset.figure, error: tr.querySelector('td.error-95')?.textContent ?? '',
        dominated: tr.dataset.noiseDominates === 'true',
      })),
      values: box.querySelectorAll(`#estimate-values-${id} tbody tr`).length,
      listed: box.querySelectorAll('ul.warnings li').length,
    };
  }, CAMPAIGN);
  for (const f of numerics) {
    const mean = estimate.figures.find((x) => x.figure === 'mean' && x.field === f.name);
    if (!mean || !/^± [\d,.]+/.test(mean.error)) throw new Error(`the estimate has no mean error for ${f.name}: ${JSON.stringify(estimate)}`);
  }
  if (estimate.count !== campaign.contributions || !estimate.values || estimate.listed !== estimate.warnings) {
    throw new Error(`unexpected estimate: ${JSON.stringify(estimate)} (campaign has ${campaign.contributions} contributions)`);
  }
  log(`estimate: ${estimate.figures.length} figures, ${estimate.values} values, ${estimate.warnings} warnings`);

  // Budget weights: the sums weigh 3; the estimate follows, and so will the purchase.
  await page.locator(`#weight-${CAMPAIGN}-sum`).fill('3');
  await page.locator(`#reestimate-report-${CAMPAIGN}`).click();
  await waitInPage('the weighted estimate', (id) => {
    const err = document.getElementById(`campaign-error-${id}`)?.textContent;
    if (err) return { error: err };
    const rows = [...document.querySelectorAll(`#estimate-values-${id} tbody tr`)];
    const sums = rows.filter((tr) => tr.dataset.key.startsWith('sum:'));
    return sums.length > 0 && sums.every((tr) => tr.dataset.weight === '3')
      && rows.filter((tr) => !tr.dataset.key.startsWith('sum:')).every((tr) => tr.dataset.weight === '1');
  }, CAMPAIGN);
  log('estimate re-read with the sums weighing 3');

  // Buying shows the estimate again; with warnings nothing is bought until
  // "Buy anyway".
  const reportPosts = () => paymentCalls.filter((c) => c.url === `/api/campaigns/${CAMPAIGN}/reports`).length;
  const postsBeforeBuy = reportPosts();
  const buyButton = estimate.warnings ? `#confirm-report-${CAMPAIGN}` : `#buy-report-${CAMPAIGN}`;
  if (estimate.warnings) {
    await page.locator(`#buy-report-${CAMPAIGN}`).click();
    await page.locator(buyButton).waitFor({ state: 'visible', timeout: 10_000 });
    if (reportPosts() !== postsBeforeBuy) throw new Error('the page bought a report before the noise warning was confirmed');
    log('buying asked for confirmation: the noise would dominate');
  }
  const [buyResp] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${BASE}/api/campaigns/${CAMPAIGN}/reports`),
    page.locator(buyButton).click(),
  ]);
  const bought = await buyResp.json().catch(() => null);
  if (buyResp.status() !== 201) {
    throw new Error(`buying a report: HTTP ${buyResp.status()} ${bought?.error?.code ?? ''}: ${bought?.error?.message ?? ''}`);
  }
  if (bought.weights?.sum !== 3) throw new Error(`the report was bought with weights ${JSON.stringify(bought.weights)}`);
  const reportId = bought.id;
  const buyCall = paymentCalls.find((c) => c.url === `/api/campaigns/${CAMPAIGN}/reports`);
  if (!buyCall?.key) throw new Error('the report purchase was sent without an Idempotency-Key');
  const started = Date.now();
  log(`bought report ${reportId} (ε ${bought.epsilon}, ${bought.contributions} contributions, price ${bought.price})`);

  // Follow #report-status until the report finishes, logging its progress.
  let status = '';
  let lastLine = '';
  for (;;) {
    const state = await page.evaluate((id) => {
      const box = document.getElementById('report');
      if (box.hidden || box.dataset.reportId !== String(id)) return null;
      return {
        status: document.getElementById('report-status').textContent,
        progress: document.getElementById('report-progress-text').textContent,
        error: document.getElementById('report-error').textContent,
        results: !document.getElementById('results').hidden && document.getElementById('results').dataset.reportId === String(id),
        resultsError: document.getElementById('results-error').textContent,
      };
    }, reportId);
    if (state) {
      status = state.status;
      const line = `${state.status}: ${state.progress}`;
      if (line !== lastLine) log(`report ${reportId} ${line}`);
      lastLine = line;
      if (status === 'refused' || status === 'failed') throw new Error(`report ${reportId} ${status}: ${state.error}`);
      if (state.resultsError) throw new Error(`report ${reportId} results: ${state.resultsError}`);
      if (status === 'released' && state.results) break;
    }
    checkProblems('while waiting for the report');
    if (Date.now() - started > TIMEOUT_MS) throw new Error(`report ${reportId} still ${status || 'not shown'} after ${TIMEOUT_MS} ms`);
    await page.waitForTimeout(500);
  }
  const seconds = (Date.now() - started) / 1000;
  log(`report ${reportId} released after ${seconds.toFixed(1)} s`);

  // --- the results ----------------------------------------------------------------------------
  let bars = 0;
  for (const f of categoricals) {
    const chart = page.locator(`#results svg.histogram[data-field="${f.name}"]`);
    if ((await chart.count()) !== 1) throw new Error(`no histogram chart for ${f.name}`);
    if ((await chart.getAttribute('role')) !== 'img' || !(await chart.getAttribute('aria-label'))) {
      throw new Error(`the histogram of ${f.name} has no role="img" or aria-label`);
    }
    const n = await chart.locator('rect.bar').count();
    if (n !== f.categories.length) throw new Error(`histogram ${f.name}: ${n} bars for ${f.categories.length} categories`);
    const titles = await chart.locator('rect.bar > title').count();
    if (titles !== n) throw new Error(`histogram ${f.name}: ${titles} of ${n} bars have a <title>`);
    bars += n;
  }
  const totalBars = await page.locator('#results svg.histogram rect.bar').count();
  if (totalBars !== bars) throw new Error(`${totalBars} bars in all, expected ${bars}`);
  // Error bars on every bar; the consistent counts add up to the report's count.
  const errorBars = await page.locator('#results svg.histogram g.error-bar').count();
  if (errorBars !== bars) throw new Error(`${errorBars} error bars for ${bars} bars`);
  for (const f of categoricals) {
    const shown = await page.locator(`#results svg.histogram[data-field="${f.name}"] rect.bar`)
      .evaluateAll((rects) => rects.map((r) => Number(r.dataset.shown)));
    const total = shown.reduce((a, b) => a + b, 0);
    if (shown.some((v) => !(v >= 0)) || total !== bought.contributions) {
      throw new Error(`histogram ${f.name}: consistent counts ${shown} do not add up to ${bought.contributions}`);
    }
  }
  const meanErrors = await page.locator('#results td.mean span.bound[data-figure="mean"]').count();
  if (meanErrors !== numerics.length) throw new Error(`${meanErrors} mean error bars for ${numerics.length} numeric fields`);
  for (const f of numerics) {
    const text = (await page.locator(`#results td.mean[data-field="${f.name}"]`).textContent().catch(() => null)) ?? '';
    if (!/^-?[\d,]+(\.\d+)?/.test(text.trim())) throw new Error(`no mean for ${f.name} (cell: ${JSON.stringify(text)})`);
  }
  // Contingency tables: one cell per pair of categories, each with its
  // noised count; per-category sums: one row per group.
  for (const t of campaign.schema.crosstabs ?? []) {
    const table = page.locator(`#results-crosstabs table[data-rows="${t.rows}"][data-columns="${t.columns}"]`);
    if ((await table.count()) !== 1) throw new Error(`no table for the crosstab ${t.rows} × ${t.columns}`);
    const size = (name) => campaign.schema.fields.find((f) => f.name === name).categories.length;
    const cells = await table.locator('td.cell').count();
    if (cells !== size(t.rows) * size(t.columns)) throw new Error(`crosstab ${t.rows} × ${t.columns}: ${cells} cells`);
    const counts = await table.locator('td.cell').evaluateAll((tds) => tds.map((td) => td.dataset.count));
    if (!counts.every((c) => /^-?\d+$/.test(c ?? ''))) throw new Error(`crosstab cells without counts: ${counts}`);
  }
  for (const g of campaign.schema.group_sums ?? []) {
    const groups = campaign.schema.fields.find((f) => f.name === g.by).categories.length;
    const rows = await page.locator(`#results-group-sums table tbody tr`).count();
    if (rows < groups) throw new Error(`group sums of ${g.field} by ${g.by}: ${rows} rows for ${groups} groups`);
  }
  const rawRows = await page.locator('#values-table tbody tr').count();
  if (!rawRows) throw new Error('the released values table is empty');
  log(`results: ${bars} histogram bars, means of ${numerics.map((f) => f.name).join(', ')}, ${rawRows} released values`);

  // --- CSV download ---------------------------------------------------------------------------
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 30_000 }),
    page.locator('#download-csv').click(),
  ]);
  const csvPath = join(ARTIFACTS, `report-${reportId}.csv`);
  await download.saveAs(csvPath);
  if (download.suggestedFilename() !== `report-${reportId}.csv`) {
    throw new Error(`the CSV download is named ${download.suggestedFilename()}`);
  }
  const csv = await readFile(csvPath, 'utf8');
  const csvFirstLine = csv.split(/\r?\n/)[0];
  if (!csvFirstLine.startsWith('statistic,field,category,value')) throw new Error(`unexpected CSV header: ${csvFirstLine}`);
  log(`downloaded ${download.suggestedFilename()} (${csv.length} bytes)`);
  checkProblems('after the download');

  // --- screenshots, desktop and phone -----------------------------------------------------------
  await page.screenshot({ path: join(ARTIFACTS, 'buyer.png'), fullPage: true });
  await checkPhoneWidth(page, join(ARTIFACTS, 'buyer-phone.png'));
  checkProblems('at the end');

  console.log(JSON.stringify({
    registered,
    created_campaign: created.id,
    report_id: reportId,
    status,
    bars,
    error_bars: errorBars,
    estimate_warnings: estimate.warnings,
    estimate_figures: estimate.figures.length,
    csv_first_line: csvFirstLine,
    seconds: Number(seconds.toFixed(2)),
  }));
  exitCode = 0;
} catch (err) {
  log('FAILED:', err.message);
  if (problems.length) log('also:\n' + problems.join('\n'));
  await page.screenshot({ path: join(ARTIFACTS, 'buyer-failure.png'), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
process.exit(exitCode);
