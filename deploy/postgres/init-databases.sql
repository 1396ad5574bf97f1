-- One database per service (each service owns its data), all owned by the kasa role.
-- The postgres image runs this once, when the data volume is first initialised.
CREATE DATABASE kasa_gateway OWNER kasa;
CREATE DATABASE kasa_integrations OWNER kasa;
CREATE DATABASE kasa_ledger OWNER kasa;
CREATE DATABASE kasa_invoicing OWNER kasa;
CREATE DATABASE kasa_audit OWNER kasa;
