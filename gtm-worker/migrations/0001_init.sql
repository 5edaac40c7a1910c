-- GTM store: accounts and what sales knows about them, plus the coordinator's briefs.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Times are RFC 3339 UTC text
-- (they sort correctly as text), dates are YYYY-MM-DD, lists are JSON text.

CREATE TABLE accounts (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    domain             TEXT NOT NULL,
    industry           TEXT NOT NULL,
    employees          BIGINT NOT NULL CHECK (employees >= 0),
    annual_revenue_usd BIGINT NOT NULL CHECK (annual_revenue_usd >= 0),
    country            TEXT NOT NULL,
    region             TEXT NOT NULL,
    tech_stack         TEXT NOT NULL,
    owner              TEXT NOT NULL
);

CREATE TABLE contacts (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    title      TEXT NOT NULL,
    email      TEXT NOT NULL,
    role       TEXT NOT NULL
);
CREATE INDEX contacts_by_account ON contacts (account_id);

CREATE TABLE opportunities (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    stage      TEXT NOT NULL,
    amount_usd BIGINT NOT NULL CHECK (amount_usd >= 0),
    close_date TEXT NOT NULL
);
CREATE INDEX opportunities_by_account ON opportunities (account_id);

CREATE TABLE intent_signals (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    topic       TEXT NOT NULL,
    source      TEXT NOT NULL,
    strength    BIGINT NOT NULL CHECK (strength BETWEEN 1 AND 5),
    observed_at TEXT NOT NULL
);
CREATE INDEX intent_signals_by_account ON intent_signals (account_id, observed_at);

-- One row per coordinator run: the key is the run, so a retried or replayed write
-- of the same brief cannot add a second row.
CREATE TABLE coordinator_briefs (
    workflow_id TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    brief       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (workflow_id, run_id)
);
CREATE INDEX coordinator_briefs_by_account ON coordinator_briefs (account_id, created_at);
