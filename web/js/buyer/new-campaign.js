// @ts-check
// The new-campaign form: the schema builder (numeric and categorical fields,
// an optional regression, contingency tables and per-category sums),
// statistics, reward, budget, minimum contributors and ε; checked in the
// page, then created as a draft.

import { $, show, h, fmtInt, tokens, clearError, refuseForm } from '../common.js';
import { showError } from './page.js';

const NAME_RE = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_EPSILON = 10;
/** δ limits (protocol::terms::MIN_DELTA / MAX_DELTA). */
const MIN_DELTA = 1e-15;
const MAX_DELTA = 1e-4;
const MIN_CONTRIBUTORS = 10;
const MAX_CONTRIBUTORS = 1_000_000;
const MAX_FEATURES = 8;

/** @typedef {ReturnType<typeof newCampaignPanel>} NewCampaignPanel */

/** @param {import('./page.js').BuyerPage} page */
export function newCampaignPanel(page) {
  let fieldSeq = 0; // ids of builder rows; never reused

  /** A labelled control with its hint and error line (aria-describedby wired). */
  function control(id, labelText, input, hintText) {
    const described = [hintText ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' ');
    input.id = id;
    input.setAttribute('aria-describedby', described);
    return h('div', { class: 'control' },
      h('label', { for: id }, labelText),
      input,
      hintText ? h('span', { id: `${id}-hint`, class: 'hint' }, hintText) : null,
      h('p', { id: `${id}-error`, class: 'error field-error' }));
  }

  function addField(kind) {
    const n = ++fieldSeq;
    const p = `field-${n}`;
    const name = h('input', { type: 'text', class: 'field-name', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'none' });
    const parts = [control(`${p}-name`, 'Name', name, 'Lowercase letters, digits and _, starting with a letter (e.g. hours_per_week).')];
    if (kind === 'numeric') {
      const bits = h('select', { class: 'field-bits' },
        h('option', { value: 8 }, '8 bits (0–255)'),
        h('option', { value: 16 }, '16 bits (0–65,535)'),
        h('option', { value: 32 }, '32 bits (0–4,294,967,295)'));
      const num = (cls) => h('input', { type: 'number', inputmode: 'numeric', min: 0, step: 1, class: cls });
      parts.push(
        control(`${p}-bits`, 'Size', bits),
        control(`${p}-min`, 'Minimum (optional)', num('field-min'), 'Leave both empty for the full range of the size.'),
        control(`${p}-max`, 'Maximum (optional)', num('field-max')));
    } else {
      parts.push(control(`${p}-categories`, 'Categories',
        h('input', { type: 'text', class: 'field-categories', autocomplete: 'off' }),
        'Comma-separated, 2 to 64 labels (e.g. car, bike, train).'));
    }
    const legendId = `${p}-legend`;
    const row = h('fieldset', { class: 'field-row', 'data-kind': kind, 'data-row': n, id: p },
      h('legend', { id: legendId }),
      parts,
      h('button', { type: 'button', class: 'remove', onclick: () => removeField(row) }, 'Remove field'));
    $('schema-fields').append(row);
    name.addEventListener('input', () => {
      labelRows();
      refreshRegression();
    });
    labelRows();
    refreshRegression();
    clearError($('schema-box-error'));
    name.focus();
    return row;
  }

  function removeField(row) {
    const rows = [...$('schema-fields').children];
    const i = rows.indexOf(row);
    row.remove();
    labelRows();
    refreshRegression();
    // Focus the next row's name, else the previous one's, else the add button.
    const rest = [...$('schema-fields').children];
    const next = rest[i] ?? rest[i - 1];
    (next?.querySelector('.field-name') ?? $('add-numeric')).focus();
  }

  /** Numbers the rows' legends and names their remove buttons after their fields. */
  function labelRows() {
    [...$('schema-fields').children].forEach((row, i) => {
      const kind = row.dataset.kind === 'numeric' ? 'numeric' : 'categorical';
      const name = row.querySelector('.field-name').value.trim();
      row.querySelector('legend').textContent = `Field ${i + 1} (${kind})${name ? `: ${name}` : ''}`;
      row.querySelector('.remove').setAttribute('aria-label', `Remove field ${i + 1}${name ? ` (${name})` : ''}`);
    });
  }

  $('add-numeric').addEventListener('click', () => addField('numeric'));
  $('add-categorical').addEventListener('click', () => addField('categorical'));

  /** Valid, distinct names of the numeric fields, in order. */
  function numericNames() {
    const names = [...$('schema-fields').querySelectorAll('.field-row[data-kind="numeric"] .field-name')]
      .map((i) => i.value.trim())
      .filter((s) => NAME_RE.test(s));
    return [...new Set(names)];
  }

  /** Valid, distinct names of the categorical fields, in order. */
  function categoricalNames() {
    const names = [...$('schema-fields').querySelectorAll('.field-row[data-kind="categorical"] .field-name')]
      .map((i) => i.value.trim())
      .filter((s) => NAME_RE.test(s));
    return [...new Set(names)];
  }

  let tableSeq = 0; // ids of crosstab and group-sum rows; never reused

  /** Fills a select with `names`, keeping its choice when still offered. */
  function fillSelect(select, names) {
    const prev = select.value;
    select.replaceChildren(h('option', { value: '' }, 'Choose…'), ...names.map((n) => h('option', { value: n }, n)));
    select.value = names.includes(prev) ? prev : '';
  }

  /** Refreshes the crosstab and group-sum rows' choices after a field changed. */
  function refreshTables() {
    const cats = categoricalNames();
    const nums = numericNames();
    for (const sel of document.querySelectorAll('#crosstab-list select')) fillSelect(sel, cats);
    for (const sel of document.querySelectorAll('#group-sum-list select.group-field')) fillSelect(sel, nums);
    for (const sel of document.querySelectorAll('#group-sum-list select.group-by')) fillSelect(sel, cats);
  }

  /** One crosstab (kind "crosstab": rows × columns) or group sum (kind "group": field by category) row. */
  function addTable(kind) {
    const n = ++tableSeq;
    const p = `${kind}-${n}`;
    const [first, second] = kind === 'crosstab'
      ? [['rows', 'Rows (categorical field)', 'crosstab-rows'], ['columns', 'Columns (categorical field)', 'crosstab-columns']]
      : [['field', 'Sum of (numeric field)', 'group-field'], ['by', 'Per category of', 'group-by']];
    const row = h('fieldset', { class: 'table-row', id: p, 'data-kind': kind },
      h('legend', {}, kind === 'crosstab' ? `Crosstab ${n}` : `Group sum ${n}`),
      control(`${p}-${first[0]}`, first[1], h('select', { class: first[2] })),
      control(`${p}-${second[0]}`, second[1], h('select', { class: second[2] })),
      h('button', { type: 'button', class: 'remove', onclick: () => { row.remove(); $('add-crosstab').focus(); } },
        kind === 'crosstab' ? `Remove crosstab ${n}` : `Remove group sum ${n}`));
    $(kind === 'crosstab' ? 'crosstab-list' : 'group-sum-list').append(row);
    refreshTables();
    clearError($('tables-box-error'));
    row.querySelector('select')?.focus();
    return row;
  }
  $('add-crosstab').addEventListener('click', () => addTable('crosstab'));
  $('add-group-sum').addEventListener('click', () => addTable('group'));

  /** Rebuilds the regression's feature checkboxes and target options, keeping the choices made. */
  function refreshRegression() {
    refreshTables();
    const names = numericNames();
    const list = $('regression-feature-list');
    const checked = new Set([...list.querySelectorAll('input:checked')].map((i) => i.value));
    list.replaceChildren(...names.map((name) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', value: name, id: `regression-feature-${name}`, checked: checked.has(name) }), name)));
    if (!names.length) list.append(h('p', { class: 'hint' }, 'Add numeric fields (with names) to choose from.'));
    const target = $('regression-target');
    const prev = target.value;
    target.replaceChildren(h('option', { value: '' }, 'Choose…'), ...names.map((name) => h('option', { value: name }, name)));
    target.value = names.includes(prev) ? prev : '';
  }

  $('regression-enabled').addEventListener('change', (e) => {
    const on = e.currentTarget.checked;
    show($('regression-details'), on);
    // The "regression" statistic needs a declared regression; keep them in step.
    $('stat-regression').checked = on;
  });

  $('budget').addEventListener('input', updateBudgetNote);
  $('reward').addEventListener('input', updateBudgetNote);
  function updateBudgetNote() {
    const reward = Number($('reward').value);
    const budget = Number($('budget').value);
    $('budget-note').textContent = Number.isInteger(reward) && Number.isInteger(budget) && reward > 0 && budget >= reward
      ? `It pays up to ${fmtInt(Math.floor(budget / reward))} contributions.`
      : '';
  }

  // --- new campaign: validation and submission ------------------------------------------

  /** Reads a whole number ≥ 0 from an input: null when empty, undefined (and an error) when invalid. */
  function readWhole(input, max, fail, what) {
    const text = input.value.trim();
    if (input.validity.badInput) {
      fail(input, `${what} must be a whole number.`);
      return undefined;
    }
    if (text === '') return null;
    const v = Number(text);
    if (!Number.isSafeInteger(v) || v < 0) {
      fail(input, `${what} must be a whole number, 0 or more.`);
      return undefined;
    }
    if (v > max) {
      fail(input, `${what} must be at most ${fmtInt(max)}.`);
      return undefined;
    }
    return v;
  }

  /** Builds the NewCampaign body from the form, with one message per invalid control. */
  function readCampaign() {
    const errors = [];
    const fail = (el, msg) => errors.push({ el, msg });

    const title = $('title').value.trim();
    if (!title) fail($('title'), 'Give the campaign a title.');
    else if ([...title].length > 200) fail($('title'), 'The title is at most 200 characters.');
    const description = $('description').value;
    if ([...description].length > 10_000) fail($('description'), 'The description is at most 10,000 characters.');

    const fields = [];
    const seen = new Set();
    const rows = [...$('schema-fields').children];
    if (!rows.length) fail($('schema-box'), 'Add at least one field.');
    for (const row of rows) {
      const p = `field-${row.dataset.row}`;
      const nameEl = $(`${p}-name`);
      const name = nameEl.value.trim();
      if (!name) fail(nameEl, 'Give the field a name.');
      else if (!NAME_RE.test(name)) fail(nameEl, 'Use 1 to 64 lowercase letters, digits or _, starting with a letter.');
      else if (seen.has(name)) fail(nameEl, `Another field is already called “${name}”.`);
      seen.add(name);
      if (row.dataset.kind === 'numeric') {
        const bits = Number($(`${p}-bits`).value);
        const top = 2 ** bits - 1;
        const minEl = $(`${p}-min`);
        const maxEl = $(`${p}-max`);
        const min = readWhole(minEl, top, fail, 'The minimum');
        const max = readWhole(maxEl, top, fail, 'The maximum');
        /** @type {any} */
        const field = { type: 'numeric', name, bits };
        // One bound alone: the other is the size's own limit.
        if (min !== undefined && max !== undefined && (min !== null || max !== null)) {
          const lo = min ?? 0;
          const hi = max ?? top;
          if (lo > hi) fail(maxEl, `The maximum must be at least the minimum (${fmtInt(lo)}).`);
          else field.range = { min: lo, max: hi };
        }
        fields.push(field);
      } else {
        const catEl = $(`${p}-categories`);
        const categories = catEl.value.split(',').map((s) => s.trim()).filter(Boolean);
        const dup = categories.find((c, i) => categories.indexOf(c) !== i);
        const long = categories.find((c) => [...c].length > 64);
        if (categories.length < 2) fail(catEl, 'List at least two categories, separated by commas.');
        else if (categories.length > 64) fail(catEl, `At most 64 categories (${categories.length} given).`);
        else if (dup) fail(catEl, `“${dup}” is listed twice.`);
        else if (long) fail(catEl, `“${long.slice(0, 20)}…” is longer than 64 characters.`);
        fields.push({ type: 'categorical', name, categories });
      }
    }
    const schema = { fields };

    if ($('regression-enabled').checked) {
      const features = [...$('regression-feature-list').querySelectorAll('input:checked')].map((i) => i.value);
      const target = $('regression-target').value;
      if (!features.length) fail($('regression-features'), 'Choose at least one feature.');
      else if (features.length > MAX_FEATURES) fail($('regression-features'), `Choose at most ${MAX_FEATURES} features.`);
      if (!target) fail($('regression-target'), 'Choose the field to predict.');
      else if (features.includes(target)) fail($('regression-target'), 'The target cannot also be a feature.');
      schema.regression = { features, target };
    }

    const crosstabs = [];
    for (const row of $('crosstab-list').children) {
      const [rowsEl, columnsEl] = row.querySelectorAll('select');
      const [rows, columns] = [rowsEl.value, columnsEl.value];
      if (!rows) fail(rowsEl, 'Choose the categorical field of the rows.');
      if (!columns) fail(columnsEl, 'Choose the categorical field of the columns.');
      else if (rows === columns) fail(columnsEl, 'Choose two different fields.');
      else if (rows && crosstabs.some((c) => (c.rows === rows && c.columns === columns) || (c.rows === columns && c.columns === rows))) {
        fail(columnsEl, 'This table is already listed.');
      } else if (rows) crosstabs.push({ rows, columns });
    }
    if (crosstabs.length) schema.crosstabs = crosstabs;
    const groupSums = [];
    for (const row of $('group-sum-list').children) {
      const [fieldEl, byEl] = row.querySelectorAll('select');
      const [field, by] = [fieldEl.value, byEl.value];
      if (!field) fail(fieldEl, 'Choose the numeric field to sum.');
      if (!by) fail(byEl, 'Choose the categorical field of the groups.');
      else if (field && groupSums.some((g) => g.field === field && g.by === by)) fail(byEl, 'This group sum is already listed.');
      else if (field) groupSums.push({ field, by });
    }
    if (groupSums.length) schema.group_sums = groupSums;

    const statistics = [.../** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('#stats-box input[name="statistics"]:checked'))].map((i) => i.value);
    const hasNumeric = fields.some((f) => f.type === 'numeric');
    const hasCategorical = fields.some((f) => f.type === 'categorical');
    const hasNarrowRange = fields.some((f) => f.range && (f.range.min > 0 || f.range.max < 2 ** f.bits - 1));
    const statsBox = $('stats-box');
    if (!statistics.length) fail(statsBox, 'Choose at least one statistic.');
    for (const s of statistics) {
      if (['sum', 'mean', 'variance'].includes(s) && !hasNumeric && rows.length) fail(statsBox, `“${s}” needs a numeric field.`);
      if (s === 'histogram' && !hasCategorical && rows.length) fail(statsBox, '“histogram” needs a categorical field.');
      if (s === 'regression' && !schema.regression) fail(statsBox, '“regression” needs the regression above to be filled in.');
      if (s === 'quality' && !hasNarrowRange && rows.length) fail(statsBox, '“quality” needs a numeric field with a minimum or maximum inside its size.');
      if (s === 'crosstab' && !crosstabs.length) fail(statsBox, '“crosstab” needs a crosstab above.');
      if (s === 'group_sum' && !groupSums.length) fail(statsBox, '“group sum” needs a group sum above.');
    }

    const reward = readWhole($('reward'), Number.MAX_SAFE_INTEGER, fail, 'The reward');
    if (reward === null || reward === 0) fail($('reward'), 'The reward must be at least 1 token.');
    const budget = readWhole($('budget'), Number.MAX_SAFE_INTEGER, fail, 'The budget');
    if (budget === null || budget === 0) fail($('budget'), 'The budget must be at least 1 token.');
    else if (reward && budget && budget < reward) fail($('budget'), `The budget must cover at least one reward (${tokens(reward)}).`);
    const minContributors = readWhole($('min-contributors'), MAX_CONTRIBUTORS, fail, 'The minimum');
    if (minContributors === null || (minContributors != null && minContributors < MIN_CONTRIBUTORS)) {
      fail($('min-contributors'), `At least ${MIN_CONTRIBUTORS} contributors are required.`);
    }
    const epsText = $('epsilon').value.trim();
    const epsilon = Number(epsText);
    if ($('epsilon').validity.badInput || epsText === '' || !Number.isFinite(epsilon) || epsilon <= 0 || epsilon > MAX_EPSILON) {
      fail($('epsilon'), `ε must be a number above 0 and at most ${MAX_EPSILON}.`);
    }
    const deltaText = $('delta').value.trim();
    const delta = deltaText === '' ? 0 : Number(deltaText);
    if (!Number.isFinite(delta) || (delta !== 0 && (delta < MIN_DELTA || delta > MAX_DELTA))) {
      fail($('delta'), `δ must be 0, or a number between ${MIN_DELTA} and ${MAX_DELTA} such as 1e-6.`);
    } else if (delta !== 0 && reward && budget && delta * Math.max(1, Math.floor(budget / reward)) >= 1) {
      fail($('delta'), `δ must be below 1 / ${Math.floor(budget / reward)} (the most contributions this budget pays).`);
    }

    return {
      errors,
      body: {
        title,
        description,
        schema,
        statistics,
        reward,
        budget,
        min_contributors: minContributors,
        epsilon,
        delta,
        eligibility: /** @type {HTMLSelectElement} */ ($('eligibility')).value === 'verified' ? 'verified' : 'open',
      },
    };
  }

  /** Marks controls invalid with their messages (first message per control) and focuses the first. */
  function showFormErrors(errors) {
    for (const { el, msg } of errors) {
      if (el.matches('input, select, textarea')) el.setAttribute('aria-invalid', 'true');
      const line = $(`${el.id}-error`);
      if (line && !line.textContent) line.textContent = msg;
    }
    const first = errors[0]?.el;
    if (!first) return;
    if (first.id === 'schema-box') $('add-numeric').focus();
    else if (first.matches('fieldset')) (first.querySelector('input, select') ?? first).focus();
    else first.focus();
  }

  function clearFormErrors() {
    const form = $('new-campaign');
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const line of form.querySelectorAll('.field-error')) line.textContent = '';
    clearError($('new-campaign-error'));
  }

  /** Which control a server validation error is about (422 codes of POST /api/campaigns). */
  function serverErrorTarget(err) {
    switch (err.code) {
      case 'invalid_title': return $('title');
      case 'invalid_description': return $('description');
      case 'invalid_amount': return /budget/.test(err.message) ? $('budget') : $('reward');
      case 'invalid_min_contributors': return $('min-contributors');
      case 'invalid_epsilon': return $('epsilon');
      case 'invalid_delta': return $('delta');
      case 'invalid_schema': {
        if (/statistic/.test(err.message)) return $('stats-box');
        if (/^regression/.test(err.message)) return $('regression-enabled').checked ? $('regression-features') : $('regression-box');
        if (/crosstab|group_sum/.test(err.message)) return $('tables-box');
        // Schema messages name the field as field "x" or field name "x".
        const name = /field(?: name)? "((?:[^"\\]|\\.)*)"/.exec(err.message)?.[1];
        const row = name && [...$('schema-fields').children].find((r) => r.querySelector('.field-name').value.trim() === name);
        if (!row) return $('schema-box');
        const p = `field-${row.dataset.row}`;
        if (/categor/.test(err.message) && $(`${p}-categories`)) return $(`${p}-categories`);
        if (/range/.test(err.message) && $(`${p}-max`)) return $(`${p}-max`);
        if (/bit width/.test(err.message) && $(`${p}-bits`)) return $(`${p}-bits`);
        return $(`${p}-name`);
      }
      default: return null;
    }
  }

  $('new-campaign').addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFormErrors();
    const { errors, body } = readCampaign();
    if (errors.length) {
      refuseForm($('new-campaign-error'), errors, { mark: false });
      showFormErrors(errors);
      return;
    }
    const button = $('create-campaign');
    button.disabled = true;
    try {
      const view = await page.api('POST', '/api/campaigns', { body });
      resetCampaignForm();
      page.panels.campaigns.replace(view);
      $('campaigns-status').textContent = `“${view.title}” (#${view.id}) was created as a draft. `
        + 'Use “Fund & submit for review” to move its budget into escrow and send it to review.';
      $(`campaign-title-${view.id}`)?.focus();
    } catch (err) {
      showError($('new-campaign-error'), err);
      const target = serverErrorTarget(err);
      if (target) showFormErrors([{ el: target, msg: err.message }]);
    } finally {
      button.disabled = false;
    }
  });

  function resetCampaignForm() {
    $('new-campaign').reset();
    $('schema-fields').replaceChildren();
    $('crosstab-list').replaceChildren();
    $('group-sum-list').replaceChildren();
    clearFormErrors();
    show($('regression-details'), false);
    refreshRegression();
    updateBudgetNote();
  }

  refreshRegression();
  return { reset: resetCampaignForm };
}
