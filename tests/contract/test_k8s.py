"""The Kubernetes manifests (deploy/k8s) agree with what the services require.

Each overlay is rendered with ``kubectl kustomize`` (no cluster is contacted). Built-in
objects are checked against the pinned Kubernetes version's OpenAPI schemas
(kubernetes-validate), the operators' objects against the CRD schemas vendored in
deploy/k8s/crds, and each service's settings class validates the environment its
Deployment would give it, as tests/contract/test_compose.py does for compose.yaml: ConfigMap
values are looked up, a ``secretKeyRef`` gets a stand-in value and ``$(VAR)`` is expanded as
the kubelet does.
"""

import importlib
import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from sqlalchemy.engine import make_url

from kasa_servicekit.settings import ServiceSettings
from kasa_servicekit.topology import broker_permissions

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "production")
CRDS = K8S / "crds"
KUBERNETES_VERSION = "1.32"
"""The version the built-in objects are validated against: the oldest one supported."""

PORTS = {"gateway": 8000, "integrations": 8101, "ledger": 8102, "invoicing": 8103, "audit": 8104}
KASA_SERVICES = tuple(PORTS)
WEB = "web"
WEB_PORT = 8105
SERVER = "server"
GATEWAY_SELECTOR = json.dumps(
    {"app.kubernetes.io/component": SERVER, "app.kubernetes.io/name": "gateway"}, sort_keys=True
)
KEDA_QUEUES = {
    "ledger": "ledger.transactions",
    "audit": "audit.all",
    "integrations": "integrations.sync_runs",
}
HPA_SERVICES = {"gateway", "web"}
SERVICE_UID = 10001
DEPLOYMENT_VARIABLES = {"AMQP_URL", "JWKS_URL", "KASA_ENV", "HOST", "PORT", "OPS_TOKEN"}
BUILT_IN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io"}

Manifest = dict[str, Any]


def stand_in(secret: str, key: str) -> str:
    """What a Secret holds for ``key``, here: long, random-looking, unique per Secret."""
    return f"{secret}-{key}-" + "7Qx2Lm9Vd4Rk8Tw3" * 3


@cache
def render(overlay: str) -> tuple[Manifest, ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl (v1.32 or later, with kustomize) is needed to render deploy/k8s")
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize {overlay} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def find(docs: tuple[Manifest, ...], kind: str, name: str | None = None) -> list[Manifest]:
    return [
        doc
        for doc in docs
        if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)
    ]


def one(docs: tuple[Manifest, ...], kind: str, name: str) -> Manifest:
    found = find(docs, kind, name)
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def group_version(doc: Manifest) -> tuple[str, str]:
    group, _, version = doc["apiVersion"].rpartition("/")
    return group, version


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def docs(overlay: str) -> tuple[Manifest, ...]:
    return render(overlay)


# --- schemas ------------------------------------------------------------------------------


def test_built_in_objects_match_the_kubernetes_schemas(docs: tuple[Manifest, ...]) -> None:
    checked = 0
    for doc in docs:
        if group_version(doc)[0] not in BUILT_IN_GROUPS:
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']} {doc['metadata']['name']}: {exc.message} at {exc.path}")
        checked += 1
    assert checked > 40


