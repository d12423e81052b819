-- One ciphertext counts once per campaign: duplicates accepted before this
-- index existed are removed, keeping the first (their rewards stay paid in
-- the ledger, which is history; they are no longer contributions).
DELETE FROM contributions c
 USING contributions d
 WHERE c.campaign_id = d.campaign_id
   AND c.digest = d.digest
   AND c.id > d.id;
CREATE UNIQUE INDEX contributions_campaign_digest ON contributions (campaign_id, digest);
