// @ts-check
// How the admin page shows a campaign in the review queue and the campaign
// list: its facts and its schema.

import { h, fmtInt, toNumber, tokens, fmtDate } from '../common.js';
import { factList } from './page.js';

/** @typedef {import('../api-types').CampaignView} CampaignView */

/** @param {any} f a field of the campaign's schema */
function describeField(f) {
  if (f.type === 'categorical') {
    return [h('code', {}, f.name), ` — categorical, ${f.categories.length} categories: ${f.categories.join(' / ')}`];
  }
  const top = 2 ** f.bits - 1;
  const range = f.range
    ? `range ${fmtInt(f.range.min)}–${fmtInt(f.range.max)}`
    : `full range 0–${fmtInt(top)}`;
  return [h('code', {}, f.name), ` — numeric, ${f.bits}-bit, ${range}`];
}

/**
 * The schema: one line per field (width, range or categories) and the regression, if any.
 * @param {CampaignView} c
 */
export function schemaView(c) {
  /** @type {any} */
  const schema = c.schema;
  const fields = schema?.fields ?? [];
  const reg = schema?.regression;
  return [
    h('ul', { class: 'schema' }, fields.map((f) => h('li', { 'data-field': f.name }, describeField(f)))),
    reg ? h('p', { class: 'regression' }, 'Linear regression: ', h('code', {}, reg.target), ' from ',
      reg.features.flatMap((f, i) => [i ? ', ' : null, h('code', {}, f)]), '.') : null,
  ];
}

/**
 * The facts an admin needs about a campaign, as a description list.
 * @param {CampaignView} c
 */
export function campaignFacts(c, { review = false } = {}) {
  const perReward = c.reward > 0 ? Math.floor(toNumber(c.budget) / toNumber(c.reward)) : 0;
  const enough = toNumber(c.contributions) >= toNumber(c.min_contributors);
  /** @type {[string, any][]} */
  const items = [
    ['Buyer', `user #${c.buyer_id}`],
    ['Statistics', (c.statistics ?? []).join(', ') || '—'],
    ['Privacy ε', String(c.epsilon)],
    ['Privacy δ', c.delta ? c.delta.toExponential(2) : '0 (pure ε)'],
    ['Minimum contributors (k)', fmtInt(c.min_contributors)],
    ['Reward', `${tokens(c.reward)} per contribution`],
    ['Budget', `${tokens(c.budget)}${perReward ? ` (pays up to ${fmtInt(perReward)} contributions)` : ''}`],
    ['Escrow', tokens(c.escrow_balance)],
  ];
  if (!review) {
    items.splice(1, 0, ['Contributions', h('span', { class: 'contributions', 'data-count': c.contributions },
      `${fmtInt(c.contributions)} of ${fmtInt(c.min_contributors)} needed`, enough ? ' — enough for a report' : '')]);
    items.push(['Encrypted values', fmtInt(c.encrypted_values)]);
    items.push(['Updated', fmtDate(c.updated_at)]);
  } else {
    items.push(['Submitted', fmtDate(c.updated_at)]);
  }
  return factList(items);
}
