// @ts-check
// What a report would be worth before it is bought: the server's estimate
// (GET /api/campaigns/{id}/reports/estimate) of every figure's error at the
// campaign's current count and the ε asked for, with the figures the noise
// would dominate named first. buyReport (campaigns.js) shows it and, when
// something is dominated, asks inline for a second click before paying.

import { h, fmtInt } from '../common.js';
import { fmtNum } from './results.js';

/** @typedef {import('../api-types').ReportEstimate} ReportEstimate */

/** ± a 95% error, '—' when unknown. */
const pm = (e, digits = 3) => (e == null ? '—' : `± ${fmtNum(e, digits)}`);

/** Names of the kinds of released values, for the weight inputs. */
const KIND_TEXT = {
  sum: 'sums (means)',
  sum_of_squares: 'sums of squares (variances)',
  product: 'products (regression)',
  count: 'category counts (histograms)',
  out_of_range: 'out-of-range counts',
  crosstab: 'contingency cells',
  group_sum: 'group sums',
};

/**
 * The budget weights typed in campaign `id`'s estimate (kinds weighing
 * other than 1), `{}` when none are shown, or null when one is invalid
 * (marked by `invalid`).
 * @param {number} id
 * @param {(input: HTMLInputElement, message: string) => void} invalid
 * @returns {Record<string, number> | null}
 */
export function typedWeights(id, invalid) {
  /** @type {Record<string, number>} */
  const weights = {};
  const inputs = /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll(`#report-estimate-${id} [data-weight-kind]`));
  for (const input of inputs) {
    input.removeAttribute('aria-invalid');
    const line = document.getElementById(`${input.id}-error`);
    if (line) line.textContent = '';
    const w = Number(input.value.trim());
    if (!Number.isInteger(w) || w < 1 || w > 1000) {
      invalid(input, 'A weight is a whole number from 1 to 1,000.');
      return null;
    }
    if (w !== 1) weights[/** @type {string} */ (input.dataset.weightKind)] = w;
  }
  return weights;
}

/**
 * The estimate of campaign `id` as a block of the campaign's row;
 * `reestimate` runs when the buyer asks for it again (after changing the
 * weights).
 * @param {number} id
 * @param {ReportEstimate} e
 * @param {(button: HTMLButtonElement) => void} reestimate
 */
