from kasa_gateway.db.tables import metadata
from kasa_servicekit.leases import lease_metadata
from kasa_servicekit.mail_outbox import mail_metadata
from kasa_servicekit.migrations import run_env

run_env(metadata, mail_metadata, lease_metadata)
