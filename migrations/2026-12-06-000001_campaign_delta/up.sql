-- δ of a campaign's (ε, δ) promise (issue 17, item 2). 0 promises pure
-- ε-DP: every report is released under the discrete Laplace mechanism.
-- With δ > 0 a report may be released under the discrete Gaussian (ρ-zCDP
-- converted to (ε, δ)), spending δ in proportion to the ε it spends.
ALTER TABLE campaigns ADD COLUMN delta DOUBLE PRECISION NOT NULL DEFAULT 0
    CHECK (delta >= 0 AND delta <= 1e-4);

-- What each report spends, in both terms: ε (epsilon_micro, as before),
-- the δ it spends (0 under Laplace), the mechanism and, under the
-- Gaussian, the ρ of its zCDP.
ALTER TABLE jobs ADD COLUMN mechanism TEXT NOT NULL DEFAULT 'discrete_laplace'
    CHECK (mechanism IN ('discrete_laplace', 'discrete_gaussian'));
ALTER TABLE jobs ADD COLUMN delta DOUBLE PRECISION NOT NULL DEFAULT 0
    CHECK (delta >= 0 AND delta <= 1e-4);
ALTER TABLE jobs ADD COLUMN rho DOUBLE PRECISION NOT NULL DEFAULT 0
    CHECK (rho >= 0);
ALTER TABLE jobs ADD CONSTRAINT jobs_mechanism_terms
    CHECK ((mechanism = 'discrete_laplace') = (delta = 0 AND rho = 0));
