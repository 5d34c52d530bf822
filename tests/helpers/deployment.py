"""A per-context deployment on the real services, as docker-compose.yml runs it but on 127.0.0.1:

- fresh PostgreSQL databases: `default` (users, groups, and every context without a database of
  its own) plus one of its own for each context in `own_databases` (`DATABASE_URL_<CONTEXT>`),
  each migrated (`manage.py migrate --database <alias>`);
- one gunicorn per context with `POS_CONTEXTS=<context>`, and one Celery worker per context that
  hosts the context's outbox relay and Kafka consumer (infrastructure/worker/bootstep.py); beat;
- nginx from deploy/nginx/gateway.conf in front, with the upstreams pointed at those gunicorns.

Every process shares one environment except `POS_CONTEXTS`. Fresh Kafka topics (`KAFKA_TOPIC_PREFIX`), a
Redis database of its own (broker and cache), and the databases are dropped at the end; every
process is stopped by `stop()` (SIGTERM to its group, then SIGKILL).

    with Deployment(services_env) as deployment:
        deployment.gateway.get("/api/v1/catalog/products/")
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .net import HttpResponse, free_port, http_get, http_request
from .processes import PORT_ATTEMPTS, REPO_ROOT, ManagedProcess, ProcessExited, ServerProcess, child_env, venv_bin
from .waiting import wait_until

CONTEXTS = ("stores", "catalog", "customers", "sales", "reporting", "audit")
NGINX_DIR = REPO_ROOT / "deploy" / "nginx"
GATEWAY_CONF = NGINX_DIR / "gateway.conf"
UPSTREAMS_COMPOSE = NGINX_DIR / "upstreams.compose.conf"
SERVER_LINE = re.compile(r"(?<![\w-])server\s+([A-Za-z0-9._-]+):(\d+)\b")
PASSWORD = "gateway-e2e-pass-7319"
# Users made once in the default database; every context's process authenticates them (JWTs are
# signed with the shared secret and the users table lives in `default`).
USERS = {"gw-cashier": "cashier", "gw-manager": "manager", "gw-admin": None}  # gw-admin: a superuser
# The Redis database numbers of this deployment (broker, and cache = broker + 1): not those of the
# test process; each xdist worker has its own (tests/helpers/worker_env.py).
REDIS_DB = int(os.environ.get("POS_TEST_DEPLOYMENT_REDIS_DB", "6"))

# Drop what a test run sets for the test process itself (pytest's test database, the lab app).
DROPPED_ENV = ("DATABASE_TEST_NAME", "POS_EXTRA_APPS", "POS_CONTEXTS",
               *(f"DATABASE_URL_{c.upper()}" for c in CONTEXTS))


def nginx_binary() -> str:
    path = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/usr/local/nginx/sbin")
    if not path:
        raise AssertionError("nginx is not installed: `scripts/services up` installs it (Debian package nginx)")
    return path


def write_gateway_config(directory: Path, upstreams: Mapping[str, str], listen: str, *,
                         listen_conf: str | None = None, trusted_proxies: tuple[str, ...] = ()) -> Path:
    """A top-level nginx.conf in `directory` that includes deploy/nginx/gateway.conf as it is, with
    pos/upstreams.conf made from upstreams.compose.conf (compose host -> local address),
    pos/listen.conf (`listen <listen>;`, or `listen_conf` as it is) and pos/trusted_proxies.conf
    (`set_real_ip_from` each of `trusted_proxies`); foreground, every writable path inside `directory`."""
    pos_dir = directory / "pos"
    pos_dir.mkdir(parents=True, exist_ok=True)

    def replace(match: re.Match) -> str:
        host = match.group(1)
        if host not in upstreams:
            raise AssertionError(f"no local address given for upstream host {host}")
        return match.group(0).replace(f"{host}:{match.group(2)}", upstreams[host])

    (pos_dir / "upstreams.conf").write_text(SERVER_LINE.sub(replace, UPSTREAMS_COMPOSE.read_text()))
    (pos_dir / "listen.conf").write_text(listen_conf if listen_conf is not None else f"listen {listen};\n")
    (pos_dir / "trusted_proxies.conf").write_text("".join(f"set_real_ip_from {a};\n" for a in trusted_proxies))
    temp_paths = "\n".join(f"    {kind}_temp_path {directory / kind};"
                           for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = directory / "nginx.conf"
    conf.write_text(f"""daemon off;
