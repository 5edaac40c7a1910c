-- Customer Success store: support tickets, product usage, NPS responses, renewals,
-- and the health snapshots the monitors take. Portable SQL: runs unchanged on SQLite
-- and PostgreSQL. Customer Success knows accounts only by their id; it shares no
-- table with GTM or Marketing. Times are RFC 3339 UTC text.

CREATE TABLE support_tickets (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    status      TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    opened_at   TEXT NOT NULL,
    closed_at   TEXT NULL
);
CREATE INDEX support_tickets_by_account ON support_tickets (account_id, status);

CREATE TABLE usage_snapshots (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    taken_on     TEXT NOT NULL,
    active_users BIGINT NOT NULL CHECK (active_users >= 0),
    seats        BIGINT NOT NULL CHECK (seats >= 0)
);
CREATE INDEX usage_snapshots_by_account ON usage_snapshots (account_id, taken_on);

CREATE TABLE nps_responses (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    responded_at TEXT NOT NULL,
    score        BIGINT NOT NULL CHECK (score BETWEEN 0 AND 10),
    respondent   TEXT NOT NULL
);
CREATE INDEX nps_responses_by_account ON nps_responses (account_id, responded_at);

CREATE TABLE renewals (
    account_id TEXT PRIMARY KEY,
    renews_on  TEXT NOT NULL
);

-- One row per monitor check: the key is the account and the check's number (counted
-- across continue-as-new), so a retried write of the same check adds nothing.
CREATE TABLE health_snapshots (
    account_id  TEXT NOT NULL,
    cycle       BIGINT NOT NULL,
    checked_at  TEXT NOT NULL,
    score       BIGINT NULL,
    band        TEXT NULL CHECK (band IN ('healthy', 'watch', 'at-risk')),
    -- The teams whose view was missing, comma-separated; empty when whole.
    missing     TEXT NOT NULL,
    -- The whole snapshot, as the contract's JSON.
    snapshot    TEXT NOT NULL,
    PRIMARY KEY (account_id, cycle)
);
CREATE INDEX health_snapshots_by_time ON health_snapshots (account_id, checked_at);
