// @ts-check
// A released report's results: means and variances, histograms (SVG bar
// charts), out-of-range counts, the regression, contingency tables (counts,
// conditional frequencies, χ²), per-category sums and means, the released
// values themselves, and CSV / JSON downloads.

import { $, show, h, svg, fmtInt, toNumber, fmtDate, clearError } from '../common.js';
import { showError } from './page.js';

/** @typedef {ReturnType<typeof resultsPanel>} ResultsPanel */

const sigFormats = new Map(); // significant digits → Intl.NumberFormat

/** A real number with `digits` significant digits; large values keep all their integer digits. */
export function fmtNum(v, digits = 6) {
  const x = Number(v);
  if (v == null || !Number.isFinite(x)) return '—';
  if (Math.abs(x) >= 10 ** digits) return fmtInt(Math.round(x));
  if (!sigFormats.has(digits)) sigFormats.set(digits, new Intl.NumberFormat('en-US', { maximumSignificantDigits: digits }));
  return sigFormats.get(digits).format(x);
}

/** The released value of an aggregate key (e.g. "sum:age"), if any. */
function valueOf(results, key) {
  return results.values.find((v) => v.key === key);
}

/**
 * A titled results table: heading, horizontally scrollable table (named by
 * the heading, described by the note) and the note under it.
 */
function resultTable(id, title, note, head, rows) {
  return [
    h('h4', { id: `${id}-title` }, title),
    h('div', { class: 'scroll' },
      h('table', { id, 'aria-labelledby': `${id}-title`, 'aria-describedby': note ? `${id}-note` : null },
        h('thead', {}, h('tr', {}, head.map(([text, cls]) => h('th', { scope: 'col', class: cls }, text)))),
        h('tbody', {}, rows))),
    note ? h('p', { id: `${id}-note`, class: 'hint' }, note) : null,
  ];
}
/**
 * A bar chart of one histogram. With noise, each bar is the consistent
 * count (the released counts post-processed to non-negative integers adding
 * up to the report's count) with an error bar of ± the released count's 95%
 * error, clipped to the chart; without, the released counts. Bars scale to
 * the report's count (or the largest count).
 */
function histogramSvg(hist, count, noised) {
  const n = hist.counts.length;
  const consistent = noised && hist.counts.every((c) => c.consistent != null);
  const values = hist.counts.map((c) => toNumber(consistent ? c.consistent : c.count));
  const max = Math.max(1, consistent ? count : 0, ...values.filter(Number.isFinite));
  const barW = 48;
  const gap = 20;
  const top = 20; // room for the value above the tallest bar
  const plotH = 120;
  const labelH = 24;
  const side = 10;
  const width = side * 2 + n * barW + (n - 1) * gap;
  const height = top + plotH + labelH;
  const baseY = top + plotH;
  const y = (v) => baseY - (Math.min(Math.max(v, 0), max) / max) * plotH;
  const short = (s) => ([...s].length > 9 ? `${[...s].slice(0, 8).join('')}…` : s);
  const describe = (c, i) => `${c.category} ${fmtInt(values[i])}`
    + (c.error_95 != null ? ` ± ${fmtNum(c.error_95, 3)}` : '')
    + (consistent && String(c.consistent) !== String(c.count) ? ` (released ${fmtInt(c.count)})` : '');
  const summary = hist.counts.map(describe).join(', ');

  const chart = svg('svg', {
    class: 'histogram', role: 'img', viewBox: `0 0 ${width} ${height}`, 'data-field': hist.field,
    'aria-label': `Histogram of ${hist.field} (${consistent ? 'consistent counts with 95% error bars' : 'noised counts'}): ${summary}`,
    // Readable at any width: never narrower than 3.5 rem per bar (the box scrolls), never wider than 5 rem.
    style: `width: 100%; min-width: ${n * 3.5}rem; max-width: ${n * 5 + 2}rem`,
  });
  chart.append(svg('line', { class: 'axis', x1: side / 2, x2: width - side / 2, y1: baseY, y2: baseY }));
  hist.counts.forEach((c, i) => {
    const v = values[i];
    const barH = Number.isFinite(v) && v > 0 ? Math.max(1, baseY - y(v)) : 0;
    const x = side + i * (barW + gap);
    const cx = x + barW / 2;
    chart.append(
      svg('rect', {
        class: v < 0 ? 'bar negative' : 'bar', x, y: baseY - barH, width: barW, height: barH,
        'data-category': c.category, 'data-count': String(c.count), 'data-shown': String(v),
      }, svg('title', {}, describe(c, i))));
    if (noised && c.error_95 != null && Number.isFinite(v)) {
      const e = Number(c.error_95);
      const [y1, y2] = [y(v + e), y(v - e)];
      chart.append(svg('g', { class: 'error-bar', 'data-error-95': String(e), 'data-clipped': String(v + e > max || v - e < 0) },
        svg('line', { x1: cx, x2: cx, y1, y2 }),
        svg('line', { x1: cx - 8, x2: cx + 8, y1, y2: y1 }),
        svg('line', { x1: cx - 8, x2: cx + 8, y1: y2, y2 })));
    }
    chart.append(
      svg('text', { class: 'value', x: cx + (noised ? 12 : 0), y: baseY - barH - 5, 'text-anchor': noised ? 'start' : 'middle' }, fmtInt(v)),
      svg('text', { class: 'label', x: cx, y: baseY + 16, 'text-anchor': 'middle' }, short(c.category)));
  });
  return chart;
}

