"""docker-compose.yml, the Dockerfile and the nginx gateway agree with the code they run.

Docker is not available where the tests run, so these check what can go stale without it:
every command a container runs names a real management command, Celery app or WSGI callable;
every environment variable set is one the settings read; every mounted file exists; every
dependency and upstream names a real service. The gateway config itself is checked by the real
nginx in tests/e2e/test_gateway_config.py.
"""

import importlib
import json
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings


pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
SETTINGS_FILE = REPO_ROOT / "pos_project" / "settings.py"
NGINX_DIR = REPO_ROOT / "deploy" / "nginx"
GATEWAY_CONF = NGINX_DIR / "gateway.conf"
UPSTREAMS_COMPOSE = NGINX_DIR / "upstreams.compose.conf"

CONTEXTS = ("stores", "catalog", "customers", "sales", "reporting", "audit")
BACKING_SERVICES = {"postgres", "redis", "kafka", "ferretdb"}
API_SERVICES = {f"api-{context}": context for context in CONTEXTS}
WORKER_SERVICES = {f"worker-{context}": context for context in CONTEXTS}
APP_SERVICES = sorted({"migrate", "beat", *API_SERVICES, *WORKER_SERVICES})
EXPECTED_SERVICES = BACKING_SERVICES | set(APP_SERVICES) | {"gateway", "prometheus"}
API_PORT = 8000
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
SERVER_LINE = re.compile(r"(?<![\w-])server\s+([A-Za-z0-9._-]+):(\d+)\b")


# --- loading --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose() -> dict:
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE} is missing"
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def service_env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the "NAME=value" list form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {name: "" if value is None else str(value) for name, value in env.items()}


def depends_on(service: dict) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def bind_mounts(service: dict) -> list[tuple[str, str]]:
    """(source, target) of each volume that comes from the host (a path, not a named volume)."""
    mounts = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                mounts.append((volume["source"], volume["target"]))
            continue
        source, _, rest = volume.partition(":")
        if source.startswith((".", "/", "~")):
            mounts.append((source, rest.split(":")[0]))
    return mounts