export function estimateView(id, e, reestimate) {
  const rows = [];
  const row = (what, error, dominated, attrs = {}) => rows.push(h('tr', { ...attrs, 'data-noise-dominates': String(!!dominated) },
    h('th', { scope: 'row' }, what),
    h('td', { class: 'num error-95' }, error),
    h('td', {}, dominated ? h('strong', { class: 'warn' }, 'noise dominates') : 'usable')));
  for (const f of e.fields) {
    row(`mean of ${f.field} (${fmtInt(f.min)}–${fmtInt(f.max)})`, pm(f.mean_error_95), f.noise_dominates, { 'data-field': f.field, 'data-figure': 'mean' });
    if (f.variance_error_95 != null) {
      row(`variance of ${f.field}`, pm(f.variance_error_95), f.noise_dominates, { 'data-field': f.field, 'data-figure': 'variance' });
    }
  }
  for (const hist of e.histograms) {
    row(`share of each ${hist.field}`, `± ${fmtNum(100 * hist.frequency_error_95, 3)} points`, hist.noise_dominates,
      { 'data-field': hist.field, 'data-figure': 'frequency' });
  }
  const reg = e.regression;
  if (reg) {
    if (reg.intercept_error_95 == null) {
      row(`regression of ${reg.target}`, 'unbounded', true, { 'data-figure': 'regression' });
    } else {
      reg.features.forEach((f, i) => row(`coefficient of ${f} (${reg.target})`, pm(reg.coefficient_errors_95[i]), false,
        { 'data-field': f, 'data-figure': 'coefficient' }));
    }
  }
  const tableId = `estimate-table-${id}`;
  const valuesId = `estimate-values-${id}`;
  const short = e.count < e.min_contributors
    ? h('p', { class: 'hint' }, `Reports are sold over at least ${fmtInt(e.min_contributors)} contributions; `
      + `this estimate is for the ${fmtInt(e.count)} there are now.`)
    : null;
  return [
    h('p', { id: `${tableId}-title` },
      `Expected accuracy of a report over ${fmtInt(e.count)} contributions at ε = ${e.epsilon} `
        + `(price ${fmtInt(e.price)} tokens; ε left ${e.epsilon_left}):`),
    short,
    h('div', { class: 'scroll' },
      h('table', { id: tableId, 'aria-labelledby': `${tableId}-title`, 'aria-describedby': `${tableId}-note` },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Figure'), h('th', { scope: 'col', class: 'num' }, '95% error'),
          h('th', { scope: 'col' }, 'Verdict'))),
        h('tbody', {}, rows))),
    h('p', { id: `${tableId}-note`, class: 'hint', 'data-mechanism': e.mechanism },
      (e.mechanism === 'discrete_gaussian'
        ? `Each of the ${e.keyholders} keyholder(s) adds its own discrete Gaussian noise to every released value `
          + `(ρ = ${e.rho.toPrecision(3)}-zCDP, within ε = ${e.epsilon} and δ = ${e.delta.toExponential(2)} of the campaign's `
          + `δ = ${e.campaign_delta.toExponential(2)}; ${e.delta_left.toExponential(2)} of δ left): for a report with this `
          + 'many values it is more accurate than the discrete Laplace; '
        : `Each of the ${e.keyholders} keyholder(s) adds its own discrete Laplace noise to every released value; `)
        + 'errors of derived figures are approximate (first-order). Noise dominates when the error exceeds half of '
        + 'what the figure can be. More contributions or a larger ε shrink every error.'),
    e.warnings.length
      ? h('ul', { class: 'warnings', 'aria-label': 'Figures the noise would dominate' }, e.warnings.map((w) => h('li', {}, w)))
      : null,
    h('fieldset', { class: 'weights' },
      h('legend', {}, 'Budget weights: more weight, more of ε and less noise for that kind of value'),
      Object.entries(e.weights).map(([kind, w]) => {
        const inputId = `weight-${id}-${kind}`;
        return h('span', { class: 'weight' },
          h('label', { for: inputId }, KIND_TEXT[kind] ?? kind),
          h('input', {
            id: inputId, type: 'number', min: 1, max: 1000, step: 1, value: w, inputmode: 'numeric',
            'data-weight-kind': kind, 'aria-describedby': `${inputId}-error`,
          }),
          h('span', { id: `${inputId}-error`, class: 'error field-error' }));
      }),
      h('button', { type: 'button', id: `reestimate-report-${id}`, onclick: (ev) => reestimate(ev.currentTarget) },
        'Estimate with these weights')),
    h('details', {},
      h('summary', {}, `Every released value (${e.values.length})`),
      h('div', { class: 'scroll' },
        h('table', { id: valuesId },
          h('thead', {}, h('tr', {}, ['Key', 'Weight', 'ε share', 'Sensitivity', 'Noise σ', '95% error', '99% error']
            .map((t, i) => h('th', { scope: 'col', class: i ? 'num' : null }, t)))),
          h('tbody', {}, e.values.map((v) => h('tr', {
            'data-key': v.key, 'data-weight': String(v.weight), 'data-noise-dominates': String(v.noise_dominates),
          },
            h('td', { class: 'key' }, v.key),
            h('td', { class: 'num' }, fmtInt(v.weight)),
            h('td', { class: 'num' }, fmtNum(v.epsilon_share, 3)),
            h('td', { class: 'num' }, fmtNum(v.sensitivity)),
            h('td', { class: 'num' }, fmtNum(v.noise_sd, 3)),
            h('td', { class: 'num' }, pm(v.error_95)),
            h('td', { class: 'num' }, pm(v.error_99))))))))
  ];
}
