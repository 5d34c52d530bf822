"""Full-mode settings pass `manage.py check --deploy` with no issues, and carry the security
settings the docs promise (run in subprocesses: settings are read once per process)."""

import json
import secrets
import subprocess
import sys

import pytest

from tests.helpers.processes import REPO_ROOT, child_env

pytestmark = pytest.mark.e2e

# What an operator sets in full mode (see README and docs/security.md); the services' addresses
# are only read, never connected to, by `check`.
FULL_ENV = {
    "POS_MODE": "full",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DATABASE_URL": "postgres://pos:pos@127.0.0.1:5432/pos",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_ALLOWED_HOSTS": "pos.example.com",
    "DJANGO_SETTINGS_MODULE": "pos_project.settings",
}
# Development overrides a test run exports (scripts/run-tests), which a deployment does not set.
DROP = ("DJANGO_SECURE_COOKIES", "DJANGO_DEBUG", "DJANGO_HSTS_SECONDS", "DJANGO_SSL_REDIRECT", "POS_EXTRA_APPS",
        "KAFKA_BOOTSTRAP_SERVERS", "DATABASE_TEST_NAME")


def _run(args, **overrides):
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=child_env({**FULL_ENV, **overrides}, drop=DROP),
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_in_full_mode():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_check_deploy_flags_a_weak_setup():
    """The test above means something: the same check does complain about a weak configuration."""
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], DJANGO_SECURE_COOKIES="false",
                  DJANGO_DEBUG="true")

    assert result.returncode != 0
    assert "SESSION_COOKIE_SECURE" in result.stdout + result.stderr


def test_full_mode_security_settings():
    code = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({k: "
            "getattr(s, k) for k in ['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
            " 'SECURE_HSTS_SECONDS', 'SECURE_CONTENT_TYPE_NOSNIFF', 'X_FRAME_OPTIONS', 'DATA_UPLOAD_MAX_MEMORY_SIZE',"
            " 'SECURE_PROXY_SSL_HEADER']} | {'csrf': 'django.middleware.csrf.CsrfViewMiddleware' in s.MIDDLEWARE,"
            " 'access_minutes': s.SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'].total_seconds() / 60}))")
    result = _run(["-c", code])
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout.strip().splitlines()[-1])

    assert got["DEBUG"] is False
    assert got["SESSION_COOKIE_SECURE"] is got["CSRF_COOKIE_SECURE"] is got["SESSION_COOKIE_HTTPONLY"] is True
    assert got["SECURE_HSTS_SECONDS"] >= 31_536_000 and got["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert got["X_FRAME_OPTIONS"] == "DENY" and got["csrf"] is True
    assert got["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert got["DATA_UPLOAD_MAX_MEMORY_SIZE"] == 256 * 1024 and got["access_minutes"] <= 15


def test_full_mode_refuses_to_start_without_a_secret_key():
    result = _run(["manage.py", "check"], DJANGO_SECRET_KEY="")

    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def _settings_of(code: str, **overrides) -> dict:
    result = _run(["-c", "import django, json; django.setup(); from django.conf import settings as s; "
                         f"print(json.dumps({code}, default=str))"], **overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("broker", ["", "amqp://guest:guest@127.0.0.1:5672//"])
def test_full_mode_refuses_to_start_without_a_shared_cache(broker):
    """A per-process cache made logout and every throttle per gunicorn worker (issue 23)."""
    result = _run(["manage.py", "check"], CELERY_BROKER_URL=broker, POS_CACHE_URL="")

    assert result.returncode != 0 and "POS_CACHE_URL" in result.stderr


def test_pos_cache_url_is_honoured_on_its_own():
    cache = _settings_of("s.CACHES['default']", CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//",
                         POS_CACHE_URL="redis://127.0.0.1:6390/5")
    assert cache["BACKEND"].endswith("RedisCache") and cache["LOCATION"] == "redis://127.0.0.1:6390/5"
    beside_broker = _settings_of("s.CACHES['default']['LOCATION']", POS_CACHE_URL="")
    assert beside_broker == "redis://127.0.0.1:6379/1"  # the broker's database + 1, as before


# --- embedded mode --------------------------------------------------------------------------
EMBEDDED = {"POS_MODE": "embedded", "DJANGO_SECRET_KEY": "", "DJANGO_DEBUG": ""}


def test_each_embedded_install_signs_with_a_key_of_its_own_kept_in_its_data_dir(tmp_path):
    """A key printed in the source let a token made with it act as admin on any reachable install."""
    first, second = tmp_path / "shop-a", tmp_path / "shop-b"
    key_a = _settings_of("s.SECRET_KEY", **EMBEDDED, POS_DATA_DIR=str(first))
    again = _settings_of("s.SECRET_KEY", **EMBEDDED, POS_DATA_DIR=str(first))
    key_b = _settings_of("s.SECRET_KEY", **EMBEDDED, POS_DATA_DIR=str(second))

    assert key_a == again != key_b and len(key_a) >= 50 and "insecure" not in key_a
    assert (first / "secret_key").stat().st_mode & 0o077 == 0  # readable by its owner only


def test_embedded_mode_shows_no_debug_pages_unless_asked(tmp_path):
    """Django's DEBUG 404 page lists every URL pattern to whoever can reach the server."""
    code = ("{'debug': s.DEBUG, 'page': __import__('django.test', fromlist=['Client']).Client()"
            ".get('/no-such-page/', HTTP_ACCEPT='text/html').content.decode()}")
    got = _settings_of(code, **EMBEDDED, POS_DATA_DIR=str(tmp_path))

    assert got["debug"] is False
    assert "URLconf" not in got["page"] and "api/v1/" not in got["page"]
    assert _settings_of("s.DEBUG", **{**EMBEDDED, "DJANGO_DEBUG": "true"}, POS_DATA_DIR=str(tmp_path)) is True


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20"])
def test_embedded_mode_with_debug_refuses_to_serve_the_network(tmp_path, host):
    """Debug pages list every URL pattern: `make run` with DJANGO_DEBUG serves this machine only."""
    result = subprocess.run(["bash", "scripts/run-embedded"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                            env=child_env({"DJANGO_DEBUG": "true", "POS_HOST": host, "POS_DATA_DIR": str(tmp_path)}))

    assert result.returncode == 2 and "loopback" in result.stderr, result.stderr
    assert not (tmp_path / "pos.sqlite3").exists()  # refused before anything was set up
