# Two commands matter: `make run` (the whole system with demo data) and `make test`.
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: run run-postgres test test-unit test-component test-cluster lint contracts screens bootstrap

bootstrap:
	@./deploy/local/bootstrap.sh

run: bootstrap
	$(UV) run kasa-dev run

run-postgres: bootstrap
	$(UV) run kasa-dev run --postgres

test: bootstrap
	$(UV) run pytest libs services tools tests

# Domain and use cases with fakes: no database, no HTTP, no broker.
test-unit: bootstrap
	$(UV) run pytest libs tools $(wildcard services/*/tests/unit)

# Each service's app on its SQLite database, through HTTP and its handlers.
test-component: bootstrap
	$(UV) run pytest $(wildcard services/*/tests/component)

# Two replicas of every service on a 3-node RabbitMQ cluster and a PostgreSQL of its own, with
# a broker node stopped, replicas killed and the database restarted during a sync.
test-cluster: bootstrap
	$(UV) run pytest tests/cluster

lint: bootstrap
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy libs/contracts/src libs/servicekit/src services/*/src deploy/local/src tools/ops/src

contracts: bootstrap
	$(UV) run kasa-contracts-snapshot

screens: bootstrap
	KASA_SCREENS=1 $(UV) run pytest tests/browser/test_first_day.py
