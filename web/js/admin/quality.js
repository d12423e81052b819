// @ts-check
// A campaign's quality signals: accepted and rejected submissions (by
// reason), submissions per hour as a chart and a table, and the out-of-range
// counts of the latest released report.

import { $, show, h, svg, emptyRow, fmtInt, toNumber, fmtDate } from '../common.js';
import { clearList, clearSection } from './page.js';

const HOUR_MS = 3_600_000;
/** Hours between the first and last bar up to which empty hours are drawn as gaps. */
const MAX_FILLED_HOURS = 72;

const hourFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** @typedef {import('../api-types').CampaignView} CampaignView */
/** @typedef {ReturnType<typeof qualityPanel>} QualityPanel */

/** @param {import('./page.js').AdminPage} page */
export function qualityPanel(page) {
  /** @type {number | null} the campaign shown */
  let campaignId = null;

  /** Shows (or reloads) the quality signals of campaign `id`. */
  async function showQuality(/** @type {number} */ id) {
    const section = $('quality');
    const c = page.panels.campaigns.find(id);
    const other = campaignId !== id;
    campaignId = id;
    show(section);
    section.dataset.campaignId = String(id);
    section.dataset.state = 'loading';
    section.setAttribute('aria-busy', 'true');
    $('quality-campaign').textContent = c ? `“${c.title}” (#${id})` : `campaign #${id}`;
    $('quality-status').textContent = '';
    if (other) show($('quality-body'), false);
    const ok = await page.load('quality', $('quality-error'), `/api/admin/campaigns/${id}/quality`, (q) => {
      renderQuality(q);
      section.dataset.state = 'loaded';
      const rejected = (q.rejected ?? []).reduce((s, r) => s + toNumber(r.count), 0);
      $('quality-status').textContent = `Quality signals loaded: ${fmtInt(q.accepted)} accepted, ${fmtInt(rejected)} rejected.`;
    });
    if (ok === null) return; // a newer request (or a sign-out) took over
    section.removeAttribute('aria-busy');
    if (!ok) section.dataset.state = 'error';
  }

  $('quality-refresh').addEventListener('click', () => {
    if (campaignId != null) showQuality(campaignId);
  });

  /** A campaign changed: the panel's title follows it when it is the one shown. */
  function retitle(/** @type {CampaignView} */ view) {
    if (campaignId === view.id) $('quality-campaign').textContent = view.title;
  }

  /** Forgets the panel at sign-out. */
  function reset() {
    campaignId = null;
    clearList($('quality-rejections'));
    $('quality').removeAttribute('aria-busy');
    clearSection({ statuses: ['quality-status'], errors: ['quality-error'], hidden: ['quality'] });
    delete $('quality').dataset.campaignId;
    delete $('quality').dataset.state;
  }

  return { show: showQuality, retitle, reset };
}

function renderQuality(q) {
  const accepted = $('quality-accepted');
  accepted.textContent = fmtInt(q.accepted);
  accepted.dataset.value = String(q.accepted);
  const rejections = [...(q.rejected ?? [])].sort((a, b) => toNumber(b.count) - toNumber(a.count));
  const rejectedTotal = rejections.reduce((s, r) => s + toNumber(r.count), 0);
  $('quality-rejected-total').textContent = fmtInt(rejectedTotal);
  $('quality-rejected-total').dataset.value = String(rejectedTotal);

  const rows = rejections.map((r) => h('tr', { 'data-reason': r.reason },
    h('td', {}, h('code', {}, String(r.reason))),
    h('td', { class: 'num' }, fmtInt(r.count))));
  if (!rows.length) rows.push(emptyRow(2, 'No submission was rejected.'));
  $('quality-rejections').tBodies[0].replaceChildren(...rows);

  const hours = perHourData(q.per_hour ?? []);
  if (hours.length) {
    const total = (k) => hours.reduce((s, r) => s + r[k], 0);
    $('quality-per-hour').replaceChildren(
      h('figure', {},
        h('div', { class: 'scroll' }, perHourSvg(hours)),
        h('figcaption', {},
          h('ul', { class: 'legend', 'aria-hidden': 'true' },
            h('li', {}, h('span', { class: 'swatch accepted' }), 'accepted'),
            h('li', {}, h('span', { class: 'swatch rejected' }), 'rejected')),
          `Submissions per hour (local time): ${fmtInt(total('accepted'))} accepted and ${fmtInt(total('rejected'))} rejected`
          + ` from ${fmtDate(new Date(hours[0].t).toISOString())}`
          + (hours.length > 1 && hours.at(-1).t - hours[0].t >= hours.length * HOUR_MS
            ? '; hours without submissions are left out.' : '.'))),
      h('details', {},
        h('summary', {}, 'The same as a table'),
        h('div', { class: 'scroll' },
          h('table', { id: 'quality-per-hour-table', 'aria-labelledby': 'quality-per-hour-title' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Hour starting'),
              h('th', { scope: 'col', class: 'num' }, 'Accepted'), h('th', { scope: 'col', class: 'num' }, 'Rejected'))),
            h('tbody', {}, hours.map((r) => h('tr', {},
              h('td', { class: 'when' }, new Date(r.t).toLocaleString()),
              h('td', { class: 'num' }, fmtInt(r.accepted)),
              h('td', { class: 'num' }, fmtInt(r.rejected)))))))));
  } else {
    $('quality-per-hour').replaceChildren(h('p', {}, 'No submissions yet.'));
  }

  const outOfRange = q.out_of_range ?? [];
  if (outOfRange.length) {
    $('quality-out-of-range').replaceChildren(
      h('div', { class: 'scroll' },
        h('table', { id: 'quality-out-of-range-table', 'aria-labelledby': 'quality-out-of-range-title', 'aria-describedby': 'quality-out-of-range-note' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col', class: 'num' }, 'Count'),
            h('th', { scope: 'col' }, 'Report'))),
          h('tbody', {}, outOfRange.map((o) => h('tr', { 'data-field': o.field },
            h('th', { scope: 'row' }, o.field),
            h('td', { class: 'num' }, fmtInt(o.count)),
            h('td', {}, o.report_id != null ? `#${o.report_id}` : '—')))))),
      h('p', { id: 'quality-out-of-range-note', class: 'hint' },
        'Contributions whose value was outside the field\'s declared range, from the latest released report; the counts are noised.'));
  } else {
    $('quality-out-of-range').replaceChildren(h('p', {},
      'None reported. Out-of-range counts come from the latest released report (noised), for campaigns asking for the quality statistic.'));
  }
  show($('quality-body'));
}

