"""docker-compose.yml, the Dockerfile and the nginx gateway agree with the code they run.

Docker is not available where the tests run, so these check what can go stale without it:
every command a container runs names a real management command, Celery app or WSGI callable;
every environment variable set is one the settings read; every mounted file exists; every
dependency and upstream names a real service. The gateway config is checked by the real nginx
(`nginx -t`) and driven once for real against stand-in upstreams on 127.0.0.1.
"""

import http.client
import importlib
import json
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.helpers.problem_types import registered_problem_name
from tests.helpers.net import HttpResponse, free_port, http_request
from tests.helpers.processes import ServerProcess, child_env

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
EXPECTED_SERVICES = BACKING_SERVICES | set(APP_SERVICES) | {"gateway"}
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


def nginx_binary() -> str:
    path = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/usr/local/nginx/sbin")
    if not path:
        pytest.fail("nginx is not installed: `scripts/services up` installs it (Debian package nginx), "
                    "or run `apt-get install -y nginx`.", pytrace=False)
    return path


def write_gateway_config(directory: Path, upstreams: dict[str, str], listen: str) -> Path:
    """A top-level nginx.conf in `directory` around deploy/nginx/gateway.conf, as compose runs it but
    with the API hosts of upstreams.compose.conf replaced by `upstreams` (compose host -> address),
    listening on `listen`. Runs in the foreground, with every writable path inside `directory`."""
    pos_dir = directory / "pos"
    pos_dir.mkdir(parents=True, exist_ok=True)

    def replace(match: re.Match) -> str:
        host = match.group(1)
        assert host in upstreams, f"no local address given for upstream host {host}"
        return match.group(0).replace(f"{host}:{match.group(2)}", upstreams[host])

    (pos_dir / "upstreams.conf").write_text(SERVER_LINE.sub(replace, UPSTREAMS_COMPOSE.read_text()))
    (pos_dir / "listen.conf").write_text(f"listen {listen};\n")
    temp_paths = "\n".join(f"    {kind}_temp_path {directory / kind};"
                           for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = directory / "nginx.conf"
    conf.write_text(f"""daemon off;
worker_processes 1;
pid {directory / 'nginx.pid'};
error_log stderr notice;
events {{ worker_connections 256; }}
http {{
{temp_paths}
    include {GATEWAY_CONF};
}}
""")
    return conf


def test_nginx_accepts_the_gateway_config(tmp_path):
    nginx = nginx_binary()
    conf = write_gateway_config(tmp_path, {host: "127.0.0.1:9" for host in API_SERVICES}, "127.0.0.1:9")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", "stderr"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"nginx -t rejects the gateway config:\n{result.stderr}"
    assert "syntax is ok" in result.stderr


# --- the gateway, for real ------------------------------------------------------------------------
class _EchoHandler(BaseHTTPRequestHandler):
    """A stand-in API deployment: answers with what it received, and which context it is."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def _answer(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"context": self.server.context, "method": self.command, "path": self.path,
                           "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def stand_in_apis():
    """Echo servers for stores, catalog, sales, reporting and audit; customers has nothing listening
    (a dead upstream)."""
    servers, addresses = [], {}
    for context in ("stores", "catalog", "sales", "reporting", "audit"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
        server.context = context
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        addresses[f"api-{context}"] = f"127.0.0.1:{server.server_address[1]}"
    addresses["api-customers"] = f"127.0.0.1:{free_port()}"
    yield addresses
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def gateway(tmp_path, stand_in_apis):
    port = free_port()
    conf = write_gateway_config(tmp_path, stand_in_apis, f"127.0.0.1:{port}")
    cmd = [nginx_binary(), "-p", str(tmp_path), "-c", str(conf), "-e", "stderr"]
    with ServerProcess(child_env(), cmd=cmd, port=port, name="nginx-gateway", ready_path="/health/gateway",
                       start_timeout=15) as server:
        yield server


def assert_problem(response, status: int) -> dict:
    assert response.status == status, response.text
    assert response.content_type == "application/problem+json", response.content_type
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"], body
    registered_problem_name(body["type"])
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


ROUTES = [
    ("/api/v1/stores/S1/", "stores"),
    ("/api/v1/catalog/products/", "catalog"),
    ("/api/v1/sales/orders/", "sales"),
    ("/api/v1/reports/daily-sales/", "reporting"),
    ("/api/v1/reporting/daily-sales/", "reporting"),
    ("/api/v1/audit/events/", "audit"),
    ("/admin/audit/", "audit"),
    ("/api/v1/auth/token/", "sales"),
    ("/api/v1/", "sales"),
    ("/api/schema/", "sales"),
    ("/api/docs/", "sales"),
    ("/admin/login/", "sales"),
    ("/admin/auditlog/", "sales"),  # only /admin/audit/ itself goes to the audit deployment
    ("/static/admin/css/base.css", "sales"),
    ("/health/ready", "sales"),
]


def test_gateway_routes_each_path_to_its_context(gateway):
    for path, context in ROUTES:
        response = gateway.get(path)
        assert response.status == 200, (path, response.status, response.text)
        assert (response.json()["context"], response.json()["path"]) == (context, path)
    echoed = gateway.get("/health/catalog/ready").json()
    assert (echoed["context"], echoed["path"]) == ("catalog", "/health/ready")


def test_gateway_passes_request_id_host_and_its_own_forwarded_headers(gateway):
    response = gateway.get("/api/v1/sales/orders/", headers={
        "X-Request-ID": "till-7.abc", "Host": "localhost:8080",
        "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    headers = response.json()["headers"]
    assert headers["x-request-id"] == "till-7.abc"
    assert headers["host"] == "localhost:8080", "the port must survive (Django's CSRF origin check)"
    assert headers["x-forwarded-for"] == "127.0.0.1", "a client cannot claim another address"
    assert headers["x-forwarded-proto"] == "http", "a client cannot claim https"
    generated = gateway.get("/api/v1/sales/orders/", headers={"X-Request-ID": "bad id; with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", generated.json()["headers"]["x-request-id"])


def test_gateway_answers_problem_details_itself(gateway):
    health = gateway.get("/health/gateway")
    assert health.status == 200 and health.json()["status"] == "ok"

    down = http_request("POST", gateway.url("/api/v1/customers/"), json={}, headers={"X-Request-ID": "till-1.x"},
                        timeout=5)
    body = assert_problem(down, 503)  # an unreachable deployment is unavailable (issue #7)
    assert body["request_id"] == "till-1.x"
    assert down.headers["Retry-After"] == "1"

    assert_problem(gateway.get("/no/such/route"), 404)

    # A declared body over client_max_body_size (the app's 256 KiB) is refused before it is read.
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=5)
    try:
        connection.putrequest("POST", "/api/v1/sales/orders/")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(256 * 1024 + 1))
        connection.endheaders()
        raw = connection.getresponse()
        too_large = HttpResponse(raw.status, raw.headers, raw.read())
    finally:
        connection.close()
    assert "256 KiB" in assert_problem(too_large, 413)["detail"]  # the gateway's answer, not the app's


def test_gateway_rate_limits_per_client_with_problem_details(gateway):
    # 20 r/s with a burst of 40 per Authorization value: quick requests in a row hit the limit.
    statuses, limited = [], None
    while limited is None and len(statuses) < 400:
        response = gateway.get("/api/v1/catalog/products/", headers={"Authorization": "Bearer till-one"})
        statuses.append(response.status)
        if response.status == 429:
            limited = response
    assert limited is not None, f"no 429 after {len(statuses)} quick requests: {sorted(set(statuses))}"
    assert_problem(limited, 429)
    assert limited.headers["Retry-After"] == "1"
    assert statuses[0] == 200
    other = gateway.get("/api/v1/catalog/products/", headers={"Authorization": "Bearer till-two"})
    assert other.status == 200, "another client has a limit of its own"