@cache
def crd_schema(group: str, kind: str, version: str) -> dict[str, Any]:
    path = CRDS / group / f"{kind}_{version}.json"
    assert path.exists(), f"no vendored schema for {group}/{version} {kind}: {path}"
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def unknown_fields(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Fields the schema does not declare. The API server prunes them silently, so a typo
    in a custom object would otherwise pass every check and do nothing."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    found: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None and key in properties:
                found += unknown_fields(item, properties[key], f"{path}.{key}")
            elif isinstance(extra, dict):
                found += unknown_fields(item, extra, f"{path}.{key}")
            elif properties is not None and path:  # the top level's metadata is the API's
                found.append(f"{path}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found += unknown_fields(item, schema["items"], f"{path}[{index}]")
    return found


def test_custom_objects_match_the_vendored_crd_schemas(docs: tuple[Manifest, ...]) -> None:
    kinds = set()
    for doc in docs:
        group, version = group_version(doc)
        if group in BUILT_IN_GROUPS:
            continue
        schema = crd_schema(group, doc["kind"], version)
        where = f"{doc['kind']} {doc['metadata']['name']}"
        errors = sorted(
            jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path)
        )
        assert not errors, f"{where}: {errors[0].message} at {list(errors[0].path)}"
        body = {key: value for key, value in doc.items() if key != "metadata"}
        assert not unknown_fields(body, schema, "$"), f"{where}: {unknown_fields(body, schema)}"
        kinds.add(doc["kind"])
    assert kinds >= {
        "RabbitmqCluster",
        "Vhost",
        "User",
        "Permission",
        "TopicPermission",
        "Cluster",
        "Database",
        "Pooler",
        "ScheduledBackup",
        "ScaledObject",
        "TriggerAuthentication",
        "ServiceMonitor",
        "PrometheusRule",
    }


def test_the_external_secret_example_matches_its_schema() -> None:
    for path in sorted((K8S / "examples").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            group, version = group_version(doc)
            schema = crd_schema(group, doc["kind"], version)
            jsonschema.validate(doc, schema)
            body = {key: value for key, value in doc.items() if key != "metadata"}
            assert not unknown_fields(body, schema, "$"), path.name


def test_every_vendored_schema_is_listed_in_the_readme() -> None:
    readme = (CRDS / "README.md").read_text()
    for path in CRDS.glob("*/*.json"):
        kind, version = path.stem.split("_")
        assert f"| {path.parent.name} | {kind} | {version} |" in readme, path


def test_the_examples_are_not_part_of_the_base() -> None:
    for overlay in OVERLAYS:
        assert not find(render(overlay), "ExternalSecret"), overlay


# --- each service's environment -----------------------------------------------------------

_REFERENCE = re.compile(r"\$\((\w+)\)")


def container_environment(docs: tuple[Manifest, ...], container: Manifest) -> dict[str, str]:
    """The environment the kubelet gives ``container``: envFrom ConfigMaps first, then env in
    order, each ``$(NAME)`` replaced by a variable defined before it."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert set(source) == {"configMapRef"}, "only ConfigMaps come in through envFrom"
        env.update(one(docs, "ConfigMap", source["configMapRef"]["name"])["data"])
    for item in container.get("env", []):
        if "value" in item:
            value = item["value"]
            for name in _REFERENCE.findall(value):
                assert name in env, f"{item['name']} uses $({name}) before it is defined"
            env[item["name"]] = _REFERENCE.sub(lambda m: env[m[1]], value)
            continue
        source = item["valueFrom"]
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            env[item["name"]] = stand_in(ref["name"], ref["key"])
        else:
            ref = source["configMapKeyRef"]
            env[item["name"]] = one(docs, "ConfigMap", ref["name"])["data"][ref["key"]]
    return env


def pod_spec(doc: Manifest) -> Manifest:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    spec: Manifest = doc["spec"]["template"]["spec"]
    return spec


def main_container(doc: Manifest) -> Manifest:
    containers = pod_spec(doc)["containers"]
    assert len(containers) == 1, doc["metadata"]["name"]
    container: Manifest = containers[0]
    return container


def settings_class(name: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"kasa_{name}.settings")
    (found,) = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value.__module__ == module.__name__
    ]
    return found


def mounted_files(doc: Manifest) -> dict[str, str]:
    """Files mounted from Secrets: path in the container -> "<secret>/<key>"."""
    volumes = {volume["name"]: volume for volume in pod_spec(doc).get("volumes", [])}
    files = {}
    for mount in main_container(doc).get("volumeMounts", []):
        secret = volumes[mount["name"]].get("secret")
        if secret:
            for item in secret["items"]:
                files[f"{mount['mountPath']}/{item['path']}"] = (
                    f"{secret['secretName']}/" + item["key"]
                )
    return files


def validated_settings(
    docs: tuple[Manifest, ...],
    doc: Manifest,
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[ServiceSettings, dict[str, str]]:
    settings = settings_class(name)
    env = container_environment(docs, main_container(doc))
    for path in mounted_files(doc):  # a file the kubelet mounts; only its existence matters
        local = tmp_path / path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text("a key file; only its existence is checked here\n")
        for variable, value in env.items():
            if value == path:
                env[variable] = str(local)
    for field in settings.model_fields.values():
        if isinstance(field.validation_alias, str):
            monkeypatch.delenv(field.validation_alias, raising=False)
            monkeypatch.delenv(field.validation_alias.lower(), raising=False)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    return settings(), env


def required_variables(name: str) -> set[str]:
    settings = settings_class(name)
    required = {
        str(field.validation_alias)
        for field in settings.model_fields.values()
        if field.is_required()
    } | DEPLOYMENT_VARIABLES
    if name == "gateway":
        required |= {"JWT_SIGNING_KEY_FILE", "OPERATOR_AMQP_URL", "PUBLIC_URL"}
        required |= {f"{service.upper()}_URL" for service in (*KASA_SERVICES, WEB)} - {
            "GATEWAY_URL"
        }
        required |= {f"{service.upper()}_OPS_URL" for service in KASA_SERVICES} - {
            "GATEWAY_OPS_URL"
        }
    if name == "integrations":
        required |= {"CREDENTIALS_KEY_FILE"}
    return required


@pytest.mark.parametrize("name", KASA_SERVICES)
def test_each_deployment_satisfies_its_settings(
    name: str,
    docs: tuple[Manifest, ...],
    overlay: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployment = one(docs, "Deployment", name)
    settings, env = validated_settings(docs, deployment, name, tmp_path, monkeypatch)
    missing = {variable for variable in required_variables(name) if not env.get(variable)}
    assert not missing, f"{name} lacks {sorted(missing)}"
    assert settings.env == ("production" if overlay == "production" else "development")
    assert settings.port == PORTS[name] and settings.host == "0.0.0.0"
    assert settings.ops_host == "0.0.0.0"
    # The runtime role only: the owner's password stays with the migration Job.
    assert "MIGRATION_DATABASE_URL" not in env
    assert main_container(deployment)["command"] == [f"kasa-{name}", "serve", "--no-migrate"]

    database = make_url(settings.database_url)
    assert (database.username, database.host, database.database) == (
        f"kasa_{name}",
        "postgres-pooler",
        f"kasa_{name}",
    )
    assert database.password == stand_in(f"kasa-{name}-db", "password")
    broker = make_url(settings.amqp_url.replace("amqp://", "postgresql://", 1))
    assert (broker.username, broker.host, broker.database) == (f"kasa-{name}", "rabbitmq", "kasa")
    assert broker.password == stand_in(f"kasa-{name}-broker", "password")


def test_production_refuses_what_development_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The production overlay really is production: without an ops token it cannot start."""
    docs = render("production")
    deployment = json.loads(json.dumps(one(docs, "Deployment", "ledger")))
    container = main_container(deployment)
    container["env"] = [item for item in container["env"] if item["name"] != "OPS_TOKEN"]
    with pytest.raises(ValueError, match="OPS_TOKEN must be set in production"):
        validated_settings(docs, deployment, "ledger", tmp_path, monkeypatch)


@pytest.mark.parametrize("name", KASA_SERVICES)
def test_each_migration_job_runs_as_the_schema_owner(
    name: str, docs: tuple[Manifest, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = one(docs, "Job", f"{name}-migrate")
    assert main_container(job)["command"] == [f"kasa-{name}", "migrate"]
    assert main_container(job)["image"] == main_container(one(docs, "Deployment", name))["image"]
    settings, _ = validated_settings(docs, job, name, tmp_path, monkeypatch)
    owner = make_url(settings.migration_url)
    assert owner.username == f"kasa_{name}_owner"
    assert owner.password == stand_in(f"kasa-{name}-db-owner", "password")
    assert make_url(settings.database_url).username == f"kasa_{name}"
    assert pod_spec(job)["restartPolicy"] == "Never"
    assert job["metadata"]["labels"]["kasa/rollout-stage"] == "migrations"


def test_rollout_stages_put_migrations_between_infrastructure_and_services(
    docs: tuple[Manifest, ...],
) -> None:
    for doc in docs:
        stage = doc["metadata"].get("labels", {}).get("kasa/rollout-stage")
        assert stage in {"infrastructure", "migrations", "services"}, doc["metadata"]["name"]
        if doc["kind"] == "Deployment":
            assert stage == "services"
        if doc["kind"] in {"RabbitmqCluster", "Cluster", "Pooler", "Database", "User"}:
            assert stage == "infrastructure"


def test_the_web_calls_the_gateway_only(
    docs: tuple[Manifest, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kasa_web.settings import WebSettings

    env = container_environment(docs, main_container(one(docs, "Deployment", WEB)))
    assert env["GATEWAY_URL"] == "http://gateway:8000"
    assert not any(name.endswith("DATABASE_URL") or name.endswith("AMQP_URL") for name in env)
    assert not any(
        "valueFrom" in item for item in main_container(one(docs, "Deployment", WEB)).get("env", [])
    )
    settings = WebSettings.model_validate(env)
    assert settings.port == WEB_PORT


def test_the_gateway_routes_to_every_service_by_its_service_name(
    docs: tuple[Manifest, ...],
) -> None:
    env = container_environment(docs, main_container(one(docs, "Deployment", "gateway")))
    for name, port in {**PORTS, WEB: WEB_PORT}.items():
        if name == "gateway":
            continue
        service = one(docs, "Service", name)
        service_ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
        assert (
            env[f"{name.upper()}_URL"] == f"http://{name}:{port}" and service_ports["http"] == port
        )
        if name != WEB:
            assert env[f"{name.upper()}_OPS_URL"] == f"http://{name}:{port + 1000}"
            assert service_ports["ops"] == port + 1000
    operator = make_url(env["OPERATOR_AMQP_URL"].replace("amqp://", "postgresql://", 1))
    assert (operator.username, operator.host) == ("kasa-ops", "rabbitmq")
    assert env["JWKS_URL"] == "http://gateway:8000/.well-known/jwks.json"
    files = mounted_files(one(docs, "Deployment", "gateway"))
    assert files[env["JWT_SIGNING_KEY_FILE"]] == "kasa-jwt-signing-key/jwt-signing-key.pem"
    files = mounted_files(one(docs, "Deployment", "integrations"))
    integrations = container_environment(
        docs, main_container(one(docs, "Deployment", "integrations"))
    )
    assert files[integrations["CREDENTIALS_KEY_FILE"]] == "kasa-credentials-keys/credentials-keys"


# --- secrets ------------------------------------------------------------------------------

PASSWORD_LIKE = re.compile(r"(?i)(password|passwd|secret|token|pass)\s*[:=]\s*\S{6,}")
URL_PASSWORD = re.compile(r"://[^/:@\s]+:(?!\$\()[^@\s]+@")


def strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in [str(key), *strings(value)]]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return []


def test_no_secret_value_is_in_the_manifests(docs: tuple[Manifest, ...]) -> None:
    for doc in docs:
        where = f"{doc['kind']} {doc['metadata']['name']}"
        assert doc["kind"] != "Secret" or not (doc.get("data") or doc.get("stringData")), where
        for value in strings(doc):
            assert not URL_PASSWORD.search(value), f"{where}: a password in {value!r}"
            assert not PASSWORD_LIKE.search(value), f"{where}: {value!r} looks like a secret"
        for container in (
            pod_spec(doc)["containers"] if doc["kind"] in {"Deployment", "Job", "CronJob"} else []
        ):
            for item in container.get("env", []):
                if re.search(r"PASSWORD|TOKEN|KEY$", item["name"]) and "value" in item:
                    pytest.fail(f"{where}: {item['name']} is set inline, not from a Secret")


# --- pods ---------------------------------------------------------------------------------


def workloads(docs: tuple[Manifest, ...]) -> list[Manifest]:
    return [doc for doc in docs if doc["kind"] in {"Deployment", "Job", "CronJob"}]


def test_every_pod_is_locked_down(docs: tuple[Manifest, ...]) -> None:
    for doc in workloads(docs):
        where = f"{doc['kind']} {doc['metadata']['name']}"
        spec = pod_spec(doc)
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["runAsUser"] == SERVICE_UID, where
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", where
        assert spec.get("automountServiceAccountToken") is False, where
        container = main_container(doc)
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, where
        assert security["allowPrivilegeEscalation"] is False, where
        assert security["capabilities"]["drop"] == ["ALL"], where
        assert "add" not in security["capabilities"], where
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
        assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{where}: no writable /tmp"
        resources = container["resources"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[kind]), f"{where}: {kind}"


def test_every_service_is_probed_scaled_and_protected(docs: tuple[Manifest, ...]) -> None:
    for name in (*KASA_SERVICES, WEB):
        deployment = one(docs, "Deployment", name)
        container = main_container(deployment)
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready", name
        assert container["livenessProbe"]["httpGet"]["port"] == "http", name
        selector = deployment["spec"]["selector"]["matchLabels"]
        budgets = [
            pdb
            for pdb in find(docs, "PodDisruptionBudget")
            if pdb["spec"]["selector"]["matchLabels"] == selector
        ]
        assert len(budgets) == 1, f"{name} needs one PodDisruptionBudget"
        service = one(docs, "Service", name)
        assert service["spec"]["type"] == "ClusterIP" and service["spec"]["selector"] == selector
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), name

        hpas = [
            h
            for h in find(docs, "HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"]["name"] == name
        ]
        scaled = [
            s for s in find(docs, "ScaledObject") if s["spec"]["scaleTargetRef"]["name"] == name
        ]
        assert len(hpas) == (name in HPA_SERVICES), name
        assert len(scaled) == (name in KEDA_QUEUES), name
        if hpas:
            (metric,) = hpas[0]["spec"]["metrics"]
            assert metric["resource"]["name"] == "cpu"
        if scaled:
            (trigger,) = scaled[0]["spec"]["triggers"]
            assert trigger["type"] == "rabbitmq"
            assert trigger["metadata"]["queueName"] == KEDA_QUEUES[name]
            assert "@" not in trigger["metadata"]["host"], "credentials come from the auth"
            auth = one(docs, "TriggerAuthentication", trigger["authenticationRef"]["name"])
            refs = {ref["parameter"]: ref["name"] for ref in auth["spec"]["secretTargetRef"]}
            assert refs == {"username": f"kasa-{name}-broker", "password": f"kasa-{name}-broker"}


def test_every_service_is_scraped_on_its_ops_port(docs: tuple[Manifest, ...]) -> None:
    for name in KASA_SERVICES:
        monitor = one(docs, "ServiceMonitor", name)
        service = one(docs, "Service", name)
        assert (
            monitor["spec"]["selector"]["matchLabels"].items()
            <= service["metadata"]["labels"].items()
        )
        (endpoint,) = monitor["spec"]["endpoints"]
        assert (endpoint["port"], endpoint["path"]) == ("ops", "/metrics")


def test_the_alerts_cover_what_an_operator_must_act_on(docs: tuple[Manifest, ...]) -> None:
    (rule,) = find(docs, "PrometheusRule")
    alerts = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    assert ".parked" in alerts["KasaParkedMessages"]["expr"]
    assert "rabbitmq_detailed_queue_messages_ready" in alerts["KasaConsumerLag"]["expr"]
    assert "kasa_outbox_backlog" in alerts["KasaOutboxBacklog"]["expr"]
    assert alerts["KasaOutboxBacklog"]["for"] == "10m"
    assert "kube_job_status_failed" in alerts["KasaAuditChainVerificationFailed"]["expr"]
    cronjob = one(docs, "CronJob", "audit-verify")
    assert main_container(cronjob)["command"][:3] == ["kasa", "audit", "verify"]
    assert cronjob["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 0


# --- network ------------------------------------------------------------------------------


def policies_for(docs: tuple[Manifest, ...], labels: dict[str, str]) -> list[Manifest]:
    return [
        policy
        for policy in find(docs, "NetworkPolicy")
        if policy["spec"]["podSelector"].get("matchLabels", {}).items() <= labels.items()
    ]


def test_everything_is_denied_unless_allowed(docs: tuple[Manifest, ...]) -> None:
    deny = one(docs, "NetworkPolicy", "default-deny")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_only_the_gateway_is_reachable_from_outside(docs: tuple[Manifest, ...]) -> None:
    ingresses = find(docs, "Ingress")
    assert [i["metadata"]["name"] for i in ingresses] == ["gateway"]
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingresses[0]["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"gateway"}
    for doc in workloads(docs):
        labels = (
            doc["spec"]["template"]["metadata"]["labels"]
            if doc["kind"] != "CronJob"
            else (doc["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"])
        )
        for policy in policies_for(docs, labels):
            for rule in policy["spec"].get("ingress", []):
                for peer in rule.get("from", []):
                    assert "ipBlock" not in peer, policy["metadata"]["name"]
                    if "namespaceSelector" in peer:
                        names = peer["namespaceSelector"]["matchLabels"].values()
                        allowed = {"monitoring"} | (
                            {"ingress-nginx"}
                            if labels["app.kubernetes.io/name"] == "gateway"
                            else set()
                        )
                        assert set(names) <= allowed, policy["metadata"]["name"]


def test_only_integrations_reaches_the_internet(docs: tuple[Manifest, ...]) -> None:
    for doc in workloads(docs):
        labels = (
            doc["spec"]["template"]["metadata"]["labels"]
            if doc["kind"] != "CronJob"
            else (doc["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"])
        )
        name, component = labels["app.kubernetes.io/name"], labels["app.kubernetes.io/component"]
        open_rules = [
            rule
            for policy in policies_for(docs, labels)
            for rule in policy["spec"].get("egress", [])
            if "to" not in rule or any("ipBlock" in peer for peer in rule["to"])
        ]
        if (name, component) == ("integrations", SERVER):
            (rule,) = open_rules
            (peer,) = rule["to"]
            assert peer["ipBlock"]["cidr"] == "0.0.0.0/0"
            assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"} <= set(
                peer["ipBlock"]["except"]
            )
            assert [p["port"] for p in rule["ports"]] == [443]
        else:
            assert not open_rules, f"{doc['kind']} {doc['metadata']['name']} reaches outside"


def test_services_reach_only_the_broker_the_pooler_and_the_gateway(
    docs: tuple[Manifest, ...],
) -> None:
    for name in ("ledger", "invoicing", "audit", "integrations"):
        (policy,) = [
            p
            for p in policies_for(
                docs, {"app.kubernetes.io/name": name, "app.kubernetes.io/component": SERVER}
            )
            if p["spec"]["podSelector"]
        ]
        peers = [
            (
                json.dumps(peer["podSelector"]["matchLabels"], sort_keys=True),
                [p["port"] for p in rule["ports"]],
            )
            for rule in policy["spec"]["egress"]
            for peer in rule.get("to", [])
            if "podSelector" in peer
        ]
        assert sorted(peers) == sorted(
            [
                ('{"app.kubernetes.io/name": "rabbitmq"}', [5672]),
                ('{"cnpg.io/poolerName": "postgres-pooler"}', [5432]),
                (
                    GATEWAY_SELECTOR,
                    [8000],
                ),
            ]
        ), name
    web = one(docs, "NetworkPolicy", WEB)
    assert [
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        for rule in web["spec"]["egress"]
        for peer in rule["to"]
    ] == ["gateway"]


# --- broker and database ------------------------------------------------------------------


def test_broker_users_have_exactly_the_topologys_permissions(docs: tuple[Manifest, ...]) -> None:
    expected = broker_permissions()
    users = {user["metadata"]["name"]: user for user in find(docs, "User")}
    assert set(users) == {p.user for p in expected.values()}
    for permissions in expected.values():
        user = users[permissions.user]
        assert user["spec"]["importCredentialsSecret"]["name"] == f"{permissions.user}-broker"
        assert not user["spec"].get("tags"), "no service user is a broker administrator"
        (permission,) = [
            p
            for p in find(docs, "Permission")
            if p["spec"]["userReference"]["name"] == permissions.user
        ]
        assert permission["spec"]["vhost"] == "kasa"
        assert permission["spec"]["permissions"] == {
            "configure": permissions.configure,
            "write": permissions.write,
            "read": permissions.read,
        }
        (topic,) = [
            p
            for p in find(docs, "TopicPermission")
            if p["spec"]["userReference"]["name"] == permissions.user
        ]
        assert topic["spec"]["permissions"] == {
            "exchange": "kasa.events",
            "write": permissions.topic_write,
            "read": permissions.topic_read,
        }
    assert one(docs, "Vhost", "kasa")["spec"]["name"] == "kasa"


def test_each_service_owns_its_database_with_its_own_roles(
    docs: tuple[Manifest, ...], overlay: str
) -> None:
    (cluster,) = find(docs, "Cluster")
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    databases = {db["spec"]["name"]: db for db in find(docs, "Database")}
    assert set(databases) == {f"kasa_{name}" for name in KASA_SERVICES}
    for name in KASA_SERVICES:
        for role, secret in (
            (f"kasa_{name}", f"kasa-{name}-db"),
            (f"kasa_{name}_owner", f"kasa-{name}-db-owner"),
        ):
            spec = roles[role]
            assert spec["passwordSecret"]["name"] == secret
            assert spec["login"] is True
            assert not any(
                spec.get(flag)
                for flag in ("superuser", "createdb", "createrole", "replication", "bypassrls")
            )
        database = databases[f"kasa_{name}"]
        assert database["spec"]["owner"] == f"kasa_{name}_owner"
        assert database["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
        assert database["spec"]["databaseReclaimPolicy"] == "retain"
    assert cluster["spec"]["enableSuperuserAccess"] is False
    store = cluster["spec"]["backup"]["barmanObjectStore"]
    assert "set-by-the-overlay" not in store["destinationPath"], overlay
    (pooler,) = find(docs, "Pooler")
    assert pooler["metadata"]["name"] == "postgres-pooler" and pooler["spec"]["type"] == "rw"
    (backup,) = find(docs, "ScheduledBackup")
    assert backup["spec"]["cluster"]["name"] == cluster["metadata"]["name"]


def test_production_is_highly_available() -> None:
    docs = render("production")
    assert one(docs, "RabbitmqCluster", "rabbitmq")["spec"]["replicas"] == 3
    assert one(docs, "Cluster", "postgres")["spec"]["instances"] == 3
    for name in (*KASA_SERVICES, WEB):
        assert one(docs, "Deployment", name)["spec"]["replicas"] >= 2, name
        image = main_container(one(docs, "Deployment", name))["image"]
        assert not image.endswith(":local") and ":" in image, name
    (common,) = [
        c for c in find(docs, "ConfigMap") if c["metadata"]["name"].startswith("kasa-common")
    ]
    assert common["data"]["KASA_ENV"] == "production"
    assert common["data"]["PUBLIC_URL"].startswith("https://")