def dockerfile_instruction(name: str) -> str:
    """The (last) instruction `name` of the Dockerfile, continuation lines joined."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    text = "\n".join(lines).replace("\\\n", " ")
    found = [line.split(None, 1)[1] for line in text.splitlines() if line.upper().startswith(name + " ")]
    assert found, f"the Dockerfile has no {name} instruction"
    return found[-1]


# --- services and images --------------------------------------------------------------------------
def test_compose_file_uses_the_compose_spec_and_has_every_service(compose, services):
    assert "version" not in compose, "the Compose Specification has no top-level `version:` key"
    missing = EXPECTED_SERVICES - set(services)
    unexpected = set(services) - EXPECTED_SERVICES
    assert not missing, f"services missing from docker-compose.yml: {sorted(missing)}"
    assert not unexpected, f"services this test does not know (add them here): {sorted(unexpected)}"


def test_app_services_run_the_image_built_from_this_project(services):
    images = set()
    for name in APP_SERVICES:
        service = services[name]
        build = service.get("build")
        assert build, f"{name} has no build: it must run the project's image"
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        assert (REPO_ROOT / context).resolve() == REPO_ROOT, f"{name} builds from {context}, not the project root"
        assert (REPO_ROOT / context / dockerfile).is_file(), f"{name}: {dockerfile} does not exist"
        images.add(service.get("image"))
    assert len(images) == 1 and None not in images, (
        f"every app service must name the same image (so it is built once), got {images}")


def test_long_running_services_restart_and_migrate_runs_once(services):
    for name, service in services.items():
        if name == "migrate":
            assert str(service.get("restart", "no")) == "no", "migrate is a one-shot job"
        else:
            assert service.get("restart") == "unless-stopped", f"{name} should restart: unless-stopped"


# --- what each container runs ---------------------------------------------------------------------
def check_gunicorn(argv: list[str]) -> None:
    from gunicorn.config import Config

    try:
        options = Config().parser().parse_args(argv[1:])
    except SystemExit as exc:
        pytest.fail(f"gunicorn does not accept {argv}: exit {exc.code}")
    assert len(options.args) == 1, f"gunicorn needs exactly one APP target: {argv}"
    module_name, _, attribute = options.args[0].partition(":")
    application = getattr(importlib.import_module(module_name), attribute or "application")
    assert callable(application), f"{options.args[0]} is not a WSGI callable"
    assert options.bind == [f"0.0.0.0:{API_PORT}"], f"the API must listen on 0.0.0.0:{API_PORT}: {argv}"


def check_celery(argv: list[str]) -> None:
    from celery import Celery
    from celery.app.utils import find_app

    assert "-A" in argv, f"celery without -A: {argv}"
    app_name = argv[argv.index("-A") + 1]
    app = find_app(app_name)  # the resolution `celery -A` itself uses
    assert isinstance(app, Celery), f"celery -A {app_name} finds {app!r}, not a Celery app"
    assert app is importlib.import_module("pos_project").celery_app, "not the project's Celery app"
    subcommand = argv[argv.index("-A") + 2]
    assert subcommand in {"worker", "beat"}, f"unexpected celery subcommand {subcommand!r}"
    if subcommand == "worker":  # every option is Celery's own or one the project adds (bootstep)
        from celery.bin.worker import worker as worker_command

        known = {name for param in [*worker_command.params, *app.user_options["worker"]] for name in param.opts}
        given = [arg for arg in argv[argv.index("worker") + 1:] if arg.startswith("-")]
        assert set(given) <= known, f"unknown celery worker options {sorted(set(given) - known)}"


def check_manage_py(argv: list[str]) -> str:
    from django.core.management import get_commands, load_command_class

    name = argv[2]
    commands = get_commands()
    assert name in commands, f"`manage.py {name}` is not a management command (known: {sorted(commands)})"
    parser = load_command_class(commands[name], name).create_parser("manage.py", name)
    parser.parse_args(argv[3:])  # an unknown option raises CommandError
    return name


def check_command(argv: list[str]) -> None:
    if argv[:2] == ["python", "manage.py"]:
        check_manage_py(argv)
    elif argv[0] == "celery":
        check_celery(argv)
    elif argv[0] == "gunicorn":
        check_gunicorn(argv)
    else:
        pytest.fail(f"a command this test does not know how to check: {argv}")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_command_names_real_code(services, name):
    command = services[name].get("command")
    assert isinstance(command, list) and command, f"{name}: command must be an exec-form list, got {command!r}"
    check_command([str(part) for part in command])


def test_each_service_runs_the_expected_process(services):
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    for name in API_SERVICES:
        assert services[name]["command"][0] == "gunicorn", name
    assert services["beat"]["command"][:4] == ["celery", "-A", "pos_project", "beat"]
    from infrastructure.worker.bootstep import parse_contexts

    # Each context deploys as its API plus one Celery worker hosting its relay and its consumer.
    for name, context in WORKER_SERVICES.items():
        command = services[name]["command"]
        assert command[:4] == ["celery", "-A", "pos_project", "worker"], name
        options = dict(zip(command[4::2], command[5::2], strict=False))
        relay = parse_contexts(command[command.index("--relay") + 1], [])
        consume = parse_contexts(command[command.index("--consume") + 1], [])
        assert relay in ([context], []) and consume == [context], (name, options)  # audit publishes nothing


def test_dockerfile_default_command_and_healthcheck_are_real():
    from django.urls import resolve

    cmd = json.loads(dockerfile_instruction("CMD"))
    check_gunicorn(cmd)
    healthcheck = dockerfile_instruction("HEALTHCHECK")
    probe = json.loads(healthcheck[healthcheck.index("CMD") + 3:])  # exec form: no shell, no curl in slim
    assert probe[0] == "python", probe
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/[^'\" ]*)", healthcheck)
    assert match, f"the HEALTHCHECK calls no local URL: {healthcheck}"
    assert int(match.group(1)) == API_PORT
    resolve(match.group(2))  # Resolver404 if the health URL does not exist
    assert "collectstatic" in DOCKERFILE.read_text()
    assert re.search(r"^USER\s+(?!root\b)\S+", DOCKERFILE.read_text(), re.MULTILINE), "the image must not run as root"


# --- contexts and environment ---------------------------------------------------------------------
def test_contexts_are_the_known_ones_and_each_has_its_deployment(services):
    assert tuple(settings.ALL_CONTEXTS) == CONTEXTS, "settings.ALL_CONTEXTS changed: update this test"
    for name in APP_SERVICES:
        value = service_env(services[name]).get("POS_CONTEXTS")
        if value is not None:
            contexts = [part.strip() for part in value.split(",") if part.strip()]
            unknown = set(contexts) - set(settings.ALL_CONTEXTS)
            assert contexts and not unknown, f"{name}: POS_CONTEXTS={value!r} names unknown contexts {unknown}"
    for name, context in API_SERVICES.items():
        assert service_env(services[name]).get("POS_CONTEXTS") == context, f"{name} must serve only {context}"


def test_every_app_environment_variable_is_read_by_the_settings(services):
    settings_text = SETTINGS_FILE.read_text()

    def read_by_settings(name: str) -> bool:
        if f'"{name}"' in settings_text:
            return True
        # DATABASE_URL_<CONTEXT> is read in a loop: f"DATABASE_URL_{_context.upper()}"
        context = name.removeprefix("DATABASE_URL_").lower()
        return name.startswith("DATABASE_URL_") and context in CONTEXTS and 'f"DATABASE_URL_{' in settings_text

    for name in APP_SERVICES:
        unread = sorted(var for var in service_env(services[name]) if not read_by_settings(var))
        assert not unread, f"{name} sets variables pos_project/settings.py never reads: {unread}"
    dockerfile_env = re.findall(r"\b((?:POS|DJANGO)_[A-Z_]+)=", dockerfile_instruction("ENV"))
    assert dockerfile_env and all(read_by_settings(var) for var in dockerfile_env), dockerfile_env


def test_app_environment_is_full_mode_on_the_compose_services(services):
    env = service_env(services["api-sales"])
    assert env["DATABASE_URL"] == "postgres://pos:pos@postgres:5432/pos"
    assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?"), "compose must refuse to start without a key"
    assert env["DJANGO_SECURE_COOKIES"] == "false"
    # Behind the gateway: without this every client is the gateway's address to the throttles and
    # the login lockout, and one client's bad logins lock out everyone (issue 23).
    assert all(service_env(services[name]).get("POS_NUM_PROXIES") == "1" for name in API_SERVICES)
    postgres_env = service_env(services["postgres"])
    assert (postgres_env["POSTGRES_USER"], postgres_env["POSTGRES_PASSWORD"], postgres_env["POSTGRES_DB"]) == (
        "pos", "pos", "pos")


# --- files, dependencies, health ------------------------------------------------------------------
def test_every_file_mounted_from_the_repository_exists(services):
    for name, service in services.items():
        for source, target in bind_mounts(service):
            assert (REPO_ROOT / source).exists(), f"{name} mounts {source} (to {target}), which does not exist"


def test_depends_on_names_real_services_with_valid_conditions(services):
    for name, service in services.items():
        for target, condition in depends_on(service).items():
            assert target in services, f"{name} depends on {target!r}, which is not a service"
            assert condition in DEPENDS_ON_CONDITIONS, f"{name} -> {target}: unknown condition {condition!r}"
            if condition == "service_healthy":
                healthcheck = services[target].get("healthcheck") or {}
                has_check = ("test" in healthcheck and healthcheck["test"] not in (["NONE"], "NONE")) or (
                    not healthcheck.get("disable") and services[target].get("build"))  # the image's HEALTHCHECK
                assert has_check, f"{name} waits for {target} to be healthy, but {target} has no healthcheck"
            if condition == "service_completed_successfully":
                assert str(services[target].get("restart", "no")) == "no", f"{target} must be a one-shot job"
    for name in APP_SERVICES:
        if name != "migrate":
            assert depends_on(services[name]).get("migrate") == "service_completed_successfully", name


# --- gateway --------------------------------------------------------------------------------------
def gateway_includes() -> list[str]:
    return re.findall(r"^\s*include\s+([^;\s]+)\s*;", GATEWAY_CONF.read_text(), re.MULTILINE)


def test_gateway_mounts_its_config_and_every_include(services):
    gateway = services["gateway"]
    assert gateway["image"].startswith("nginx:")
    mounts = {target: (REPO_ROOT / source).resolve() for source, target in bind_mounts(gateway)}
    assert mounts.get("/etc/nginx/conf.d/default.conf") == GATEWAY_CONF, (
        "gateway.conf must replace the image's default server (/etc/nginx/conf.d/default.conf)")
    assert GATEWAY_CONF.is_file()
    includes = gateway_includes()
    assert "pos/upstreams.conf" in includes and "pos/listen.conf" in includes, includes
    for include in includes:
        # Relative includes resolve against the directory of /etc/nginx/nginx.conf.
        assert f"/etc/nginx/{include}" in mounts, f"gateway.conf includes {include}, which compose does not mount"
    assert mounts["/etc/nginx/pos/upstreams.conf"] == UPSTREAMS_COMPOSE


def test_gateway_upstreams_are_the_api_services(services):
    servers = SERVER_LINE.findall(UPSTREAMS_COMPOSE.read_text())
    assert servers, f"no `server host:port` line in {UPSTREAMS_COMPOSE}"
    for host, port in servers:
        assert host in services, f"upstream host {host!r} is not a compose service"
        assert host in API_SERVICES, f"upstream host {host!r} is not an API deployment"
        assert int(port) == API_PORT, f"{host}:{port}: gunicorn listens on {API_PORT}"
    assert {host for host, _ in servers} == set(API_SERVICES), "every API deployment needs its upstream"
    defined = set(re.findall(r"^\s*upstream\s+(\S+)\s*\{", UPSTREAMS_COMPOSE.read_text(), re.MULTILINE))
    used = set(re.findall(r"proxy_pass\s+http://([A-Za-z0-9_]+)[;/]", GATEWAY_CONF.read_text()))
    assert used and used <= defined, f"gateway.conf proxies to undefined upstreams: {sorted(used - defined)}"
    assert {f"pos_{context}" for context in CONTEXTS} <= defined
    for name in API_SERVICES:
        assert depends_on(services["gateway"]).get(name) == "service_healthy", f"gateway must wait for {name}"


# --- metrics --------------------------------------------------------------------------------------
def test_prometheus_scrapes_every_api_and_worker_with_its_rules_mounted(services):
    prometheus = services["prometheus"]
    mounts = {target: (REPO_ROOT / source).resolve() for source, target in bind_mounts(prometheus)}
    config_path = mounts["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load(config_path.read_text())
    assert [mounts[f"/etc/prometheus/{Path(rule).name}"].is_file() for rule in config["rule_files"]] == [True]
    targets = {job["job_name"]: {t for group in job["static_configs"] for t in group["targets"]}
               for job in config["scrape_configs"]}
    assert targets["pos-api"] == {f"{name}:8000" for name in API_SERVICES}
    assert targets["pos-worker"] == {f"{name}:{services[name]['environment']['POS_WORKER_METRICS_PORT']}"
                                     for name in WORKER_SERVICES}
    api_job = next(job for job in config["scrape_configs"] if job["job_name"] == "pos-api")
    secret = api_job["authorization"]["credentials_file"]
    assert secret == f"/run/secrets/{prometheus['secrets'][0]}"
    for name in API_SERVICES:  # gunicorn's workers share a fresh directory for their counters
        env = services[name]["environment"]
        assert env["PROMETHEUS_MULTIPROC_DIR"] in services[name]["tmpfs"] and env["POS_METRICS_TOKEN"]
