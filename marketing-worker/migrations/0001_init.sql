-- Marketing store: ABM programs, who is enrolled in them, and campaigns.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Marketing knows accounts
-- only by their id; it shares no table with GTM.

CREATE TABLE abm_programs (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('active', 'paused', 'completed')),
    description     TEXT NOT NULL,
    starts_on       TEXT NOT NULL,
    ends_on         TEXT NOT NULL,
    touches_planned BIGINT NOT NULL CHECK (touches_planned >= 0)
);

CREATE TABLE program_enrolments (
    program_id        TEXT NOT NULL REFERENCES abm_programs (id),
    account_id        TEXT NOT NULL,
    touches_remaining BIGINT NOT NULL CHECK (touches_remaining >= 0),
    PRIMARY KEY (program_id, account_id)
);
CREATE INDEX program_enrolments_by_account ON program_enrolments (account_id);

CREATE TABLE campaigns (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    program_id  TEXT REFERENCES abm_programs (id),
    channel     TEXT NOT NULL,
    status      TEXT NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE campaign_targets (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    account_id  TEXT NOT NULL,
    position    BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, account_id)
);
