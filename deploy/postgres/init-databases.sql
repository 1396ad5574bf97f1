-- Kasa's databases and roles. The postgres image runs this file once, as its superuser, when
-- the data volume is first initialised (psql 15 or later: it reads the passwords with \getenv).
--
-- Per service, two login roles, neither a superuser nor allowed to create databases or roles:
--   kasa_<service>_owner  owns the database and its schema, and runs the migrations
--                         (MIGRATION_DATABASE_URL);
--   kasa_<service>        what the service runs as (DATABASE_URL): it may connect to its own
--                         database only, and the migrations grant it row privileges there
--                         (on audit's trail and archive: INSERT and SELECT only).
-- The passwords come from the environment that compose.yaml requires; see docs/security.md.
-- A volume initialised before these roles existed keeps its old setup: follow the upgrade
-- steps in docs/security.md instead.
\set ON_ERROR_STOP on

\getenv gateway_password KASA_GATEWAY_DB_PASSWORD
\getenv gateway_owner_password KASA_GATEWAY_DB_OWNER_PASSWORD
\getenv integrations_password KASA_INTEGRATIONS_DB_PASSWORD
\getenv integrations_owner_password KASA_INTEGRATIONS_DB_OWNER_PASSWORD
\getenv ledger_password KASA_LEDGER_DB_PASSWORD
\getenv ledger_owner_password KASA_LEDGER_DB_OWNER_PASSWORD
\getenv invoicing_password KASA_INVOICING_DB_PASSWORD
\getenv invoicing_owner_password KASA_INVOICING_DB_OWNER_PASSWORD
\getenv audit_password KASA_AUDIT_DB_PASSWORD
\getenv audit_owner_password KASA_AUDIT_DB_OWNER_PASSWORD

-- Refuse short or well-known passwords before anything is created.
SELECT string_agg(name, ', ') AS kasa_weak_passwords
FROM (VALUES
    ('KASA_GATEWAY_DB_PASSWORD', :'gateway_password'),
    ('KASA_GATEWAY_DB_OWNER_PASSWORD', :'gateway_owner_password'),
    ('KASA_INTEGRATIONS_DB_PASSWORD', :'integrations_password'),
    ('KASA_INTEGRATIONS_DB_OWNER_PASSWORD', :'integrations_owner_password'),
    ('KASA_LEDGER_DB_PASSWORD', :'ledger_password'),
    ('KASA_LEDGER_DB_OWNER_PASSWORD', :'ledger_owner_password'),
    ('KASA_INVOICING_DB_PASSWORD', :'invoicing_password'),
    ('KASA_INVOICING_DB_OWNER_PASSWORD', :'invoicing_owner_password'),
    ('KASA_AUDIT_DB_PASSWORD', :'audit_password'),
    ('KASA_AUDIT_DB_OWNER_PASSWORD', :'audit_owner_password')
) AS given (name, value)
WHERE length(value) < 16 OR lower(value) IN ('kasa', 'postgres', 'password', 'secret', 'changeme')
\gset
\if :{?kasa_weak_passwords}
\warn 'Shorter than 16 characters or a known default: ' :kasa_weak_passwords
DO $$ BEGIN RAISE EXCEPTION 'Kasa database passwords are too weak; nothing was created'; END $$;
\endif

-- gateway
CREATE ROLE kasa_gateway_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'gateway_owner_password';
CREATE ROLE kasa_gateway LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'gateway_password';
CREATE DATABASE kasa_gateway OWNER kasa_gateway_owner;
REVOKE ALL ON DATABASE kasa_gateway FROM PUBLIC;
GRANT CONNECT ON DATABASE kasa_gateway TO kasa_gateway;

-- integrations
CREATE ROLE kasa_integrations_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'integrations_owner_password';
CREATE ROLE kasa_integrations LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'integrations_password';
CREATE DATABASE kasa_integrations OWNER kasa_integrations_owner;
REVOKE ALL ON DATABASE kasa_integrations FROM PUBLIC;
GRANT CONNECT ON DATABASE kasa_integrations TO kasa_integrations;

-- ledger
CREATE ROLE kasa_ledger_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'ledger_owner_password';
CREATE ROLE kasa_ledger LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'ledger_password';
CREATE DATABASE kasa_ledger OWNER kasa_ledger_owner;
REVOKE ALL ON DATABASE kasa_ledger FROM PUBLIC;
GRANT CONNECT ON DATABASE kasa_ledger TO kasa_ledger;

-- invoicing
CREATE ROLE kasa_invoicing_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'invoicing_owner_password';
CREATE ROLE kasa_invoicing LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'invoicing_password';
CREATE DATABASE kasa_invoicing OWNER kasa_invoicing_owner;
REVOKE ALL ON DATABASE kasa_invoicing FROM PUBLIC;
GRANT CONNECT ON DATABASE kasa_invoicing TO kasa_invoicing;

-- audit
CREATE ROLE kasa_audit_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'audit_owner_password';
CREATE ROLE kasa_audit LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'audit_password';
CREATE DATABASE kasa_audit OWNER kasa_audit_owner;
REVOKE ALL ON DATABASE kasa_audit FROM PUBLIC;
GRANT CONNECT ON DATABASE kasa_audit TO kasa_audit;

-- PostgreSQL lets every role connect to every database unless told otherwise: the service
-- roles have no business in the maintenance databases either.
REVOKE ALL ON DATABASE postgres FROM PUBLIC;
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
