#!/bin/sh
# Starts RabbitMQ as the image does, then gives each Kasa service its own broker user.
#
# A service may publish only its own events (topic permissions on kasa.events), read only its
# own queues and declare only what its topology needs; kasa-ops (the `kasa` command) may only
# replay into kasa.replay and read the archive stream and the parking queues. The regular
# expressions are those of kasa_servicekit.topology.broker_permissions (a test keeps them
# equal). Passwords come from the environment, which compose refuses to start without, and
# reach rabbitmqctl on standard input, never on a command line.
set -eu

rm -f /tmp/kasa-users-ready

user() {
  name=$1 password=$2
  if [ "${#password}" -lt 16 ]; then
    echo "kasa: the broker password of $name must be at least 16 characters" >&2
    exit 1
  fi
  if rabbitmqctl -q list_users | cut -f1 | grep -qx "$name"; then
    printf '%s' "$password" | rabbitmqctl -q change_password "$name"
  else
    printf '%s' "$password" | rabbitmqctl -q add_user "$name"
  fi
  rabbitmqctl -q set_user_tags "$name"
  rabbitmqctl -q set_permissions -p / "$name" "$3" "$4" "$5"
  rabbitmqctl -q set_topic_permissions -p / "$name" kasa.events "$6" "$7"
}

users() {
  user kasa-audit "$KASA_AUDIT_BROKER_PASSWORD" \
    '^(kasa\.events|kasa\.replay|kasa\.events\.archive|audit\..*)$' '^(kasa\.events|amq\.default|kasa\.events\.archive|audit\..*)$' '^(kasa\.events|kasa\.replay|audit\..*)$' \
    '^(audit)\.' '.*'
  user kasa-gateway "$KASA_GATEWAY_BROKER_PASSWORD" \
    '^(kasa\.events|kasa\.replay|kasa\.events\.archive|gateway\..*)$' '^(kasa\.events|amq\.default|kasa\.events\.archive|gateway\..*)$' '^(kasa\.events|kasa\.replay|gateway\..*)$' \
    '^(identity)\.' '.*'
  user kasa-integrations "$KASA_INTEGRATIONS_BROKER_PASSWORD" \
    '^(kasa\.events|kasa\.replay|kasa\.events\.archive|integrations\..*)$' '^(kasa\.events|amq\.default|kasa\.events\.archive|integrations\..*)$' '^(kasa\.events|kasa\.replay|integrations\..*)$' \
    '^(integrations)\.' '.*'
  user kasa-invoicing "$KASA_INVOICING_BROKER_PASSWORD" \
    '^(kasa\.events|kasa\.replay|kasa\.events\.archive|invoicing\..*)$' '^(kasa\.events|amq\.default|kasa\.events\.archive|invoicing\..*)$' '^(kasa\.events|kasa\.replay|invoicing\..*)$' \
    '^(invoicing)\.' '.*'
  user kasa-ledger "$KASA_LEDGER_BROKER_PASSWORD" \
    '^(kasa\.events|kasa\.replay|kasa\.events\.archive|ledger\..*)$' '^(kasa\.events|amq\.default|kasa\.events\.archive|ledger\..*)$' '^(kasa\.events|kasa\.replay|ledger\..*)$' \
    '^(ledger)\.' '.*'
  user kasa-ops "$KASA_OPS_BROKER_PASSWORD" \
    '^$' '^(kasa\.replay)$' '^(kasa\.events\.archive|.*\.parked)$' \
    '^$' '^$'
}

(
  until rabbitmq-diagnostics -q check_running >/dev/null 2>&1; do sleep 2; done
  users
  touch /tmp/kasa-users-ready
  echo "kasa: broker users ready"
) &

exec docker-entrypoint.sh rabbitmq-server
