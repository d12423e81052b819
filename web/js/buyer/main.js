// @ts-check
// The buyer (model builder) dashboard: sign in, see the wallet and one's
// campaigns, build and create a campaign, fund / open / close it, buy
// differentially private reports, follow their progress and read (or
// download) the released, noised results. Native ES modules, no framework
// and no bundler; it only talks to this origin's /api.
//
// This entry module makes the session and the page object (page.js) and
// wires the panels, one module each; a panel keeps its own state and reaches
// the others through page.panels.

import { $, StaffSession, wireSignIn, wireRegister, showSignedIn, showSignedOut } from '../common.js';
import { BuyerPage, showError } from './page.js';
import { walletPanel } from './wallet.js';
import { campaignsPanel } from './campaigns.js';
import { reportsPanel } from './reports.js';
import { resultsPanel } from './results.js';
import { newCampaignPanel } from './new-campaign.js';

const TOKEN_KEY = 'cipherpool.buyer.session';

// The session (auth.current), the API client (errors are ApiError with the
// server's code; a 401 ends the session) and payments: funding, closing and
// buying a report carry an Idempotency-Key that a retry of the same action
// with the same body reuses.
const auth = new StaffSession({ role: 'buyer', storageKey: TOKEN_KEY, signOut });
const page = new BuyerPage(auth);
const panels = page.panels;
panels.wallet = walletPanel(page);
panels.campaigns = campaignsPanel(page);
panels.reports = reportsPanel(page);
panels.results = resultsPanel(page);
panels.newCampaign = newCampaignPanel(page);

const signIn = wireSignIn(auth, {
  showError,
  afterSignIn,
  signOut,
  refusal: {
    code: 'not_a_buyer',
    text: (user) => `This dashboard is for buyers; ${user?.email ?? 'this account'} is a ${user?.role ?? 'different'} account.`,
  },
});

// A new buyer account is signed in the same way.
wireRegister({
  role: 'buyer',
  api: auth.api,
  signIn,
  intro: 'A buyer account: create campaigns and buy reports. You are signed in as soon as it is created.',
});

async function afterSignIn() {
  showSignedIn(auth.current.user.email);
  try {
    await Promise.all([panels.wallet.refresh(), panels.campaigns.refresh()]);
  } catch (err) {
    if (auth.current) showError($('session-error'), err);
  }
}

/** Forgets the session and everything shown for it (its pending answers turn stale). */
function signOut(message = '') {
  auth.end();
  panels.reports.reset();
  panels.wallet.reset();
  panels.campaigns.reset();
  panels.results.reset();
  panels.newCampaign.reset();
  showSignedOut(message);
}

if (auth.current) afterSignIn();
