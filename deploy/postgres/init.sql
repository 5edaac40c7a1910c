-- Runs once, when the PostgreSQL volume is first initialised (docker-compose.postgres.yml).
-- One database and one role per team: each team's worker owns its schema and data.
-- `dashboard` may connect to both and read, never write.

CREATE ROLE gtm LOGIN PASSWORD 'gtm';
CREATE ROLE marketing LOGIN PASSWORD 'marketing';
CREATE ROLE customer_success LOGIN PASSWORD 'customer_success';
CREATE ROLE dashboard LOGIN PASSWORD 'dashboard';

CREATE DATABASE gtm OWNER gtm;
CREATE DATABASE marketing OWNER marketing;
CREATE DATABASE customer_success OWNER customer_success;
REVOKE ALL ON DATABASE gtm, marketing, customer_success FROM PUBLIC;
GRANT CONNECT ON DATABASE gtm TO gtm, dashboard;
GRANT CONNECT ON DATABASE marketing TO marketing, dashboard;
GRANT CONNECT ON DATABASE customer_success TO customer_success, dashboard;

-- Tables do not exist yet (each worker migrates its own database): grant reading
-- on whatever each owner creates.
\connect gtm
ALTER DEFAULT PRIVILEGES FOR ROLE gtm IN SCHEMA public GRANT SELECT ON TABLES TO dashboard;
GRANT USAGE ON SCHEMA public TO dashboard;
\connect marketing
ALTER DEFAULT PRIVILEGES FOR ROLE marketing IN SCHEMA public GRANT SELECT ON TABLES TO dashboard;
GRANT USAGE ON SCHEMA public TO dashboard;
\connect customer_success
ALTER DEFAULT PRIVILEGES FOR ROLE customer_success IN SCHEMA public GRANT SELECT ON TABLES TO dashboard;
GRANT USAGE ON SCHEMA public TO dashboard;
