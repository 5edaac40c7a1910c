-- Campaign launches: what became of each target account of a CampaignLaunch run.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
--
-- The key is the launch's workflow id and the account: the workflow records each
-- account once it is final, and a retried (or repeated) write of the same outcome
-- cannot add a second row (INSERT ... ON CONFLICT DO NOTHING).

CREATE TABLE campaign_launch_results (
    launch_workflow_id      TEXT NOT NULL,
    campaign_id             TEXT NOT NULL REFERENCES campaigns (id),
    account_id              TEXT NOT NULL,
    status                  TEXT NOT NULL CHECK (status IN ('completed', 'failed', 'canceled')),
    -- The DrewCoordinator run in gtm; null when none started (a malformed account id).
    coordinator_workflow_id TEXT NULL,
    -- The brief's recommendation, or why the account failed or was canceled.
    detail                  TEXT NOT NULL,
    recorded_at             TEXT NOT NULL,
    PRIMARY KEY (launch_workflow_id, account_id)
);
CREATE INDEX campaign_launch_results_by_campaign ON campaign_launch_results (campaign_id, recorded_at);
