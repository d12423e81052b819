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

/**
 * The estimate of campaign `id` as a block of the campaign's row.
 * @param {number} id
 * @param {ReportEstimate} e
 */
export function estimateView(id, e) {
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
    h('p', { id: `${tableId}-note`, class: 'hint' },
      `Each of the ${e.keyholders} keyholder(s) adds its own discrete Laplace noise to every released value; `
        + 'errors of derived figures are approximate (first-order). Noise dominates when the error exceeds half of '
        + 'what the figure can be. More contributions or a larger ε shrink every error.'),
    e.warnings.length
      ? h('ul', { class: 'warnings', 'aria-label': 'Figures the noise would dominate' }, e.warnings.map((w) => h('li', {}, w)))
      : null,
    h('details', {},
      h('summary', {}, `Every released value (${e.values.length})`),
      h('div', { class: 'scroll' },
        h('table', { id: valuesId },
          h('thead', {}, h('tr', {}, ['Key', 'Sensitivity', 'Noise σ', '95% error', '99% error']
            .map((t, i) => h('th', { scope: 'col', class: i ? 'num' : null }, t)))),
          h('tbody', {}, e.values.map((v) => h('tr', { 'data-key': v.key, 'data-noise-dominates': String(v.noise_dominates) },
            h('td', { class: 'key' }, v.key),
            h('td', { class: 'num' }, fmtNum(v.sensitivity)),
            h('td', { class: 'num' }, fmtNum(v.noise_sd, 3)),
            h('td', { class: 'num' }, pm(v.error_95)),
            h('td', { class: 'num' }, pm(v.error_99))))))))
  ];
}
