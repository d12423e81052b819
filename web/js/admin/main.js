// @ts-check
// The administration page: sign in as an admin, review the campaigns waiting
// for review (approve with an optional note, reject with a reason that
// refunds the escrow), follow all campaigns (suspend them with a reason and
// resume them, close them, look at their submission quality), decide the
// withdrawal requests (approve: paid out; reject with a reason: the tokens go
// back to the wallet), suspend and unsuspend accounts, mint tokens, audit the
// ledger, and read the audit log and the key holder's decryption log. Native
// ES modules, no framework and no bundler; it only talks to this origin's /api.
//
// This entry module makes the session and the page object (page.js) and
// wires the nine panels, one module each; a panel keeps its own state and
// reaches the others through page.panels.

import { $, clearInvalidOnInput, clearError, StaffSession, wireSignIn, showSignedIn, showSignedOut } from '../common.js';
import { AdminPage, showError } from './page.js';
import { reviewPanel } from './review.js';
import { campaignsPanel } from './campaigns.js';
import { qualityPanel } from './quality.js';
import { withdrawalsPanel } from './withdrawals.js';
import { usersPanel, ROLE_TEXT } from './users.js';
import { mintPanel } from './mint.js';
import { ledgerPanel } from './ledger.js';
import { auditPanel } from './audit.js';
import { decryptionsPanel } from './decryptions.js';

const TOKEN_KEY = 'cipherpool.admin.session';

// The session (auth.current), the API client (errors are ApiError with the
// server's code; a 401 ends the session) and payments: rejecting or closing
// a campaign and minting carry an Idempotency-Key that a retry of the same
// action with the same body reuses.
const auth = new StaffSession({ role: 'admin', storageKey: TOKEN_KEY, signOut });
const page = new AdminPage(auth);
const panels = page.panels;
panels.review = reviewPanel(page);
panels.campaigns = campaignsPanel(page);
panels.quality = qualityPanel(page);
panels.withdrawals = withdrawalsPanel(page);
panels.users = usersPanel(page);
panels.mint = mintPanel(page);
panels.ledger = ledgerPanel(page);
panels.audit = auditPanel(page);
panels.decryptions = decryptionsPanel(page);

// Typing into a control marked invalid clears the mark and its message.
clearInvalidOnInput(document);

wireSignIn(auth, {
  showError,
  afterSignIn,
  signOut,
  refusal: {
    code: 'not_an_admin',
    text: (user) => `This page is for administrators; ${user?.email ?? 'this account'} is a `
      + `${ROLE_TEXT[user?.role] ?? 'different'} account.`,
  },
});

async function afterSignIn() {
  showSignedIn(auth.current.user.email);
  // Each section shows its own errors: one failing (the key holder down) leaves the rest working.
  await Promise.all([panels.review.refresh(), panels.campaigns.refresh(), panels.withdrawals.refresh(),
    panels.users.refresh(), panels.audit.refresh(), panels.decryptions.refresh()]);
}

/** Forgets the session and everything shown for it (its pending answers turn stale). */
function signOut(message = '') {
  auth.end();
  for (const panel of Object.values(panels)) panel.reset();
  clearError($('session-error'));
  showSignedOut(message);
}

if (auth.current) afterSignIn();