worker_processes 1;
pid {directory / 'nginx.pid'};
error_log stderr notice;
events {{ worker_connections 512; }}
http {{
{temp_paths}
    include {GATEWAY_CONF};
}}
""")
    return conf


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _with_redis_db(url: str, number: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{number}"))


class Deployment:
    """The per-context deployment (see the module docstring). `start()` / `stop()`, or `with`."""

    def __init__(self, services_env: Mapping[str, str], *, own_databases=("catalog", "sales"),
                 gunicorn_workers: int | Mapping[str, int] = 1, settings_module: str = "tests.settings"):
        self.run_id = uuid.uuid4().hex[:10]
        self.admin_url = services_env["DATABASE_URL"]
        self.databases = {"default": f"pos_gw_{self.run_id}"}
        self.databases.update({c: f"pos_gw_{self.run_id}_{c}" for c in own_databases})
        # Under the run's prefix, so the run's cleanup deletes these topics too (tests/conftest.py).
        self.topic_prefix = f"{os.environ.get('KAFKA_TOPIC_PREFIX') or 'pos-test'}.gw-{self.run_id}"
        # One number for every context's gunicorn, or {context: workers} (1 for a context not named).
        self.gunicorn_workers = (dict(gunicorn_workers) if isinstance(gunicorn_workers, Mapping)
                                 else dict.fromkeys(CONTEXTS, gunicorn_workers))
        self.dir = Path(tempfile.mkdtemp(prefix=f"pos-gw-{self.run_id}-"))
        env = {
            "POS_MODE": "full",
            # By default the shipped settings with the tests' fast password hasher (tests/settings.py).
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DATABASE_URL": _with_database(self.admin_url, self.databases["default"]),
            "CELERY_BROKER_URL": _with_redis_db(services_env["CELERY_BROKER_URL"], REDIS_DB),
            "KAFKA_BOOTSTRAP_SERVERS": services_env["KAFKA_BOOTSTRAP_SERVERS"],
            "KAFKA_TOPIC_PREFIX": self.topic_prefix,
            # The audit archive in FerretDB, in a database of this deployment's own.
            "MONGODB_URL": services_env["MONGODB_URL"],
            "MONGODB_DATABASE": f"pos_gw_{self.run_id}",
            "DJANGO_SECRET_KEY": services_env["DJANGO_SECRET_KEY"],
            "DJANGO_SECURE_COOKIES": "false",
            "POS_NUM_PROXIES": "1",          # behind the gateway: it sets X-Forwarded-For
            "POS_RELAY_SWEEP_SECONDS": "1",
            "POS_DATA_DIR": str(self.dir / "data"),
            "PYTHONUNBUFFERED": "1",
        }
        for context in own_databases:
            env[f"DATABASE_URL_{context.upper()}"] = _with_database(self.admin_url, self.databases[context])
        self.env = child_env(env, drop=DROPPED_ENV)
        self.apis: dict[str, ServerProcess] = {}
        self.workers: dict[str, ManagedProcess] = {}
        self.gateway: ServerProcess | None = None
        self._started: list[ManagedProcess] = []
        self._databases_created: list[str] = []

    # -- environment -----------------------------------------------------------------------------
    def context_env(self, context: str) -> dict[str, str]:
        return {**self.env, "POS_CONTEXTS": context}

    def aliases(self) -> list[str]:
        return list(self.databases)

    # -- databases -------------------------------------------------------------------------------
    def _admin_sql(self, statement: str) -> None:
        import psycopg

        parts = urlsplit(self.admin_url)
        with psycopg.connect(host=parts.hostname, port=parts.port, user=parts.username, password=parts.password,
                             dbname=parts.path.lstrip("/"), autocommit=True, connect_timeout=10) as conn:
            conn.execute(statement)

    def query(self, alias: str, sql: str, params=()) -> list[tuple]:
        """Rows of `sql` on one of the deployment's databases ("default", "catalog", ...)."""
        import psycopg

        url = urlsplit(self.env["DATABASE_URL" if alias == "default" else f"DATABASE_URL_{alias.upper()}"])
        with psycopg.connect(host=url.hostname, port=url.port, user=url.username, password=url.password,
                             dbname=url.path.lstrip("/"), connect_timeout=10) as conn:
            return conn.execute(sql, params).fetchall()

    def create_databases(self) -> None:
        for name in self.databases.values():
            self._admin_sql(f'CREATE DATABASE "{name}"')
            self._databases_created.append(name)

    def drop_databases(self) -> None:
        while self._databases_created:
            name = self._databases_created.pop()
            self._admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        from pymongo import MongoClient

        with MongoClient(self.env["MONGODB_URL"], serverSelectionTimeoutMS=5000) as mongo:
            mongo.drop_database(self.env["MONGODB_DATABASE"])

    def manage(self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120.0
               ) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=dict(env or self.env),
                                capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def migrate(self) -> None:
        """`migrate --database <alias>` for every alias, in parallel (different databases)."""
        procs = {alias: subprocess.Popen([sys.executable, "manage.py", "migrate", "--noinput", "-v0",
                                          "--database", alias], cwd=REPO_ROOT, env=self.env,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                         stdin=subprocess.DEVNULL)
                 for alias in self.aliases()}
        failures = []
        for alias, proc in procs.items():
            out, _ = proc.communicate(timeout=180)
            if proc.returncode != 0:
                failures.append(f"migrate --database {alias} ({proc.returncode}):\n{out[-3000:]}")
        if failures:
            raise AssertionError("\n".join(failures))

    def create_users(self, users: Mapping[str, str | None] = USERS) -> None:
        """{username: role} with PASSWORD (role None: a superuser)."""
        script = (
            "from django.contrib.auth.models import Group, User\n"
            f"for name, role in {dict(users)!r}.items():\n"
            f"    user = User.objects.create_user(name, password={PASSWORD!r}, is_staff=role is None,\n"
            "                                    is_superuser=role is None)\n"
            "    if role:\n"
            "        user.groups.add(Group.objects.get(name=role))\n"
        )
        self.manage("shell", "-c", script)

    # -- processes -------------------------------------------------------------------------------
    def _launch(self, process: ManagedProcess) -> ManagedProcess:
        self._started.append(process)
        ManagedProcess.start(process)  # no readiness wait here: every process boots in parallel
        return process

    def start_api(self, context: str) -> ServerProcess:
        port = self.apis[context].port if context in self.apis else None
        server = ServerProcess(self.context_env(context), name=f"gw-api-{context}", port=port, start_timeout=60,
                               cmd=None)
        server.cmd = [venv_bin("gunicorn"), "pos_project.wsgi:application", "--bind", f"{server.host}:{server.port}",
                      "--workers", str(self.gunicorn_workers.get(context, 1)), "--timeout", "30", "--graceful-timeout", "5",
                      "--error-logfile", "-",  # requests are logged once, by the application
                      "--control-socket", str(self.dir / f"gunicorn-{context}.ctl")]
        self.apis[context] = server
        return self._launch(server)

    def wait_api(self, context: str) -> None:
        """Until the API answers; one that lost its port to another process starts again on a new
        one (and the gateway, if it runs, is pointed at it)."""
        server = self.apis[context]

        def answers():
            server.assert_running()
            return http_get(server.url("/health/live"), timeout=2).status == 200

        for attempt in range(1, PORT_ATTEMPTS + 1):
            try:
                wait_until(answers, timeout=server.start_timeout, interval=0.1, ignore=(OSError,),
                           message=f"{server.name} to answer on /health/live (log {server.log_path})")
                return
            except ProcessExited:
                if attempt == PORT_ATTEMPTS or not server.lost_its_port():
                    raise
                server.move_to_free_port()
                ManagedProcess.start(server)
                if self.gateway is not None and self.gateway.is_running():
                    self._write_gateway_config(self.gateway.port)
                    os.kill(self.gateway.pid, signal.SIGHUP)  # nginx reloads its configuration

    def stop_api(self, context: str) -> None:
        self.apis[context].stop()

    def start(self) -> "Deployment":
        self.create_databases()
        self.migrate()
        self.create_users()
        (self.dir / "data").mkdir(parents=True, exist_ok=True)
        for context in CONTEXTS:
            self.start_api(context)
        for context in CONTEXTS:
            # As docker-compose runs it: per context a Celery worker hosting the context's relay
            # and Kafka consumer (POS_CONTEXTS=<context> picks both), supervised (scripts/supervise).
            self.workers[f"worker-{context}"] = self._launch(ManagedProcess(
                f"gw-worker-{context}", ["scripts/supervise", venv_bin("celery"), "-A", "pos_project", "worker",
                                         "--loglevel", "INFO", "--pool", "threads", "--concurrency", "2",
                                         "--hostname", f"gw-{self.run_id}-{context}@%h", "--without-gossip",
                                         "--without-mingle", "--without-heartbeat"],
                self.context_env(context)))
        self.workers["beat"] = self._launch(ManagedProcess(
            "gw-celery-beat", [venv_bin("celery"), "-A", "pos_project", "beat", "--loglevel", "INFO",
                               "--schedule", str(self.dir / "celerybeat-schedule")], self.env))
        for context in CONTEXTS:
            self.wait_api(context)
        self._start_gateway()
        wait_until(self._celery_workers_ready, timeout=60, interval=0.2, message="the Celery workers to be ready")
        return self

    def _write_gateway_config(self, port: int) -> Path:
        return write_gateway_config(self.dir / "nginx", {f"api-{c}": f"127.0.0.1:{s.port}" for c, s in self.apis.items()},
                                    f"127.0.0.1:{port}")

    def _start_gateway(self) -> None:
        """nginx in front of the APIs, on a free port (another one if that is taken before it binds)."""
        for attempt in range(1, PORT_ATTEMPTS + 1):
            port = free_port()
            conf = self._write_gateway_config(port)
            self.gateway = ServerProcess(child_env(), name="gw-nginx", port=port, ready_path="/health/gateway",
                                         cmd=[nginx_binary(), "-p", str(conf.parent), "-c", str(conf), "-e", "stderr"],
                                         start_timeout=15)
            self._started.append(self.gateway)
            try:
                self.gateway.start()
                return
            except ProcessExited:
                if attempt == PORT_ATTEMPTS or not self.gateway.lost_its_port():
                    raise
                self.gateway.stop()

    def _celery_workers_ready(self) -> bool:
        for process in self.workers.values():
            process.assert_running()
        return all(" ready." in self.workers[f"worker-{context}"].log_text() for context in CONTEXTS)

    def assert_running(self) -> None:
        for process in [*self.apis.values(), *self.workers.values(), self.gateway]:
            if process is not None:
                process.assert_running()

    def stop(self) -> None:
        errors = []

        def stop_one(process: ManagedProcess) -> None:
            try:
                process.stop()
            except Exception as exc:  # noqa: BLE001 - stop the rest, report after
                errors.append(f"{process.name}: {exc!r}")

        # All at once (each waits for its own graceful exit), so teardown takes the slowest, not the sum.
        threads = [threading.Thread(target=stop_one, args=(p,), name=f"stop-{p.name}") for p in self._started]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self._started.clear()
        try:
            self.drop_databases()
        except Exception as exc:  # noqa: BLE001
            errors.append(f"dropping databases: {exc!r}")
        shutil.rmtree(self.dir, ignore_errors=True)
        if errors:
            raise AssertionError("stopping the deployment: " + "; ".join(errors))

    def __enter__(self) -> "Deployment":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- talking to it through the gateway -------------------------------------------------------
    def url(self, path: str) -> str:
        return self.gateway.url(path)

    def request(self, method: str, path: str, *, token: str | None = None, headers: dict | None = None,
                **kwargs) -> HttpResponse:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return http_request(method, self.url(path), headers=headers, **kwargs)

    def token(self, username: str, till: str | None = None, *, source: str | None = None) -> str:
        """An access token from the gateway's auth route (bound to `till` if given: cashiers need one)."""
        body = {"username": username, "password": PASSWORD, **({"till_id": till} if till else {})}
        response = self.request("POST", "/api/v1/auth/token/", json=body, source=source)
        assert response.status == 200, (response.status, response.text)
        return response.json()["access"]


# --- one deployment shared by the gateway test modules ------------------------------------------
_shared: dict = {"deployment": None, "users": 0}


def shared_deployment_fixture(services_env):
    """Body of the `gateway_deployment` fixture: the first module to ask starts the deployment, the
    last one to finish stops it (each module imports the fixture, so pytest holds one per module)."""
    if _shared["deployment"] is None:
        # The shipped settings, password hasher included: the gateway's per-address limits are
        # tested against logins that cost what they cost in a shop (tests/e2e/test_gateway_login_throttling.py).
        deployment = Deployment(services_env, settings_module="pos_project.settings")
        deployment.__enter__()
        _shared["deployment"] = deployment
    _shared["users"] += 1
    try:
        yield _shared["deployment"]
    finally:
        _shared["users"] -= 1
        if _shared["users"] == 0:
            deployment, _shared["deployment"] = _shared["deployment"], None
            deployment.stop()


def _fixture():
    import pytest

    return pytest.fixture(scope="session", name="gateway_deployment")(shared_deployment_fixture)


gateway_deployment = _fixture()
