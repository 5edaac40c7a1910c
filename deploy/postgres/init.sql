-- Runs once, when the PostgreSQL volume is first initialised (docker-compose.postgres.yml).
-- One database and one role per team: each team's worker owns its schema and data.
-- `dashboard` may connect to both and read, never write.

CREATE ROLE gtm LOGIN PASSWORD 'gtm';
CREATE ROLE marketing LOGIN PASSWORD 'marketing';
CREATE ROLE dashboard LOGIN PASSWORD 'dashboard';

CREATE DATABASE gtm OWNER gtm;
CREATE DATABASE marketing OWNER marketing;
REVOKE ALL ON DATABASE gtm, marketing FROM PUBLIC;
GRANT CONNECT ON DATABASE gtm TO gtm, dashboard;
GRANT CONNECT ON DATABASE marketing TO marketing, dashboard;

-- Tables do not exist yet (each worker migrates its own database): grant reading
-- on whatever each owner creates.
\connect gtm
ALTER DEFAULT PRIVILEGES FOR ROLE gtm IN SCHEMA public GRANT SELECT ON TABLES TO dashboard;
GRANT USAGE ON SCHEMA public TO dashboard;
\connect marketing
ALTER DEFAULT PRIVILEGES FOR ROLE marketing IN SCHEMA public GRANT SELECT ON TABLES TO dashboard;
GRANT USAGE ON SCHEMA public TO dashboard;
