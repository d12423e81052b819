// @ts-check
// What the panels of the buyer dashboard share: error messages, and the page
// object (the session, the API, the panels).

import { errorText } from '../common.js';

/** @typedef {import('../common.js').StaffSession} StaffSession */

/** A plain-language lead for the error codes a buyer can act on; the server's message follows it. */
const ERROR_LEAD = {
  insufficient_funds: 'Your wallet does not hold enough tokens.',
  below_min_contributors: 'Not enough contributions yet.',
  privacy_budget_exhausted: "The campaign's privacy budget is used up.",
  nothing_to_release: 'There is nothing to release.',
  invalid_state: 'Not possible in the campaign\'s current state (use "Refresh").',
  invalid_epsilon: 'Invalid ε.',
  report_not_released: 'The report is not released yet.',
  too_many_attempts: 'Too many failed sign-ins from your address; wait and retry.',
  rate_limited: 'Too many requests from your address; wait and retry.',
  account_locked: 'This account is locked after many failed sign-ins; an administrator can unlock it.',
  account_suspended: 'This account is suspended.',
  idempotency_key_reused: 'This action was already sent with different details; try again.',
  not_found: 'Not found (it may have been removed; use "Refresh").',
};

export const { showError } = errorText(ERROR_LEAD, { sentences: false });

/**
 * The panels of the dashboard, each made by its module's factory from the
 * page object (see main.js). A panel reaches another one through
 * `page.panels` when it acts, never while it is made.
 * @typedef {object} Panels
 * @property {import('./wallet.js').WalletPanel} wallet
 * @property {import('./campaigns.js').CampaignsPanel} campaigns
 * @property {import('./reports.js').ReportsPanel} reports
 * @property {import('./results.js').ResultsPanel} results
 * @property {import('./new-campaign.js').NewCampaignPanel} newCampaign
 */

/** The dashboard: its session (`auth`: the API client, payments and the session's lifetime) and its panels. */
export class BuyerPage {
  /** @param {StaffSession} auth */
  constructor(auth) {
    this.auth = auth;
    this.api = auth.api;
    this.pay = auth.pay;
    /** @type {Panels} */
    this.panels = /** @type {any} */ ({});
  }
}