/** The per-hour rows, sorted, with the empty hours between them filled in (up to three days). */
function perHourData(perHour) {
  const rows = perHour
    .map((r) => ({ t: Date.parse(r.hour), accepted: toNumber(r.accepted), rejected: toNumber(r.rejected) }))
    .filter((r) => Number.isFinite(r.t))
    .sort((a, b) => a.t - b.t);
  if (rows.length < 2) return rows;
  const first = rows[0].t;
  const last = rows[rows.length - 1].t;
  const span = Math.round((last - first) / HOUR_MS);
  if (span > MAX_FILLED_HOURS || span * HOUR_MS !== last - first) return rows;
  const byTime = new Map(rows.map((r) => [r.t, r]));
  const filled = [];
  for (let t = first; t <= last; t += HOUR_MS) filled.push(byTime.get(t) ?? { t, accepted: 0, rejected: 0 });
  return filled;
}

/**
 * A grouped bar chart of accepted and rejected submissions per hour. Bars
 * scale to the largest count; every bar has a <title>, the chart an
 * aria-label summary (and the page a table of the same numbers).
 */
function perHourSvg(hours) {
  const n = hours.length;
  const barW = 10;
  const groupGap = 10;
  const groupW = 2 * barW + 2 + groupGap;
  const left = 40;
  const right = 30; // room for the last hour's label
  const top = 12;
  const plotH = 120;
  const labelH = 32;
  const width = left + n * groupW + right;
  const height = top + plotH + labelH;
  const baseY = top + plotH;
  const max = Math.max(1, ...hours.map((r) => Math.max(r.accepted, r.rejected)));
  const y = (v) => baseY - (Math.max(0, v) / max) * plotH;
  const busiest = hours.reduce((a, b) => (b.accepted + b.rejected > a.accepted + a.rejected ? b : a));
  const label = (t) => `${dayFormat.format(t)} ${hourFormat.format(t)}`;

  const chart = svg('svg', {
    class: 'per-hour', role: 'img', viewBox: `0 0 ${width} ${height}`,
    'aria-label': `Submissions per hour over ${n} ${n === 1 ? 'hour' : 'hours'} from ${label(hours[0].t)}: `
      + `${fmtInt(hours.reduce((s, r) => s + r.accepted, 0))} accepted, ${fmtInt(hours.reduce((s, r) => s + r.rejected, 0))} rejected; `
      + `busiest hour ${label(busiest.t)} with ${fmtInt(busiest.accepted)} accepted and ${fmtInt(busiest.rejected)} rejected.`,
    // Natural size at most 1.5×; never squeezed below 80 % (the box scrolls instead).
    style: `width: 100%; min-width: ${Math.round(width * 0.8)}px; max-width: ${Math.round(width * 1.5)}px`,
  });
  // Horizontal grid: 0, half and the maximum.
  for (const v of [0, max / 2, max]) {
    const gy = y(v);
    chart.append(
      svg('line', { class: v === 0 ? 'axis' : 'grid', x1: left - 4, x2: width - right, y1: gy, y2: gy }),
      svg('text', { x: left - 6, y: gy + 4, 'text-anchor': 'end' }, fmtInt(Math.round(v))));
  }
  // Hour labels: as many as fit, the day under the first and wherever it changes.
  const every = Math.max(1, Math.ceil(44 / groupW));
  let lastDay = '';
  hours.forEach((r, i) => {
    const x0 = left + groupGap / 2 + i * groupW;
    const when = label(r.t);
    chart.append(
      svg('rect', {
        class: 'bar accepted', x: x0, y: y(r.accepted), width: barW, height: baseY - y(r.accepted),
        'data-hour': new Date(r.t).toISOString(), 'data-count': r.accepted,
      }, svg('title', {}, `${when}: ${fmtInt(r.accepted)} accepted`)),
      svg('rect', {
        class: 'bar rejected', x: x0 + barW + 2, y: y(r.rejected), width: barW, height: baseY - y(r.rejected),
        'data-hour': new Date(r.t).toISOString(), 'data-count': r.rejected,
      }, svg('title', {}, `${when}: ${fmtInt(r.rejected)} rejected`)));
    if (i % every === 0) {
      const cx = x0 + barW + 1;
      chart.append(svg('text', { x: cx, y: baseY + 13, 'text-anchor': 'middle' }, hourFormat.format(r.t)));
      const day = dayFormat.format(r.t);
      if (day !== lastDay) {
        chart.append(svg('text', { x: cx, y: baseY + 27, 'text-anchor': 'middle' }, day));
        lastDay = day;
      }
    }
  });
  return chart;
}