/** @param {import('./page.js').BuyerPage} page */
export function resultsPanel(page) {
  /** @type {Map<number, any>} report id → results JSON */
  const resultsCache = new Map();
  /** @type {number | null} report id being fetched */
  let resultsLoading = null;

  function clearResults() {
    const box = $('results');
    show(box, false);
    delete box.dataset.reportId;
    for (const id of ['results-numeric', 'results-histograms', 'results-quality', 'results-regression',
      'results-crosstabs', 'results-group-sums', 'results-values']) {
      $(id).replaceChildren();
    }
    clearError($('results-error'));
    clearError($('download-error'));
  }

  async function loadResults(id) {
    if ($('results').dataset.reportId === String(id) || resultsLoading === id) return;
    resultsLoading = id;
    clearError($('results-error'));
    try {
      let results = resultsCache.get(id);
      if (!results) {
        results = await page.api('GET', `/api/reports/${id}/results`);
        resultsCache.set(id, results);
      }
      if (page.panels.reports.current()?.id === id) renderResults(results);
    } catch (err) {
      if (page.panels.reports.current()?.id === id) showError($('results-error'), err, 'Could not load the results: ');
    } finally {
      resultsLoading = null;
    }
  }


  function renderResults(r) {
    const noised = r.noise !== 'disabled';
    const box = $('results');
    box.dataset.reportId = String(r.report_id);
    $('results-count').textContent = fmtInt(r.count);
    $('results-epsilon').textContent = String(r.epsilon);
    $('results-noise').textContent = noised
      ? (r.noise === 'discrete_laplace' ? 'discrete Laplace (ε-differential privacy)'
        : r.noise === 'discrete_gaussian' ? `discrete Gaussian ((ε, δ)-differential privacy, δ = ${(r.delta ?? 0).toExponential(2)}, ρ = ${(r.rho ?? 0).toPrecision(3)}-zCDP)`
        : r.noise)
      : 'disabled — the values are exact (a test setting, not private)';
    $('results-noise').dataset.noise = r.noise;
    $('results-released').textContent = fmtDate(r.released_at);
    const d = { fields: [], histograms: [], out_of_range: [], regression: null, crosstabs: [], group_sums: [], ...(r.derived ?? {}) };

    // Numeric fields: mean and variance, each ± its approximate 95% error
    // (reports released before errors were reported: the mean ± the sum's
    // 99% bound divided by the count).
    if (d.fields.length) {
      const errorOf = (e, what) => (noised && e != null
        ? h('span', { class: 'bound', 'data-error-95': String(e), 'data-figure': what }, `± ${fmtNum(e, 3)}`)
        : null);
      const rows = d.fields.map((f) => {
        const bound = valueOf(r, `sum:${f.field}`)?.noise_bound_99;
        const meanBound = f.mean_error_95 != null
          ? errorOf(f.mean_error_95, 'mean')
          : (noised && bound && r.count > 0 ? h('span', { class: 'bound' }, `± ${fmtNum(bound / r.count, 3)} (99%)`) : null);
        const varianceBound = errorOf(f.variance_error_95, 'variance');
        return h('tr', { 'data-field': f.field },
          h('th', { scope: 'row' }, f.field),
          h('td', { class: 'num sum' }, fmtInt(f.sum)),
          h('td', { class: 'num mean', 'data-field': f.field }, f.mean == null ? '—' : [fmtNum(f.mean), meanBound && ' ', meanBound]),
          h('td', { class: 'num variance', 'data-field': f.field }, fmtNum(f.variance), varianceBound && ' ', varianceBound));
      });
      $('results-numeric').replaceChildren(...resultTable('numeric-table', 'Numeric fields',
        (noised ? '± is the approximate 95% error the noise leaves on the mean and the variance. ' : 'No noise was added. ')
          + 'Variance is clamped at 0; — means it was not requested or there were no contributions.',
        [['Field'], ['Sum', 'num'], ['Mean', 'num'], ['Variance', 'num']], rows));
    }

    // Histograms: one accessible SVG bar chart per categorical field.
    if (d.histograms.length) {
      $('results-histograms').replaceChildren(h('h4', {}, 'Histograms'), ...d.histograms.map((hist) => {
        const bound = noised ? valueOf(r, `count:${hist.field}:${hist.counts[0]?.category}`)?.noise_bound_99 : 0;
        const consistent = noised && hist.counts.every((c) => c.consistent != null);
        return h('figure', { 'data-field': hist.field },
          h('div', { class: 'scroll' }, histogramSvg(hist, r.count, noised)),
          h('figcaption', {}, consistent
            ? `${hist.field}: count per category, made consistent (no count below 0, all adding up to ${fmtInt(r.count)}) `
              + 'without spending privacy budget; the error bars show ± the 95% error of the released counts'
              + (bound ? ` (99%: ± ${fmtNum(bound, 3)})` : '') + '.'
            : `${hist.field}: noised count per category`
              + (bound ? ` (each ± ${fmtNum(bound, 3)} at 99%)` : '')
              + (hist.counts.some((c) => toNumber(c.count) < 0) ? '; noise made some counts negative, drawn as empty bars' : '')
              + '.'));
      }));
    }

    // Quality: values outside a field's declared range.
    if (d.out_of_range.length) {
      $('results-quality').replaceChildren(...resultTable('quality-table', 'Out-of-range values',
        'Noised number of contributions whose value was outside the field\'s declared range.',
        [['Field'], ['Count', 'num']],
        d.out_of_range.map((o) => h('tr', {}, h('th', { scope: 'row' }, o.field), h('td', { class: 'num' }, fmtInt(o.count))))));
    }

    // Regression: target ≈ intercept + Σ coefficient · feature.
    const reg = d.regression;
    if (reg) {
      const title = `Linear regression of ${reg.target}`;
      if (reg.solved) {
        const err = (e) => h('td', { class: 'num error-95', 'data-error-95': e == null ? null : String(e) },
          e == null ? '—' : `± ${fmtNum(e, 3)}`);
        $('results-regression').replaceChildren(...resultTable('regression-table', title,
          `${reg.target} ≈ intercept + Σ coefficient × feature, fitted on the noised sums; `
            + '± is the approximate 95% error the noise leaves on each term (— when not known).',
          [['Term'], ['Coefficient', 'num'], ['95% error', 'num']],
          [h('tr', {}, h('th', { scope: 'row' }, 'intercept'), h('td', { class: 'num' }, fmtNum(reg.intercept)),
            err(reg.intercept_error_95)),
          ...reg.features.map((f, i) => h('tr', { 'data-feature': f },
            h('th', { scope: 'row' }, f), h('td', { class: 'num' }, fmtNum(reg.coefficients[i])),
            err(reg.coefficient_errors_95?.[i])))]));
      } else {
        $('results-regression').replaceChildren(h('h4', {}, title),
          h('p', { id: 'regression-note' }, `Could not be fitted: ${reg.note ?? 'no reason given'}.`));
      }
    }

    // Contingency tables: each cell's noised count and, under it, the
    // frequency of the column's category within the row.
    if (d.crosstabs.length) {
      $('results-crosstabs').replaceChildren(...d.crosstabs.flatMap((t, k) => {
        const bound = noised ? valueOf(r, `crosstab:${t.rows}:${t.columns}:0:0`)?.noise_bound_99 : 0;
        const columns = t.table[0]?.counts.map((c) => c.category) ?? [];
        const rows = t.table.map((row) => h('tr', { 'data-category': row.category },
          h('th', { scope: 'row' }, row.category),
          row.counts.map((c, j) => h('td', { class: 'num cell', 'data-column': c.category, 'data-count': String(c.count) },
            fmtInt(c.count),
            h('span', { class: 'share' }, row.conditional[j] == null ? '' : ` (${fmtNum(100 * row.conditional[j], 3)}%)`)))));
        const chi = t.chi_square == null
          ? 'χ² is not defined (fewer than two rows or columns with a positive total).'
          : `χ² = ${fmtNum(t.chi_square, 4)} with ${t.degrees_of_freedom} degree(s) of freedom (noise inflates it).`;
        return resultTable(`crosstab-table-${k}`, `${t.rows} × ${t.columns}`,
          `Noised count of contributions per pair of categories${bound ? ` (each ± ${fmtNum(bound, 3)} at 99%)` : ''}; `
            + `in brackets the share of the row (P(${t.columns} | ${t.rows}), negative counts taken as 0). ${chi}`,
          [[`${t.rows} \\ ${t.columns}`], ...columns.map((c) => [c, 'num'])], rows);
      }));
      $('results-crosstabs').querySelectorAll('table').forEach((el, k) => {
        el.dataset.rows = d.crosstabs[k].rows;
        el.dataset.columns = d.crosstabs[k].columns;
        el.dataset.chiSquare = String(d.crosstabs[k].chi_square ?? '');
      });
    }

    // Group sums: Σ field, size and mean of each category of `by`.
    if (d.group_sums.length) {
      $('results-group-sums').replaceChildren(...d.group_sums.flatMap((g, k) => resultTable(`group-sum-table-${k}`,
        `${g.field} by ${g.by}`,
        `Noised sum of ${g.field} and noised number of contributions per category of ${g.by}; `
          + 'the mean is their ratio (— when the noised count is below 1).',
        [[g.by], ['Sum', 'num'], ['Count', 'num'], ['Mean', 'num']],
        g.groups.map((gr) => h('tr', { 'data-category': gr.category },
          h('th', { scope: 'row' }, gr.category),
          h('td', { class: 'num sum' }, fmtInt(gr.sum)),
          h('td', { class: 'num count' }, fmtInt(gr.count)),
          h('td', { class: 'num mean' }, fmtNum(gr.mean)))))));
    }

    // The released aggregates themselves.
    $('results-values').replaceChildren(...resultTable('values-table', 'Released values',
      'Exactly as released by the keyholders: each value with each keyholder\'s noise scale, the standard deviation '
        + 'of the total noise and the 99% bound on it.',
      [['Key'], ['Value', 'num'], ['Noise scale', 'num'], ['Noise σ', 'num'], ['99% bound', 'num']],
      r.values.map((v) => h('tr', {},
        h('td', { class: 'key' }, v.key),
        h('td', { class: 'num' }, fmtInt(v.value)),
        h('td', { class: 'num' }, fmtNum(v.noise_scale)),
        h('td', { class: 'num' }, v.noise_sd == null ? '—' : fmtNum(v.noise_sd, 4)),
        h('td', { class: 'num' }, fmtNum(v.noise_bound_99))))));

    show(box);
  }

  // --- downloads ----------------------------------------------------------------------

  /** Fetches an authenticated file and saves it through a Blob link. */
  async function download(button, path, filename) {
    const errorBox = $('download-error');
    clearError(errorBox);
    button.disabled = true;
    try {
      const resp = await page.api('GET', path, { raw: true });
      const url = URL.createObjectURL(await resp.blob());
      const a = h('a', { href: url, download: filename, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      // Revoke later: the browser reads the blob after the click returns.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      showError(errorBox, err, 'Download failed: ');
    } finally {
      button.disabled = false;
    }
  }

  $('download-csv').addEventListener('click', (e) => {
    const id = $('results').dataset.reportId;
    if (id) download(e.currentTarget, `/api/reports/${id}/results.csv`, `report-${id}.csv`);
  });
  $('download-json').addEventListener('click', (e) => {
    const id = $('results').dataset.reportId;
    if (id) download(e.currentTarget, `/api/reports/${id}/results`, `report-${id}.json`);
  });

  /** Forgets the results at sign-out. */
  function reset() {
    resultsCache.clear();
    clearResults();
  }

  return { load: loadResults, clear: clearResults, reset };
}
